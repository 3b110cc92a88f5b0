// Stand-in executables for vendor CLIs that cannot be installed here (op, doppler, aws, gcloud).
// Each is a small node script on PATH that logs the argv, environment and stdin it received to
// a file whose path is baked into the script (so the log does not depend on the environment we
// pass), and answers from a table keyed by the exact argv: anything else exits 3.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StubAnswer {
  stdout?: string;
  stderr?: string;
  code?: number;
  /** Wait this long before answering. */
  sleepMs?: number;
  /** Start a detached `sleep 30` that inherits stdout/stderr and write its pid to this file. */
  orphanPidFile?: string;
}

export interface StubCall {
  argv: string[];
  env: Record<string, string>;
  stdin: string;
}

export function writeStub(dir: string, bin: string, answers: Record<string, StubAnswer>): { calls: () => StubCall[] } {
  const log = join(dir, `${bin}.calls.jsonl`);
  const table = Object.fromEntries(Object.entries(answers).map(([argv, a]) => [argv, a]));
  const script = `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
let stdin = '';
try { stdin = fs.readFileSync(0, 'utf8'); } catch { stdin = '<unreadable>'; }
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: args, env: process.env, stdin }) + '\\n');
const table = ${JSON.stringify(table)};
const a = table[JSON.stringify(args)];
if (!a) { process.stderr.write('stub: unexpected argv\\n'); process.exit(3); }
const answer = () => {
  if (a.orphanPidFile) {
    const c = require('child_process').spawn('sleep', ['30'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
    fs.writeFileSync(a.orphanPidFile, String(c.pid));
    c.unref();
  }
  if (a.stdout) process.stdout.write(a.stdout);
  if (a.stderr) process.stderr.write(a.stderr);
  process.exitCode = a.code || 0;
};
if (a.sleepMs) setTimeout(answer, a.sleepMs); else answer();
`;
  writeFileSync(join(dir, bin), script);
  chmodSync(join(dir, bin), 0o755);
  return {
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as StubCall)
        : [],
  };
}

/** Key of the answer table: the exact argv. */
export const argvKey = (...args: string[]): string => JSON.stringify(args);

/**
 * A bundle of the current src/cli.ts (same esbuild settings as scripts/build.mjs), for tests that
 * spawn the CLI as users run it. Built once per test process inside node_modules so that the
 * external native keyring binding resolves; removed when the process exits.
 */
let built: string | undefined;
export async function sourcesCli(): Promise<string> {
  if (built) return built;
  const { build } = await import('esbuild');
  const { mkdirSync, readdirSync, rmSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const base = join(root, 'node_modules', '.cache', 'keyring-inject-sources');
  // Bundles of test processes that are gone (a test worker is killed before its exit handler runs).
  for (const name of existsSync(base) ? readdirSync(base) : []) {
    if (/^\d+$/.test(name) && !pidAlive(Number(name))) rmSync(join(base, name), { recursive: true, force: true });
  }
  const out = join(base, String(process.pid));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'package.json'), '{"type": "commonjs"}\n');
  await build({
    absWorkingDir: root,
    entryPoints: ['src/cli.ts'],
    outfile: join(out, 'cli.js'),
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
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  built = join(out, 'cli.js');
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
