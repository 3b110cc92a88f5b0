// The PreToolUse rules: which tool calls would show the model an API key that keyring-inject
// handles, decided from the tool's input alone (no keyring access, no file content read).
//
// Two gates:
//  - while keys are injected (our state records an injection), the places that hold them:
//    Claude Code's config file (and its temp/backup siblings), its backups directory, our own
//    state directory, and `claude mcp get|list`, which print MCP servers' env values in clear;
//  - while any key is registered, the ways to read a key that do not go through those files:
//    another process's environment (/proc/PID/environ, `ps e`), where MCP servers hold their
//    keys in every mode, zero-disk included, and commands that print a stored key
//    (`keyring-inject run|exec|headers`, `secret-tool`/`security`/`keyctl` on our service).
//
// This is a tripwire for a model that goes looking, not a sandbox: a shell command can always
// name a file in a way no text match foresees (globs, variables, `cd` first, another
// language). PostToolUse masking is the backstop for what gets through; see SECURITY.md.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ClaudePaths } from '../core/paths.js';
import { escapeRegExp } from './mask.js';

export type GuardRule = 'config-file' | 'config-backups' | 'state-dir' | 'mcp-env-print' | 'process-env' | 'keyring-read';

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
  /** The registry holds at least one key. */
  hasKeys: boolean;
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

const ASK =
  "Do not try to read it another way. If you need to know which MCP servers or keys are configured, ask the user, or run 'keyring-inject list' (names only, never values).";

function reasonFor(rule: GuardRule, shown: string): string {
  const head = 'Blocked by keyring-inject:';
  switch (rule) {
    case 'config-file':
      return `${head} ${shown} is Claude Code's config file, and while this session runs it holds API keys injected by keyring-inject from the OS keyring; their values must stay out of this conversation. ${ASK}`;
    case 'config-backups':
      return `${head} ${shown} holds Claude Code's backup copies of its config, which can contain the API keys injected by keyring-inject for this session. ${ASK}`;
    case 'state-dir':
      return `${head} ${shown} is keyring-inject's own state directory, which tracks the API keys injected for this session. ${ASK}`;
    case 'mcp-env-print':
      return `${head} 'claude mcp get' and 'claude mcp list' print MCP servers' environment values in clear, and while this session runs those include API keys injected by keyring-inject. ${ASK}`;
    case 'process-env':
      return `${head} this reads the environment of other processes, which holds the API keys keyring-inject gives to MCP servers. ${ASK}`;
    case 'keyring-read':
      return `${head} this command would print API keys stored by keyring-inject in the OS keyring into this conversation. If the user needs it, ask them to run it in their own terminal.`;
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
  return [
    area('config-file', cfg, cfgTail, true),
    area('config-backups', paths.backupsDir, backupsTail, false),
    area('state-dir', paths.dataDir, dataTail, false),
  ];
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
const KI_PRINTS_KEYS = /(?:^|[^A-Za-z0-9_.-])keyring-inject(?:\.js)?\s+(?:run|exec|headers)(?![A-Za-z0-9_-])/;
const KEYRING_TOOLS = /(?:^|[^A-Za-z0-9_.-])(?:secret-tool|security\s+find-(?:generic|internet)-password|keyctl\s+(?:print|pipe|read))(?![A-Za-z0-9_-])/;
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

function checkBash(command: string, c: PreToolContext, platform: NodeJS.Platform): Denial | undefined {
  const plain = unquote(command);
  if (c.injected) {
    for (const a of areas(c)) if (mentions(command, a, platform)) return { rule: a.rule, reason: reasonFor(a.rule, a.shown) };
    if (MCP_ENV_PRINT.test(plain)) return { rule: 'mcp-env-print', reason: reasonFor('mcp-env-print', '') };
  }
  if (c.hasKeys) {
    if (PROC_ENVIRON_TEXT.test(plain) || psShowsEnvironment(plain)) return { rule: 'process-env', reason: reasonFor('process-env', '') };
    const viaBundle = (c.cliPaths ?? []).some((p) => new RegExp(`${escapeRegExp(p)}\\s+(?:run|exec|headers)(?![A-Za-z0-9_-])`).test(plain));
    if (KI_PRINTS_KEYS.test(plain) || viaBundle || (KEYRING_TOOLS.test(plain) && plain.includes(c.service))) return { rule: 'keyring-read', reason: reasonFor('keyring-read', '') };
  }
  return undefined;
}

function checkPath(p: string, c: PreToolContext, platform: NodeJS.Platform): Denial | undefined {
  const abs = resolveToolPath(p, c.home, c.cwd);
  const forms = [...new Set([abs, realOrSelf(abs)])];
  if (c.injected) {
    for (const a of areas(c)) if (forms.some((f) => inArea(f, a, platform))) return { rule: a.rule, reason: reasonFor(a.rule, a.shown) };
  }
  if (c.hasKeys && forms.some((f) => PROC_ENVIRON_PATH.test(f))) return { rule: 'process-env', reason: reasonFor('process-env', '') };
  return undefined;
}

function checkGlobText(pattern: string, base: string, c: PreToolContext, platform: NodeJS.Platform): Denial | undefined {
  if (c.injected) {
    for (const a of areas(c)) if (mentions(pattern, a, platform)) return { rule: a.rule, reason: reasonFor(a.rule, a.shown) };
  }
  // The literal directory part of the pattern, e.g. `/home/u/.claude/backups/*.json` -> `/home/u/.claude/backups`.
  const literal = pattern.split(/[*?[{]/)[0] ?? '';
  return literal ? checkPath(resolve(base, literal), c, platform) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The denial for one tool call, or undefined to let it through (Claude Code's own permission rules still apply). */
export function checkPreToolUse(toolName: string, toolInput: Readonly<Record<string, unknown>>, c: PreToolContext): Denial | undefined {
  if (!c.injected && !c.hasKeys) return undefined;
  const platform = c.platform ?? process.platform;
  if (toolName === 'Bash') {
    const command = str(toolInput.command);
    return command === undefined ? undefined : checkBash(command, c, platform);
  }
  for (const field of ['file_path', 'path', 'notebook_path'] as const) {
    const p = str(toolInput[field]);
    const d = p === undefined ? undefined : checkPath(p, c, platform);
    if (d) return d;
  }
  const base = resolveToolPath(str(toolInput.path) ?? '.', c.home, c.cwd);
  if (toolName === 'Glob') {
    const pattern = str(toolInput.pattern);
    if (pattern !== undefined) return checkGlobText(pattern, base, c, platform);
  }
  if (toolName === 'Grep') {
    const glob = str(toolInput.glob);
    if (glob !== undefined) return checkGlobText(glob, base, c, platform);
  }
  return undefined;
}
