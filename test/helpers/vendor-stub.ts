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
