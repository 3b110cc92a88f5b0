#!/usr/bin/env node
// Speed of `keyring-inject scan` over a synthetic Claude Code config dir of BENCH_LEAKS_MB
// (default 1024) MB: transcripts (JSON lines of a few KB), prompt history, debug logs, with 10
// stored keys (env-file source: no keyring round trip in the figure) and a few planted in several
// forms. Generated in a temp HOME and removed afterwards. The files are in the page cache after
// they are written, so this measures the scan, not the disk. Prints MB/s. BENCH_LEAKS_KEEP=1
// keeps the tree (to profile a scan of it). Also: the cost of one audit-trail write.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'dist/cli.js');
if (!process.env.BENCH_NO_BUILD) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
const MB = Number(process.env.BENCH_LEAKS_MB ?? 1024);
const RUNS = Number(process.env.BENCH_LEAKS_RUNS ?? 3);

const home = mkdtempSync(join(tmpdir(), 'ki-bench-leaks-'));
try {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };
  const keys = Array.from({ length: 10 }, (_, i) => [`key${i}`, `bench-${i}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`]);
  const envFile = join(home, 'keys.env');
  writeFileSync(envFile, keys.map(([n, v]) => `${n.toUpperCase()}=${v}\n`).join(''), { mode: 0o600 });
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ mcpServers: { svc: { type: 'stdio', command: 'svc' } } }));
  for (const [n] of keys)
    execFileSync(process.execPath, [CLI, 'add', n, '--source', 'env-file', '--id', n.toUpperCase(), '--meta', `path=${envFile}`, '--server', 'svc', '--env', n.toUpperCase()], {
      env,
      stdio: 'ignore',
    });

  // One 4 MB transcript body, written again and again: realistic lines, no key in them.
  const lines = [];
  let size = 0;
  for (let i = 0; size < 4e6; i++) {
    const l = `${JSON.stringify({ parentUuid: `p-${i}`, type: i % 2 ? 'assistant' : 'user', message: { role: 'user', content: [{ type: 'tool_result', content: `output line ${i} `.repeat(40 + (i % 60)) }] }, uuid: `u-${i}`, timestamp: '2026-12-04T08:00:00.000Z', sessionId: 'bench' })}\n`;
    lines.push(l);
    size += l.length;
  }
  const body = lines.join('');
  const files = Math.max(1, Math.round((MB * 1e6) / body.length));
  const projects = join(home, '.claude', 'projects');
  for (let d = 0; d < 10; d++) mkdirSync(join(projects, `-home-user-p${d}`), { recursive: true });
  let bytes = 0;
  for (let f = 0; f < files; f++) {
    const [name, value] = keys[f % 10];
    // Every 20th file holds a key: as is, base64 or URL-encoded.
    const leak = f % 20 === 0 ? `${JSON.stringify({ type: 'assistant', note: [value, Buffer.from(`x${value}`).toString('base64'), encodeURIComponent(`${value}&`)][f % 3] })}\n` : '';
    const text = body + leak;
    writeFileSync(join(projects, `-home-user-p${f % 10}`, `${name}-${f}.jsonl`), text);
    bytes += text.length;
  }
  mkdirSync(join(home, '.claude', 'debug'), { recursive: true });
  writeFileSync(join(home, '.claude', 'history.jsonl'), lines.slice(0, 2000).join(''));
  console.log(`leak scan: ${files} transcripts, ${(bytes / 1e6).toFixed(0)} MB, 10 keys (13 forms each)`);
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, [CLI, 'scan', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 3) throw new Error(`scan exited ${res.status}: ${res.stderr}`);
    const found = JSON.parse(res.stdout.toString()).findings.length;
    if (found !== Math.ceil(files / 20)) throw new Error(`scan found ${found} occurrences, expected ${Math.ceil(files / 20)}`);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `leak scan: median ${(median / 1000).toFixed(2)} s over ${RUNS} runs (min ${(times[0] / 1000).toFixed(2)} s) = ${(bytes / 1e6 / (median / 1000)).toFixed(0)} MB/s (warm page cache, node start-up included)`,
  );

  // The audit trail's write, as the hooks make it (one line per use of a key): in-process, per call.
  const bundle = join(home, 'audit.cjs');
  await build({ entryPoints: [join(root, 'src/core/audit-trail.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
  const { audit } = createRequire(import.meta.url)(bundle);
  const paths = { dataDir: join(home, 'audit-data') };
  const N = 2000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) audit(paths, { event: 'exec', keys: ['key1', 'key2'], server: 'svc', program: 'node' }, {});
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / N;
  console.log(`audit write: ${us.toFixed(1)} µs per line (${N} lines, settings read and rotation check included)`);
} finally {
  if (process.env.BENCH_LEAKS_KEEP) console.log(`kept ${home}`);
  else rmSync(home, { recursive: true, force: true });
}
