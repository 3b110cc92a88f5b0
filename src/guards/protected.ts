// The PreToolUse rules: which tool calls would show the model an API key that keyring-inject
// handles, or switch off what keeps keys out of its sight, decided from the tool's input alone
// (no keyring access, no file content read). Every tool is looked at: Claude Code's command tools
// (Bash, PowerShell, Monitor) by their command, its file tools by their paths (a write to the
// config counts as a read), WebFetch by a file:// URL, and MCP and unknown tools by every string
// of their input, each taken as a command text and, when it looks like one, as a path.
//
// Three gates:
//  - always: keyring-inject's data dir (registry, state, approvals) is written by us and the user
//    only, and only the user approves a project file (`keyring-inject allow`);
//  - while keys are injected (our state records an injection), the places that hold them:
//    Claude Code's config file (and its temp/backup siblings), its backups directory, our own
//    state directory, and `claude mcp get|list`, which print MCP servers' env values in clear;
//  - while any key is registered, the ways to read a key that do not go through those files:
//    another process's environment (/proc/PID/environ, `ps e`), where MCP servers hold their
//    keys in every mode, zero-disk included, commands that print a stored key, and commands that
//    lock, replace or stop the secret store (key-commands.ts).
//
// This is a tripwire for a model that goes looking, not a sandbox: a shell command can always
// name a file in a way no text match foresees (globs, variables, `cd` first, another
// language). PostToolUse masking is the backstop for what gets through; see SECURITY.md.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ClaudePaths } from '../core/paths.js';
import { disablesSecretStore, printsStoredKey, readsKeyringItems } from './key-commands.js';
import { checkModelRun } from './model-run.js';

export type GuardRule = 'config-file' | 'config-backups' | 'state-dir' | 'mcp-env-print' | 'process-env' | 'keyring-read' | 'keyring-lock' | 'approval' | 'model-run';

export interface Denial {
  rule: GuardRule;
  /** For the model (permissionDecisionReason): what was blocked and what to do instead. Never a value. */
  reason: string;
}

export interface PreToolContext {
  paths: ClaudePaths;
  home: string;
  /** The session's working directory (hook input `cwd`), for relative paths. */
  cwd: string;
  /** Our state records at least one injected value. */
  injected: boolean;
  /** The registry or the project's .claude/secrets.json holds at least one key. */
  hasKeys: boolean;
  /** Names the model may pass to `keyring-inject run --only` (registry and project file). */
  knownNames?: ReadonlySet<string>;
  /** The keyring service our values are stored under. */
  service: string;
  /** Paths of our own CLI bundle (`node <path> run …` is `keyring-inject run …`). */
  cliPaths?: readonly string[];
  platform?: NodeJS.Platform;
}

type AreaRule = 'config-file' | 'config-backups' | 'state-dir';

interface Area {
  rule: AreaRule;
  /** Lexical and resolved forms of the protected path. */
  roots: string[];
  /** config-file: siblings whose name starts with the file's name (backup, tmp, lock) count too. */
  prefixFile: boolean;
  /** Text forms that count as a mention in a shell command or a glob. */
  mentions: string[];
  shown: string;
}

const ASK = "Do not try to read it another way. If you need to know which MCP servers or keys are configured, ask the user, or run 'keyring-inject list' (names only, never values).";

function reasonFor(rule: GuardRule, shown: string): string {
  const head = 'Blocked by keyring-inject:';
  switch (rule) {
    case 'config-file':
      return `${head} ${shown} is Claude Code's config file, and while this session runs it holds API keys injected by keyring-inject from the OS keyring; their values must stay out of this conversation. ${ASK}`;
    case 'config-backups':
      return `${head} ${shown} holds Claude Code's backup copies of its config, which can contain the API keys injected by keyring-inject for this session. ${ASK}`;
    case 'state-dir':
      return `${head} ${shown} is keyring-inject's own data directory (its registry of keys, the state of injected keys, project approvals); only keyring-inject and the user change it. ${ASK}`;
    case 'mcp-env-print':
      return `${head} 'claude mcp get' and 'claude mcp list' print MCP servers' environment values in clear, and while this session runs those include API keys injected by keyring-inject. ${ASK}`;
    case 'process-env':
      return `${head} this reads the environment of other processes, which holds the API keys keyring-inject gives to MCP servers. ${ASK}`;
    case 'model-run':
      return shown;
    case 'keyring-read':
      return `${head} this command would print API keys stored by keyring-inject in the OS keyring into this conversation. If the user needs it, ask them to run it in their own terminal.`;
    case 'keyring-lock':
      return `${head} this command would lock, replace or stop the OS keyring (the secret store keyring-inject keeps API keys in), which keyring-inject needs to keep those keys out of this conversation. If the keyring needs attention, ask the user to do it in their own terminal.`;
    case 'approval':
      return `${head} 'keyring-inject allow' approves a project's .claude/secrets.json, i.e. decides which of the user's keys a repository may use; only the user may do that. If it is needed, ask the user to run it in their own terminal after reading what the file does.`;
  }
}

