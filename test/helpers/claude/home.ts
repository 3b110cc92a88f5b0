// e2e harness: a throw-away HOME + project dir for the REAL Claude Code client, and helpers
// to run it offline against the fake API (see fake-api.ts). Never touches the real ~/.claude*.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { processesWithCwdIn } from '../processes.js';
import { shellQuote } from '../spawn-cli.js';
import { waitUntil } from '../wait.js';

const HARNESS_DIR = path.dirname(fileURLToPath(import.meta.url));
/** Absolute path of the repository root (where package.json and node_modules live). */
export const REPO_ROOT = path.resolve(HARNESS_DIR, '..', '..', '..');
/**
 * Absolute path of the client binary: $KI_E2E_CLAUDE_BIN when set (`npm run test:client-latest`
 * points it at the newest published client), else the pinned client that test/global-setup.ts
 * installs on demand (scripts/install-test-client.mjs) and passes on as $KI_TEST_CLIENT_BIN.
 */
export const CLAUDE_BIN =
  process.env['KI_E2E_CLAUDE_BIN'] || process.env['KI_TEST_CLIENT_BIN'] || path.join(REPO_ROOT, 'node_modules', '.cache', 'keyring-inject-test-client', 'node_modules', '.bin', 'claude');
/** Absolute path of the stdio MCP server that records (hashes of) its environment. */
export const ENV_RECORDER_PATH = path.join(HARNESS_DIR, 'env-recorder-mcp.mjs');

export interface StdioServerConfig {
  type?: 'stdio';
  command: string;
  args?: string[];
  env?: Record<string, string>;
}
export interface HttpServerConfig {
  type: 'http' | 'sse';
  url: string;
  headers?: Record<string, string>;
  headersHelper?: string;
}
export type McpServerConfig = StdioServerConfig | HttpServerConfig;

export interface ClaudeHomeOptions {
  /** User scope: top-level `mcpServers` of HOME/.claude.json. */
  mcpServers?: Record<string, McpServerConfig>;
  /** Local scope: `projects[<realpath of project dir>].mcpServers` of HOME/.claude.json. */
  localMcpServers?: Record<string, McpServerConfig>;
  /** Project scope: written to `<project dir>/.mcp.json` as `{mcpServers: ...}`. */
  projectMcpServers?: Record<string, McpServerConfig>;
  /** Extra top-level keys merged (shallowly, last) into HOME/.claude.json. */
  extraConfig?: Record<string, unknown>;
  /** Extra keys merged into `projects[<project dir>]` (besides hasTrustDialogAccepted). */
  extraProjectConfig?: Record<string, unknown>;
  /** Written as HOME/.claude/settings.json when given (hooks go here). */
  settings?: Record<string, unknown>;
  /** Prefix of the mkdtemp directory name. Default 'ki-e2e-' (always that when opts is a callback). */
  prefix?: string;
}

/** The directories of a ClaudeHome, as given to an options callback. */
export interface ClaudeHomeDirs {
  /** The mkdtemp directory (realpath) that holds home/, project/ and outside/. */
  root: string;
  /** The temp HOME given to the client. */
  home: string;
  /** The project dir (cwd of the client), a realpath. */
  projectDir: string;
  /** A scratch dir OUTSIDE home for reports and hook logs. */
  outsideDir: string;
}

export interface ClaudeHome extends ClaudeHomeDirs {
  /** HOME/.claude.json */
  configPath: string;
  /** HOME/.claude */
  configDir: string;
  /** HOME/.claude/settings.json */
  settingsPath: string;
  /** Parse HOME/.claude.json as it is on disk now. */
  readConfig(): Record<string, unknown>;
  /** Replace HOME/.claude.json (pretty-printed JSON, mode 0600). */
  writeConfig(config: Record<string, unknown>): void;
  /** Replace HOME/.claude/settings.json. */
  writeSettings(settings: Record<string, unknown>): void;
  /** Remove the whole temp tree. Idempotent. */
  cleanup(): Promise<void>;
}

function writeJson(file: string, value: unknown, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n', { mode });
}

