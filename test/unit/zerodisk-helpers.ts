// Test helpers for zero-disk commands (not a test file itself).
//
// - runCommand: what main() does around a command (help, one-line errors, exit codes), for
//   calling a command's run() in-process with a memory keyring.
// - zerodiskCli: a bundle that has the zero-disk commands, for spawned-process tests. It is
//   dist/cli.js once those commands are registered there; until then a test bundle built from
//   test/integration/zerodisk-entry.ts (same esbuild settings, named cli.js so that wrap accepts it).
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
export { runCommand } from './zerodisk-run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST_CLI = `${ROOT}dist/cli.js`;
let built: string | undefined;

/** Path of a cli.js that knows exec/run/headers/wrap/unwrap/import/doctor. */
export async function zerodiskCli(): Promise<string> {
  if (built) return built;
  let dist = '';
  try {
    dist = readFileSync(DIST_CLI, 'utf8');
  } catch {
    dist = '';
  }
  if (process.env.KI_ZD_OWN_BUNDLE !== '1' && ['exec', 'wrap', 'headers', 'run', 'import', 'doctor', 'unwrap'].every((n) => dist.includes(`name: "${n}"`))) {
    built = DIST_CLI;
    return built;
  }
  // Inside node_modules so that the external native binding resolves; one directory per process.
  const base = `${ROOT}node_modules/.cache/keyring-inject-zerodisk`;
  const dir = `${base}/${process.pid}`;
  // Directories of test processes that are gone (a killed worker skips its exit handler).
  for (const name of existsSync(base) ? readdirSync(base) : []) {
    if (/^\d+$/.test(name) && !pidAlive(Number(name))) rmSync(`${base}/${name}`, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/package.json`, '{"type": "commonjs"}\n');
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['test/integration/zerodisk-entry.ts'],
    outfile: `${dir}/cli.js`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['@napi-rs/keyring'],
    alias: { 'graceful-fs': './src/shims/graceful-fs.cjs' },
    logOverride: { 'empty-import-meta': 'silent' },
    legalComments: 'none',
    logLevel: 'error',
  });
  built = `${dir}/cli.js`;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return built;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
