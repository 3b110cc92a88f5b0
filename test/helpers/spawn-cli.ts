// The one way tests start node as a real process: the built bundle (dist/cli.js, built from the
// current src/ by test/global-setup.ts before any test), as users run it, or any other script;
// and any other program (a shell running a command) the same way.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface SpawnOptions {
  env: Record<string, string>;
  /** Default: the env's HOME. */
  cwd?: string;
  input?: Buffer | string;
  /** SIGKILL after this many ms (default 20 000). */
  timeoutMs?: number;
}

/** What `runNode` gives back: stdout as raw bytes (binary-safe relays compare them exactly). */
export interface NodeResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** What `runCli` gives back: stdout as text. */
export interface SpawnResult extends Omit<NodeResult, 'stdout'> {
  stdout: string;
}

/** Run `node ARGS` with stdin bytes, collecting raw stdout bytes. */
export function runNode(args: readonly string[], opts: SpawnOptions): Promise<NodeResult> {
  return runProgram(process.execPath, args, opts);
}

/** Run `file ARGS` (a shell, any program) the same way. */
export function runProgram(file: string, args: readonly string[], opts: SpawnOptions): Promise<NodeResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, [...args], { env: opts.env, cwd: opts.cwd ?? opts.env.HOME, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), ms: performance.now() - t0 });
    });
    // A command that exits before reading its input closes the pipe: not the test's failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Run `keyring-inject ARGS` (dist/cli.js) as a real process. */
export async function runCli(args: readonly string[], opts: SpawnOptions): Promise<SpawnResult> {
  const r = await runNode([CLI, ...args], opts);
  return { ...r, stdout: r.stdout.toString() };
}

/** Single-quote a string for /bin/sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