/**
 * Create a temp tree `<os.tmpdir()>/ki-e2e-XXXXXX/{home,project,outside}` (realpaths) with
 * HOME/.claude.json (onboarding done, project trusted, plus the given servers/keys) and, when
 * `settings` is given, HOME/.claude/settings.json. `opts` may be a callback that receives the
 * directories, e.g. to put a report file in `outsideDir`.
 */
export function makeClaudeHome(opts: ClaudeHomeOptions | ((dirs: ClaudeHomeDirs) => ClaudeHomeOptions) = {}): ClaudeHome {
  const prefix = typeof opts === 'function' ? 'ki-e2e-' : (opts.prefix ?? 'ki-e2e-');
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  const home = path.join(root, 'home');
  const projectDir = path.join(root, 'project');
  const outsideDir = path.join(root, 'outside');
  for (const d of [home, projectDir, outsideDir]) fs.mkdirSync(d, { mode: 0o700 });
  if (typeof opts === 'function') opts = opts({ root, home, projectDir, outsideDir });
  const configPath = path.join(home, '.claude.json');
  const configDir = path.join(home, '.claude');
  const settingsPath = path.join(configDir, 'settings.json');

  const projectEntry: Record<string, unknown> = {
    hasTrustDialogAccepted: true,
    ...(opts.localMcpServers !== undefined ? { mcpServers: opts.localMcpServers } : {}),
    ...opts.extraProjectConfig,
  };
  const config: Record<string, unknown> = {
    hasCompletedOnboarding: true,
    projects: { [projectDir]: projectEntry },
    ...(opts.mcpServers !== undefined ? { mcpServers: opts.mcpServers } : {}),
    ...opts.extraConfig,
  };
  writeJson(configPath, config);
  fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
  if (opts.settings !== undefined) writeJson(settingsPath, opts.settings);
  if (opts.projectMcpServers !== undefined) {
    writeJson(path.join(projectDir, '.mcp.json'), { mcpServers: opts.projectMcpServers }, 0o644);
  }

  let cleaned = false;
  return {
    root,
    home,
    projectDir,
    outsideDir,
    configPath,
    configDir,
    settingsPath,
    readConfig: () => JSON.parse(fs.readFileSync(configPath, 'utf8')) as Record<string, unknown>,
    writeConfig: (c) => writeJson(configPath, c),
    writeSettings: (st) => writeJson(settingsPath, st),
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      // A client still shutting down in the project (its tmux server was killed) writes its MCP
      // logs under HOME as it exits: removed before that, the tree would come back in the temp dir.
      await waitUntil(() => processesWithCwdIn(root).length === 0, 10_000);
      await fsp.rm(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/**
 * An mcpServers entry that runs env-recorder-mcp.mjs with this node binary.
 * @param reportFile where the server appends its JSON line (keep it OUTSIDE the temp HOME)
 * @param watchVars env var names whose sha256 the server reports
 * @param extraEnv more `env` entries for the server config (e.g. the secret under test)
 */
export function recorderServer(reportFile: string, watchVars: readonly string[], extraEnv: Record<string, string> = {}): StdioServerConfig {
  return {
    type: 'stdio',
    command: process.execPath,
    args: [ENV_RECORDER_PATH],
    env: {
      KI_TEST_REPORT_FILE: reportFile,
      KI_TEST_WATCH_VARS: watchVars.join(','),
      ...extraEnv,
    },
  };
}

/** One line of the recorder's report file. */
export interface RecorderReport {
  pid: number;
  ppid: number;
  startedAt: number;
  vars: Record<string, string | null>;
  /** Names (never values) of every variable in the server's environment, sorted. */
  envNames: string[];
}

/** Parse a JSON-lines file; [] when it does not exist. */
export function readJsonLines<T = unknown>(file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

/** All start-up reports the recorder wrote to `reportFile`, oldest first. */
export function readRecorderReports(reportFile: string): RecorderReport[] {
  return readJsonLines<RecorderReport>(reportFile);
}

/** The recorder started at least once, and every start saw `value` in variable `name` (by its sha256). */
export function expectEveryStartSaw(reportFile: string, name: string, value: string): RecorderReport[] {
  const reports = readRecorderReports(reportFile);
  expect(reports.length).toBeGreaterThanOrEqual(1);
  for (const r of reports) expect(r.vars[name]).toBe(sha256Hex(value));
  return reports;
}

/** sha256 hex of a utf8 string, as the recorder reports it. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A hook command that appends its stdin JSON (plus a newline) to `file`. */
export function appendStdinHookCommand(file: string): string {
  return `{ cat; echo; } >> ${shellQuote(file)}`;
}

/** The stdin JSON Claude Code gives a SessionStart/SessionEnd hook. */
export interface HookInput {
  session_id: string;
  transcript_path?: string;
  cwd?: string;
  hook_event_name: string;
  source?: string;
  reason?: string;
  [key: string]: unknown;
}

export interface RunClaudeOptions {
  /** The fake API (or its base URL) for ANTHROPIC_BASE_URL. */
  api: { url: string } | string;
  /** Extra env; a value of `undefined` removes a variable from the base env. */
  env?: Record<string, string | undefined>;
  /** Default: the home's projectDir. */
  cwd?: string;
  /** SIGKILL (whole process group) after this many ms. Default 60 000. */
  timeoutMs?: number;
}

export interface ClaudeResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * Where the client keeps task outputs and probe directories (CLAUDE_CODE_TMPDIR): inside the temp
 * HOME, so that a run leaves nothing in the machine's /tmp. Commands that look there (`scan`) need it too.
 */
export function claudeTmpDir(home: Pick<ClaudeHome, 'home'>): string {
  const dir = path.join(home.home, '.tmp');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** The clean environment the client is started with (no variable of this process leaks in). */
export function claudeEnv(home: Pick<ClaudeHome, 'home'>, opts: RunClaudeOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home.home,
    ANTHROPIC_BASE_URL: typeof opts.api === 'string' ? opts.api : opts.api.url,
    ANTHROPIC_API_KEY: 'test-key',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_TMPDIR: claudeTmpDir(home),
  };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

const live = new Set<ChildProcess>();

/**
 * Start the client (stdin ignored, stdout/stderr piped) in its own process group and return
 * the ChildProcess, e.g. to SIGKILL it mid-session (`child.kill('SIGKILL')` kills the client
 * only, like a crash; `killClaudeTree(child)` kills its whole group).
 */
export function spawnClaude(home: ClaudeHome, args: readonly string[], opts: RunClaudeOptions): ChildProcess {
  const child = spawn(CLAUDE_BIN, [...args], {
    cwd: opts.cwd ?? home.projectDir,
    env: claudeEnv(home, opts),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILL the child's whole process group (client, its MCP servers, hook shells). */
export function killClaudeTree(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Kill every client this module started that is still running (for afterEach). */
export function killAllClaude(): void {
  for (const c of live) killClaudeTree(c);
  live.clear();
}

/** Collect output of a spawned client until it exits; SIGKILL its group after timeoutMs. */
export function waitForClaude(child: ChildProcess, timeoutMs = 60_000): Promise<ClaudeResult> {
  const started = Date.now();
  return new Promise<ClaudeResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => (stdout += d));
    child.stderr?.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killClaudeTree(child);
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'close' (not 'exit'): wait until stdout/stderr are drained.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started, timedOut });
    });
  });
}

/** Run the client to completion. */
export function runClaude(home: ClaudeHome, args: readonly string[], opts: RunClaudeOptions): Promise<ClaudeResult> {
  return waitForClaude(spawnClaude(home, args, opts), opts.timeoutMs ?? 60_000);
}

type Releasable = { close(): Promise<void> } | { cleanup(): Promise<void> };

/**
 * What a real-client test starts, released after each test even when an assertion failed: every
 * client (killAllClaude), then each resource given to `add` (fake API, MCP server, ClaudeHome),
 * newest first, then each scratch dir made by `dir`.
 */
export function claudeScratch(): { add<T extends Releasable>(r: T): T; dir(prefix: string): string } {
  let held: Releasable[] = [];
  let dirs: string[] = [];
  afterEach(async () => {
    killAllClaude();
    for (const r of held.reverse()) await ('close' in r ? r.close() : r.cleanup());
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    held = [];
    dirs = [];
  });
  return {
    add: (r) => {
      held.push(r);
      return r;
    },
    dir: (prefix) => {
      const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
      dirs.push(d);
      return d;
    },
  };
}
