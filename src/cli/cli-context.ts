// What a command needs from the outside world, passed in so that tests can run commands
// in-process with a memory keyring, a temporary HOME and captured output.
import type { Readable, Writable } from 'node:stream';
import { KiError } from '../core/errors.js';
import { childProcess } from '../core/lazy-load.js';
import { realpathSync } from 'node:fs';
import { setPriority } from 'node:os';
import { claudePaths, type Env } from '../core/paths.js';
import type { OpsContext } from '../ops/ops-context.js';
import { identify, type ProcessId } from '../core/process-info.js';
import type { SecretBackend } from '../keyring/backend.js';
import { openBackend } from '../keyring/select.js';

/** The use cases' context plus the terminal: commands parse, prompt and render; ops do the work. */
export interface CliContext extends OpsContext {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  /** Resolves once what was written to stdout/stderr has left the process (pipes are asynchronous on macOS). */
  flush?: () => Promise<void>;
}

const WATCHDOG_NICENESS = 10;

/** The watchdog: our own bundle, detached in a session of its own so that it outlives the hook. */
function spawnWatchdogProcess(env: Env): ProcessId | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  const child = childProcess().spawn(process.execPath, [realpathSync(script), 'watchdog'], { detached: true, stdio: 'ignore', cwd: '/', env: env as NodeJS.ProcessEnv });
  child.unref();
  // Its start-up (a Node start) is not needed for seconds: it must not take CPU from the session
  // that is starting (on two cores it competes with the hook, the client and the guard service).
  try {
    if (child.pid !== undefined) setPriority(child.pid, WATCHDOG_NICENESS);
  } catch {
    // not allowed here: it runs at ours
  }
  return child.pid === undefined ? undefined : identify(child.pid);
}

/** process.cwd(), or one line naming the fix when the directory was deleted under the shell (Node throws uv_cwd ENOENT). */
function currentDirectory(): string {
  try {
    return process.cwd();
  } catch (err) {
    throw new KiError('file-io', 'the current directory no longer exists (deleted?): cd to an existing directory and run the command again', { cause: err });
  }
}

export function processContext(): CliContext {
  let backend: SecretBackend | undefined;
  let cwd: string | undefined;
  const opened = new Set<NodeJS.WriteStream>();
  const open = (s: NodeJS.WriteStream) => (opened.add(s), s);
  return {
    env: process.env,
    // Read when a command needs it: a deleted directory is then that command's one-line error,
    // and commands that need no directory (--version, help) still work.
    get cwd() {
      cwd ??= currentDirectory();
      return cwd;
    },
    // Getters: Node builds a stdio stream (and loads its modules) on first access, which a
    // hook that prints nothing need never pay for.
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return open(process.stdout);
    },
    get stderr() {
      return open(process.stderr);
    },
    // An empty write completes after every write before it.
    flush: async () => {
      await Promise.all([...opened].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
    },
    paths: claudePaths(process.env),
    backend: () => (backend ??= openBackend(process.env)),
    now: () => new Date(),
    spawnWatchdog: () => spawnWatchdogProcess(process.env),
  };
}

/** Writers for the three kinds of output a command makes. Prompts and notes go to stderr so stdout stays parseable. */
export function output(ctx: CliContext) {
  const color = () => !ctx.env.NO_COLOR && ctx.stderr.isTTY === true && ctx.env.TERM !== 'dumb';
  const paint = (code: string, text: string) => (color() ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    line: (text: string) => ctx.stdout.write(`${text}\n`),
    json: (value: unknown) => ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (text: string) => ctx.stderr.write(`${text}\n`),
    warn: (text: string) => ctx.stderr.write(`${paint('33', 'warning:')} ${text}\n`),
    error: (text: string) => ctx.stderr.write(`${paint('31', 'keyring-inject:')} ${text}\n`),
  };
}
