#!/usr/bin/env node
// npm run bench: where the hooks' time goes, measured in one run on this machine.
// Prints medians and spread over repeated runs, and ratios to the cost of starting Node.
// Runs itself inside scripts/with-secret-service.sh (a private, unlocked gnome-keyring) and a
// throwaway HOME; never touches your own config or keyring.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.env.KI_SECRET_SERVICE !== '1') {
  const r = spawnSync(join(root, 'scripts/with-secret-service.sh'), [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const CLI = join(root, 'dist/cli.js');
const FAKE = join(root, 'test/helpers/fake-claude.mjs');
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });

// Hooks start without NODE_EXTRA_CA_CERTS, as `keyring-inject install` declares them: they do no network I/O.
const baseEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS;

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), p99: q(0.99), max: s[s.length - 1] };
};
const fmt = (st) => `${st.median.toFixed(1)} ms (p10 ${st.p10.toFixed(1)}, p90 ${st.p90.toFixed(1)})`;
function timeRun(args, { env = baseEnv, input } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, input, stdio: ['pipe', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const repeat = (n, f) => Array.from({ length: n }, f);

console.log(`keyring-inject bench: ${RUNS} runs each; node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);

// --- the floor
const work = mkdtempSync(join(tmpdir(), 'ki-bench-'));
const emptyBundle = join(work, 'empty.mjs');
writeFileSync(emptyBundle, '');
const floorE = stats(repeat(RUNS, () => timeRun(['-e', ''])));
const floorB = stats(repeat(RUNS, () => timeRun([emptyBundle])));
const floorCA = process.env.NODE_EXTRA_CA_CERTS ? stats(repeat(RUNS, () => timeRun(['-e', ''], { env: process.env }))) : undefined;
const floor = floorB.median;
console.log(`\nfloor: node -e ''            ${fmt(floorE)}`);
console.log(`floor: node empty bundle     ${fmt(floorB)}`);
if (floorCA) console.log(`       (with NODE_EXTRA_CA_CERTS set: ${fmt(floorCA)})`);

// --- a HOME with 10 keys over 5 servers
function makeHome(sizeMb) {
  const home = mkdtempSync(join(tmpdir(), 'ki-bench-home-'));
  const env = { ...baseEnv, HOME: home, KEYRING_INJECT_SERVICE: `ki-bench-${process.pid}` };
  const mcpServers = {};
  for (let s = 0; s < 5; s++) mcpServers[`srv${s}`] = { type: 'stdio', command: 'node', args: [`server${s}.js`], env: { LOG_LEVEL: 'info' } };
  const projects = {};
  const pad = 'x'.repeat(200);
  let i = 0;
  const config = { numStartups: 12, hasCompletedOnboarding: true, mcpServers, projects };
  while (sizeMb > 0 && JSON.stringify(config).length < sizeMb * 1e6) {
    for (let k = 0; k < 200; k++, i++) projects[`/home/user/project-${i}`] = { allowedTools: [], history: Array.from({ length: 8 }, (_, h) => ({ display: `prompt ${h} ${pad}`, pastedContents: {} })), hasTrustDialogAccepted: true, lastCost: 0.12 };
  }
  writeFileSync(join(home, '.claude.json'), JSON.stringify(config, null, 2));
  for (let k = 0; k < 10; k++) {
    execFileSync(process.execPath, [CLI, 'add', `key${k}`, '--server', `srv${k % 5}`, '--env', `KEY_${k}`, '--stdin'], { env, input: `bench-value-${k}-${process.pid}`, stdio: ['pipe', 'ignore', 'ignore'] });
  }
  return { home, env, bytes: readFileSync(join(home, '.claude.json')).length };
}

const input = (event, extra) => JSON.stringify({ session_id: `bench-${process.pid}`, hook_event_name: event, ...extra });
const results = {};
for (const [label, mb] of [['small', 0], ['5 MB', 5], ['20 MB', 20]]) {
  const h = makeHome(mb);
  const start = [];
  const end = [];
  for (let r = 0; r < RUNS; r++) {
    start.push(timeRun([CLI, 'hook', 'session-start'], { env: h.env, input: input('SessionStart', { source: 'startup' }) }));
    end.push(timeRun([CLI, 'hook', 'session-end'], { env: h.env, input: input('SessionEnd', { reason: 'other' }) }));
  }
  const cfg = readFileSync(join(h.home, '.claude.json'), 'utf8');
  if (cfg.includes('bench-value-')) throw new Error('a value was left in the config');
  results[label] = { start: stats(start), end: stats(end), bytes: h.bytes };
  console.log(`\n${label} config (${(h.bytes / 1e6).toFixed(2)} MB), 10 keys over 5 servers:`);
  console.log(`  hook session-start  ${fmt(results[label].start)}  = ${(results[label].start.median / floor).toFixed(2)}× floor`);
  console.log(`  hook session-end    ${fmt(results[label].end)}  = ${(results[label].end.median / floor).toFixed(2)}× floor`);
  rmSync(h.home, { recursive: true, force: true });
}

// --- the keyring's own cost: load the binding and read 10 keys, in one process
{
  const h = makeHome(0);
  const probe = join(work, 'keyring-probe.mjs');
  writeFileSync(
    probe,
    `const t0 = performance.now();
     const { AsyncEntry, findCredentialsAsync } = await import(${JSON.stringify(join(root, 'node_modules/@napi-rs/keyring/index.js'))});
     const t1 = performance.now();
     const all = await findCredentialsAsync(process.env.KEYRING_INJECT_SERVICE);
     const t2 = performance.now();
     for (let k = 0; k < 10; k++) await new AsyncEntry(process.env.KEYRING_INJECT_SERVICE, 'key' + k, { linux: { store: 'secret-service' } }).getPassword();
     const t3 = performance.now();
     if (all.length !== 10) throw new Error('expected 10 items');
     console.log(JSON.stringify({ load: t1 - t0, getMany: t2 - t1, get10: t3 - t2 }));`,
  );
  const samples = repeat(RUNS, () => JSON.parse(execFileSync(process.execPath, [probe], { env: h.env, encoding: 'utf8' })));
  const load = stats(samples.map((s) => s.load));
  const get10 = stats(samples.map((s) => s.get10));
  const getMany = stats(samples.map((s) => s.getMany));
  console.log(`\nkeyring (Secret Service): load binding ${fmt(load)}; all 10 keys over one connection (what the hook does) ${fmt(getMany)}; 10 single reads ${fmt(get10)}`);
  results.keyring = { load, getMany, get10 };
  const budget = 2 * floor + load.median + getMany.median;
  console.log(`  session-start target (2× floor + keyring): ${budget.toFixed(1)} ms; small config measured ${results.small.start.median.toFixed(1)} ms`);
  console.log(`  session-end target (1.5× floor): ${(1.5 * floor).toFixed(1)} ms; small config measured ${results.small.end.median.toFixed(1)} ms`);
  rmSync(h.home, { recursive: true, force: true });
}

// --- 16 concurrent sessions, each a stand-in Claude Code process running start then end
{
  const h = makeHome(0);
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const hook = (e) => `${q(process.execPath)} ${q(CLI)} hook ${e}`;
  const pair = (i) =>
    new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [FAKE], { env: h.env, stdio: ['pipe', 'pipe', 'inherit'] });
      let buf = '';
      const times = [];
      let t0 = performance.now();
      const send = (e, inp) => {
        t0 = performance.now();
        c.stdin.write(`${JSON.stringify({ cmd: hook(e), input: inp })}\n`);
      };
      c.stdout.on('data', (d) => {
        buf += d;
        while (buf.includes('\n')) {
          const line = buf.slice(0, buf.indexOf('\n'));
          buf = buf.slice(buf.indexOf('\n') + 1);
          const r = JSON.parse(line);
          if (r.code !== 0) return reject(new Error(r.err));
          times.push(performance.now() - t0);
          if (times.length === 1) send('session-end', { session_id: `c${i}`, hook_event_name: 'SessionEnd', reason: 'other' });
          else {
            c.kill();
            resolve(times);
          }
        }
      });
      send('session-start', { session_id: `c${i}`, hook_event_name: 'SessionStart', source: 'startup' });
    });
  const all = (await Promise.all(Array.from({ length: 16 }, (_, i) => pair(i)))).flat();
  const st = stats(all);
  const over = all.filter((t) => t > 1500).length;
  const cfg = readFileSync(join(h.home, '.claude.json'), 'utf8');
  console.log(`\n16 concurrent start+end pairs (32 hook runs): p50 ${st.median.toFixed(1)} ms, p99 ${st.p99.toFixed(1)} ms, max ${st.max.toFixed(1)} ms; over 1.5 s: ${over}; key left in config: ${cfg.includes('bench-value-') ? 'YES' : 'no'}`);
  results.concurrent = { ...st, over };
  rmSync(h.home, { recursive: true, force: true });
}

// --- the guard hooks (one process per call, as Claude Code runs them)
console.log('');
execFileSync(process.execPath, [join(root, 'scripts/bench-guards.mjs')], { stdio: 'inherit', env: { ...process.env, BENCH_NO_BUILD: '1', BENCH_RUNS: String(Math.max(RUNS, 20)) } });
rmSync(work, { recursive: true, force: true });
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ floor: { e: floorE, bundle: floorB }, ...results }, null, 2));
