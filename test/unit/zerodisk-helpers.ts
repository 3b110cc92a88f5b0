// Test helpers for zero-disk commands (not a test file itself).
//
// - runCommand: what main() does around a command (help, one-line errors, exit codes), for
//   calling a command's run() in-process with a memory keyring.
// - zerodiskCli: the bundle users run, dist/cli.js (built by test/global-setup.ts before any test).
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';

export const DIST_CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Path of the cli.js that the spawned-process tests run. */
export async function zerodiskCli(): Promise<string> {
  return DIST_CLI;
}

export interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** Run `node <cli> ARGS` with stdin bytes, collecting raw stdout bytes. */
export function spawnNode(args: readonly string[], opts: { env: Record<string, string>; cwd?: string; input?: Buffer | string; timeoutMs?: number }): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...args], { env: opts.env, cwd: opts.cwd ?? opts.env.HOME, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, ms: performance.now() - t0 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