function realOrSelf(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    // Missing: resolve the parent, so that a link in the directory part still counts.
    try {
      return resolve(realpathSync.native(dirname(p)), basename(p));
    } catch {
      return p;
    }
  }
}

function fold(p: string, platform: NodeJS.Platform): string {
  return platform === 'darwin' || platform === 'win32' ? p.toLowerCase() : p;
}

function textForms(abs: string, tail: string, home: string, configDir: string): string[] {
  const forms = new Set<string>([abs, realOrSelf(abs), tail]);
  const relHome = relative(home, abs);
  if (relHome && !relHome.startsWith('..') && !isAbsolute(relHome)) {
    for (const h of ['~', '$HOME', '${HOME}']) forms.add(`${h}/${relHome}`);
  }
  const relConf = relative(configDir, abs);
  if (relConf && !relConf.startsWith('..') && !isAbsolute(relConf)) {
    for (const h of ['$CLAUDE_CONFIG_DIR', '${CLAUDE_CONFIG_DIR}']) forms.add(`${h}/${relConf}`);
  }
  return [...forms].filter((f) => f.length > 0);
}

function displayPath(abs: string, home: string): string {
  const rel = relative(home, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? `~/${rel}` : abs;
}

function areas(c: PreToolContext): Area[] {
  const { paths, home } = c;
  const cfg = paths.configFile;
  const cfgName = basename(cfg);
  const cfgTail = cfgName === '.claude.json' ? cfgName : `${basename(dirname(cfg))}/${cfgName}`;
  const backupsTail = `${basename(paths.configDir)}/${basename(paths.backupsDir)}`;
  const dataTail = `${basename(dirname(paths.dataDir))}/${basename(paths.dataDir)}`;
  const area = (rule: AreaRule, abs: string, tail: string, prefixFile: boolean): Area => ({
    rule,
    roots: [...new Set([resolve(abs), realOrSelf(resolve(abs))])],
    prefixFile,
    mentions: textForms(resolve(abs), tail, home, paths.configDir),
    shown: displayPath(resolve(abs), home),
  });
  return [area('config-file', cfg, cfgTail, true), area('config-backups', paths.backupsDir, backupsTail, false), area('state-dir', paths.dataDir, dataTail, false)];
}

/** Our own data dir (registry, state, approvals), protected whether or not anything is injected. */
function dataArea(c: PreToolContext): Area {
  return areas(c)[2] as Area;
}

function inArea(p: string, a: Area, platform: NodeJS.Platform): boolean {
  const f = fold(p, platform);
  return a.roots.some((root) => {
    const r = fold(root, platform);
    if (a.prefixFile) return dirname(f) === dirname(r) && basename(f).startsWith(basename(r));
    return f === r || f.startsWith(r.endsWith(sep) ? r : r + sep);
  });
}

/** A path as a tool got it: `~` and `$HOME` expanded, made absolute against cwd, normalised. */
export function resolveToolPath(p: string, home: string, cwd: string): string {
  let s = p.trim();
  if (s === '~' || s.startsWith('~/')) s = home + s.slice(1);
  else if (s === '$HOME' || s.startsWith('$HOME/')) s = home + s.slice(5);
  else if (s === '${HOME}' || s.startsWith('${HOME}/')) s = home + s.slice(7);
  return resolve(cwd, s);
}

/** Quotes and backslashes removed, so that `~/'.claude'.json` reads as `~/.claude.json`. */
function unquote(text: string): string {
  return text.replace(/['"\\]/g, '');
}

function mentions(text: string, a: Area, platform: NodeJS.Platform): boolean {
  const t = fold(text, platform);
  const u = fold(unquote(text), platform);
  return a.mentions.some((m) => {
    const f = fold(m, platform);
    return t.includes(f) || u.includes(f);
  });
}

const PROC_ENVIRON_PATH = /^\/proc\/[^/]+\/(?:task\/[^/]+\/)?environ$/;
const PROC_ENVIRON_TEXT = /\/proc\/[^\n]*environ/;
const MCP_ENV_PRINT = /(?:^|[^A-Za-z0-9_.-])claude(?:-code)?(?:\.exe)?\s+(?:[^\s;&|]+\s+)*?mcp\s+(?:get|list)(?![A-Za-z0-9_-])/;
/** `keyring-inject allow` approves a project file for the user; `--revoke` only takes an approval back. */
const KI_ALLOW = /(?:^|[^A-Za-z0-9_.-])keyring-inject(?:\.js)?\s+allow(?![A-Za-z0-9_-])/;
/** A BSD-style option cluster of ps (letters procps and BSD ps accept without a dash) that holds `e`. */
const BSD_E = /^[acfhjlmrsuvwxSTX]*e[acefhjlmrsuvwxSTX]*$/;

/** `ps` with the BSD-style `e` option (or macOS `-E`): prints every process's environment. */
function psShowsEnvironment(text: string): boolean {
  for (const segment of text.split(/[;&|\n(){}`]|\$\(/)) {
    const words = segment.trim().split(/\s+/);
    const at = words.findIndex((w) => basename(w) === 'ps');
    if (at >= 0 && words.slice(at + 1).some((w) => BSD_E.test(w) || /^-[A-Za-z]*E[A-Za-z]*$/.test(w))) return true;
  }
  return false;
}

const deny = (rule: GuardRule, shown = ''): Denial => ({ rule, reason: reasonFor(rule, shown) });

/** Our data dir and project approvals: written by keyring-inject and the user only, keys or not. */
function checkOwnCommand(command: string, c: PreToolContext, platform: NodeJS.Platform): Denial | undefined {
  const data = dataArea(c);
  if (mentions(command, data, platform)) return deny('state-dir', data.shown);
  const plain = unquote(command);
  if (KI_ALLOW.test(plain) && !/(?:^|\s)--revoke(?![A-Za-z0-9_-])/.test(plain)) return deny('approval');
  return undefined;
}

function checkCommand(command: string, c: PreToolContext, platform: NodeJS.Platform): Denial | undefined {
  const plain = unquote(command);
  if (c.injected) {
    for (const a of areas(c)) if (mentions(command, a, platform)) return deny(a.rule, a.shown);
    if (MCP_ENV_PRINT.test(plain)) return deny('mcp-env-print');
  }
  if (c.hasKeys) {
    if (PROC_ENVIRON_TEXT.test(plain) || psShowsEnvironment(plain)) return deny('process-env');
    if (disablesSecretStore(plain)) return deny('keyring-lock');
    // `keyring-inject run -- CMD` in its one allowed shape (model-run.ts): the keys go to CMD, its output is masked.
    const run = checkModelRun(command, c.cliPaths ?? [], (n) => c.knownNames?.has(n) ?? false);
    if (run.kind === 'denied') return { rule: 'model-run', reason: reasonFor('model-run', run.reason) };
    if (run.kind === 'allowed' ? readsKeyringItems(plain, c) : printsStoredKey(plain, c)) return deny('keyring-read');
  }
  return undefined;
}

function checkPath(p: string, c: PreToolContext, platform: NodeJS.Platform): Denial | undefined {
  const abs = resolveToolPath(p, c.home, c.cwd);
  const forms = [...new Set([abs, realOrSelf(abs)])];
  if (c.injected) {
    for (const a of areas(c)) if (forms.some((f) => inArea(f, a, platform))) return deny(a.rule, a.shown);
  }
  if (c.hasKeys && forms.some((f) => PROC_ENVIRON_PATH.test(f))) return deny('process-env');
  return undefined;
}

function checkWrite(p: string, c: PreToolContext, platform: NodeJS.Platform): Denial | undefined {
  const abs = resolveToolPath(p, c.home, c.cwd);
  const data = dataArea(c);
  return [abs, realOrSelf(abs)].some((f) => inArea(f, data, platform)) ? deny('state-dir', data.shown) : undefined;
}

function checkGlobText(pattern: string, base: string, c: PreToolContext, platform: NodeJS.Platform): Denial | undefined {
  if (c.injected) {
    for (const a of areas(c)) if (mentions(pattern, a, platform)) return deny(a.rule, a.shown);
  }
  // The literal directory part of the pattern, e.g. `/home/u/.claude/backups/*.json` -> `/home/u/.claude/backups`.
  const literal = pattern.split(/[*?[{]/)[0] ?? '';
  return literal ? checkPath(resolve(base, literal), c, platform) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Tools that run a command, and the field that holds it. */
const COMMAND_FIELD: Readonly<Record<string, string>> = { Bash: 'command', PowerShell: 'command', Monitor: 'command' };
/** Claude Code's file tools, whose path fields are all they can touch. */
const READ_TOOLS = new Set(['Read', 'NotebookRead', 'LS', 'Grep', 'Glob']);
/** Writing tools: a write to the config is a read too (Edit shows a snippet, a failed match the text). */
const WRITE_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);
/** Tools that neither read files nor run commands. */
const HARMLESS = new Set(['TodoWrite', 'TodoRead', 'ExitPlanMode', 'EnterPlanMode', 'AskUserQuestion', 'Task', 'Agent', 'WebSearch', 'KillShell', 'BashOutput', 'Skill', 'SlashCommand']);
const PATH_FIELDS = ['file_path', 'path', 'notebook_path'] as const;
/** An input string that names a file: absolute, home- or dot-relative, a Windows drive, or a file:// URL. */
const PATH_LIKE = /^(?:\/|~(?:\/|$)|\$\{?HOME\}?(?:\/|$)|\.\.?\/|[A-Za-z]:[\\/])/;
/** Bounds for tools whose input we do not know: a huge input is scanned up to here. */
const MAX_STRINGS = 1000;
const MAX_STRING_CHARS = 200_000;

/** `file:///x` -> `/x`; anything else unchanged. */
function fromFileUrl(s: string): string {
  const m = /^file:\/\/(?:localhost)?(\/.*)$/i.exec(s.trim());
  if (!m) return s;
  try {
    return decodeURIComponent(m[1] as string);
  } catch {
    return m[1] as string;
  }
}

/** Every string (and key) in an unknown tool's input, bounded. */
function allStrings(input: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [input];
  while (stack.length > 0 && out.length < MAX_STRINGS) {
    const x = stack.pop();
    if (typeof x === 'string') out.push(x.length > MAX_STRING_CHARS ? x.slice(0, MAX_STRING_CHARS) : x);
    else if (Array.isArray(x)) stack.push(...(x as unknown[]));
    else if (x !== null && typeof x === 'object') for (const [k, v] of Object.entries(x as Record<string, unknown>)) stack.push(k, v);
  }
  return out;
}

/** What a tool call can touch: commands it runs (as text), paths it reads or writes, globs. */
interface ToolView {
  commands: string[];
  paths: string[];
  writes: string[];
  globs: { pattern: string; base: string }[];
}

function viewOf(toolName: string, input: Readonly<Record<string, unknown>>, c: PreToolContext): ToolView {
  const v: ToolView = { commands: [], paths: [], writes: [], globs: [] };
  const field = COMMAND_FIELD[toolName];
  if (field !== undefined) {
    const command = str(input[field]);
    if (command !== undefined) v.commands.push(command);
    return v;
  }
  if (HARMLESS.has(toolName)) return v;
  const fields = PATH_FIELDS.flatMap((f) => str(input[f]) ?? []);
  if (READ_TOOLS.has(toolName) || WRITE_TOOLS.has(toolName)) {
    v.paths.push(...fields);
    if (WRITE_TOOLS.has(toolName)) v.writes.push(...fields);
    const base = resolveToolPath(str(input.path) ?? '.', c.home, c.cwd);
    const glob = toolName === 'Glob' ? str(input.pattern) : toolName === 'Grep' ? str(input.glob) : undefined;
    if (glob !== undefined) v.globs.push({ pattern: glob, base });
    return v;
  }
  if (toolName === 'WebFetch') {
    const url = str(input.url);
    if (url !== undefined && /^file:/i.test(url)) v.paths.push(fromFileUrl(url));
    return v;
  }
  // MCP tools (a filesystem or shell server), REPL, LSP and tools we do not know: any string may
  // be a path or a command, and any of them may write.
  for (const s of allStrings(input)) {
    v.commands.push(s);
    const p = fromFileUrl(s);
    if (PATH_LIKE.test(p)) {
      v.paths.push(p);
      v.writes.push(p);
    }
  }
  return v;
}

/** The denial for one tool call, or undefined to let it through (Claude Code's own permission rules still apply). */
export function checkPreToolUse(toolName: string, toolInput: Readonly<Record<string, unknown>>, c: PreToolContext): Denial | undefined {
  const platform = c.platform ?? process.platform;
  const v = viewOf(toolName, toolInput, c);
  for (const p of v.writes) {
    const d = checkWrite(p, c, platform);
    if (d) return d;
  }
  for (const command of v.commands) {
    const d = checkOwnCommand(command, c, platform);
    if (d) return d;
  }
  if (!c.injected && !c.hasKeys) return undefined;
  for (const command of v.commands) {
    const d = checkCommand(command, c, platform);
    if (d) return d;
  }
  for (const p of v.paths) {
    const d = checkPath(p, c, platform);
    if (d) return d;
  }
  for (const g of v.globs) {
    const d = checkGlobText(g.pattern, g.base, c, platform);
    if (d) return d;
  }
  return undefined;
}
