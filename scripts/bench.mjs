#!/usr/bin/env node
// npm run bench: where the hooks' time goes, measured in one run on this machine.
// Prints medians and spread over repeated runs, and ratios to the cost of starting Node.
// Runs itself inside scripts/with-secret-service.sh (a private, unlocked gnome-keyring) and a
// throwaway HOME; never touches your own config or keyring.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.env.KI_SECRET_SERVICE !== '1') {
  const r = spawnSync(join(root, 'scripts/with-secret-service.sh'), [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
// BENCH_ONLY=sizes,keyring,concurrent,guards,proxy,leaks,client runs some sections (the floor always runs).
const ONLY = process.env.BENCH_ONLY?.split(',');
const want = (section) => !ONLY || ONLY.includes(section);
const CLI = join(root, 'dist/cli.js');
const FAKE = join(root, 'test/helpers/fake-claude/hooks.mjs');
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
// An empty file bundled and laid out as ours are: CommonJS, beside a {"type": "commonjs"} package.json.
const emptyBundle = join(work, 'empty.js');
writeFileSync(join(work, 'package.json'), '{"type": "commonjs"}\n');
await build({ stdin: { contents: '' }, outfile: emptyBundle, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
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
    for (let k = 0; k < 200; k++, i++)
      projects[`/home/user/project-${i}`] = {
        allowedTools: [],
        history: Array.from({ length: 8 }, (_, h) => ({ display: `prompt ${h} ${pad}`, pastedContents: {} })),
        hasTrustDialogAccepted: true,
        lastCost: 0.12,
      };
  }
  writeFileSync(join(home, '.claude.json'), JSON.stringify(config, null, 2));
  for (let k = 0; k < 10; k++) {
    execFileSync(process.execPath, [CLI, 'add', `key${k}`, '--server', `srv${k % 5}`, '--env', `KEY_${k}`, '--stdin'], {
      env,
      input: `bench-value-${k}-${process.pid}`,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
  }
  return { home, env, bytes: readFileSync(join(home, '.claude.json')).length };
}

const input = (event, extra) => JSON.stringify({ session_id: `bench-${process.pid}`, hook_event_name: event, ...extra });
const results = {};
for (const [label, mb] of want('sizes')
  ? [
      ['small', 0],
      ['5 MB', 5],
      ['20 MB', 20],
    ]
  : []) {
  const h = makeHome(mb);
  const start = [];
  const end = [];
  // The hooks' parent is this process: alive, and a node process, as a node-run Claude Code
  // is, so session-start registers it as the session's client and really injects, and
  // session-end (the last session ending) really strips. Checked after every run.
  const valuesIn = () => {
    const text = readFileSync(join(h.home, '.claude.json'), 'utf8');
    return Array.from({ length: 10 }, (_, k) => text.includes(`bench-value-${k}-${process.pid}`)).filter(Boolean).length;
  };
  // The floor again between the hook runs: on a machine shared with other work the load drifts,
  // and a ratio means something only against a floor measured under the same load.
  const floorHere = [];
  for (let r = 0; r < RUNS; r++) {
    floorHere.push(timeRun([emptyBundle]));
    start.push(timeRun([CLI, 'hook', 'session-start'], { env: h.env, input: input('SessionStart', { source: 'startup' }) }));
    if (valuesIn() !== 10) throw new Error(`session-start did not inject the 10 keys (${valuesIn()} in the config)`);
    end.push(timeRun([CLI, 'hook', 'session-end'], { env: h.env, input: input('SessionEnd', { reason: 'other' }) }));
    if (valuesIn() !== 0) throw new Error('session-end did not strip the keys');
  }
  // What any hook pays before its own work: Node, our bundle, reading and checking the input.
  const idle =
    label === 'small'
      ? stats(repeat(RUNS, () => (floorHere.push(timeRun([emptyBundle])), timeRun([CLI, 'hook', 'session-end'], { env: h.env, input: input('SessionEnd', { reason: 'clear' }) }))))
      : undefined;
  const cfg = readFileSync(join(h.home, '.claude.json'), 'utf8');
  if (cfg.includes('bench-value-')) throw new Error('a value was left in the config');
  results[label] = { start: stats(start), end: stats(end), bytes: h.bytes, floor: stats(floorHere) };
  const here = results[label].floor.median;
  console.log(`\n${label} config (${(h.bytes / 1e6).toFixed(2)} MB), 10 keys over 5 servers (each start injected all 10, each end stripped them):`);
  console.log(`  floor between these runs  ${fmt(results[label].floor)}`);
  console.log(`  hook session-start  ${fmt(results[label].start)}  = ${(results[label].start.median / here).toFixed(2)}× floor`);
  console.log(`  hook session-end    ${fmt(results[label].end)}  = ${(results[label].end.median / here).toFixed(2)}× floor`);
  if (idle) {
    results.idle = idle;
    console.log(`  hook session-end after /clear (reads its input, nothing to do)  ${fmt(idle)}  = ${(idle.median / here).toFixed(2)}× floor`);
  }
  rmSync(h.home, { recursive: true, force: true });
}

// --- the keyring's own cost: load the binding (with require, as the hooks do) and read 10 keys, in one process
if (want('keyring')) {
  const h = makeHome(0);
  const probe = join(work, 'keyring-probe.mjs');
  writeFileSync(
    probe,
    `const t0 = performance.now();
     const { AsyncEntry, findCredentialsAsync } = (await import('node:module')).createRequire(${JSON.stringify(join(root, 'package.json'))})('@napi-rs/keyring');
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
  const f = results.small?.floor.median ?? floor;
  const budget = 2 * f + load.median + getMany.median;
  if (results.small) {
    console.log(`  session-start target (2× floor + keyring): ${budget.toFixed(1)} ms; small config measured ${results.small.start.median.toFixed(1)} ms`);
    console.log(`  session-end target (1.5× floor): ${(1.5 * f).toFixed(1)} ms; small config measured ${results.small.end.median.toFixed(1)} ms`);
  }
  rmSync(h.home, { recursive: true, force: true });
}

// --- 16 concurrent sessions: 16 stand-in Claude Code processes, all started and idle first
// (as a running client is when its hooks fire), then each runs session-start and, as soon as
// that returns, session-end, all 16 at once. Each figure is one hook run as the client sees
// it: from the request to the stand-in until the hook's shell has exited.
if (want('concurrent')) {
  const h = makeHome(0);
  const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const hook = (e) => `${q(process.execPath)} ${q(CLI)} hook ${e}`;
  const standIn = () => {
    const c = spawn(process.execPath, [FAKE], { env: h.env, stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    const waiting = [];
    c.stdout.on('data', (d) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        waiting.shift()?.(JSON.parse(line));
      }
    });
    const run = (cmd, input) =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        waiting.push((r) => (r.code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd}: ${r.err}`))));
        c.stdin.write(`${JSON.stringify({ cmd, input })}\n`);
      });
    return { run, kill: () => c.kill() };
  };
  const clients = Array.from({ length: 16 }, standIn);
  // The barrier: every stand-in has started and run one command (which reads its stdin: the
  // stand-in writes one, and a command that exits first makes that write fail).
  await Promise.all(clients.map((c) => c.run('cat >/dev/null', '')));
  const pairs = await Promise.all(
    clients.map(async (c, i) => {
      const start = await c.run(hook('session-start'), { session_id: `c${i}`, hook_event_name: 'SessionStart', source: 'startup' });
      const end = await c.run(hook('session-end'), { session_id: `c${i}`, hook_event_name: 'SessionEnd', reason: 'other' });
      return [start, end];
    }),
  );
  const all = pairs.flat();
  for (const c of clients) c.kill();
  const st = stats(all);
  const over = all.filter((t) => t > 1500).length;
  const cfg = readFileSync(join(h.home, '.claude.json'), 'utf8');
  console.log(
    `\n16 concurrent start+end pairs (32 hook runs): p50 ${st.median.toFixed(1)} ms, p99 ${st.p99.toFixed(1)} ms, max ${st.max.toFixed(1)} ms; over 1.5 s: ${over}; key left in config: ${cfg.includes('bench-value-') ? 'YES' : 'no'}`,
  );
  const part = (k) => stats(pairs.map((p) => p[k]));
  console.log(`  session-start: p50 ${part(0).median.toFixed(1)} ms, max ${part(0).max.toFixed(1)} ms; session-end: p50 ${part(1).median.toFixed(1)} ms, max ${part(1).max.toFixed(1)} ms`);
  results.concurrent = { ...st, over };
  rmSync(h.home, { recursive: true, force: true });
}

// --- the guard hooks (one process per call, as Claude Code runs them)
if (want('guards')) console.log('');
if (want('guards'))
  execFileSync(process.execPath, [join(root, 'scripts/bench-guards.mjs')], { stdio: 'inherit', env: { ...process.env, BENCH_NO_BUILD: '1', BENCH_RUNS: String(Math.max(RUNS, 20)) } });
// --- the placeholder proxy of `run`
if (want('proxy')) console.log('');
if (want('proxy')) execFileSync(process.execPath, [join(root, 'scripts/bench-proxy.mjs')], { stdio: 'inherit', env: { ...process.env, BENCH_NO_BUILD: '1' } });
// --- scan: a synthetic 1 GB ~/.claude (scripts/bench-leaks.mjs)
if (want('leaks')) console.log('');
if (want('leaks')) execFileSync(process.execPath, [join(root, 'scripts/bench-leaks.mjs')], { stdio: 'inherit', env: { ...process.env, BENCH_NO_BUILD: '1' } });
// --- the real client: what the hooks cost inside a `claude -p` session (scripts/bench-client.mjs)
if (want('client')) {
  console.log('');
  execFileSync(process.execPath, [join(root, 'scripts/bench-client.mjs')], { stdio: 'inherit', env: { ...process.env, BENCH_NO_BUILD: '1', BENCH_JSON: '' } });
}
rmSync(work, { recursive: true, force: true });
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ floor: { e: floorE, bundle: floorB }, ...results }, null, 2));
