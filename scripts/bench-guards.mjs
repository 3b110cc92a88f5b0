#!/usr/bin/env node
// Latency of the guard hooks, one process per call as Claude Code runs them (node start-up
// included), with 10 registered keys in a real gnome-keyring. Prints p50/p95 per guard call.
// Runs itself inside scripts/with-secret-service.sh and a throwaway HOME; never touches your own
// config or keyring. BENCH_RUNS (default 30), BENCH_JSON=<file> to also write the numbers.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.env.KI_SECRET_SERVICE !== '1') {
  const r = spawnSync(join(root, 'scripts/with-secret-service.sh'), [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const CLI = join(root, 'dist/cli.js');
if (!process.env.BENCH_NO_BUILD) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });

// As `keyring-inject install` declares the hooks: without NODE_EXTRA_CA_CERTS.
const baseEnv = { ...process.env };
delete baseEnv.NODE_EXTRA_CA_CERTS;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const summary = (xs) => ({ p50: pct(xs, 0.5), p95: pct(xs, 0.95), max: Math.max(...xs), n: xs.length });
const fmt = (s) => `p50 ${s.p50.toFixed(1)} ms  p95 ${s.p95.toFixed(1)} ms  (max ${s.max.toFixed(1)}, n=${s.n})`;

function timeRun(args, env, input) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout.toString() };
}

function makeHome(keys) {
  const home = mkdtempSync(join(tmpdir(), 'ki-bench-guards-'));
  const env = { ...baseEnv, HOME: home, KEYRING_INJECT_SERVICE: `ki-bench-guards-${process.pid}-${keys}` };
  const mcpServers = {};
  for (let s = 0; s < 5; s++) mcpServers[`srv${s}`] = { type: 'stdio', command: 'node', args: [`server${s}.js`], env: { LOG_LEVEL: 'info' } };
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, mcpServers }, null, 2));
  const values = [];
  for (let k = 0; k < keys; k++) {
    const value = `bench-guard-value-${k}-${process.pid}-${Math.random().toString(36).slice(2)}`;
    values.push(value);
    execFileSync(process.execPath, [CLI, 'add', `key${k}`, '--server', `srv${k % 5}`, '--env', `KEY_${k}`, '--stdin'], { env, input: value, stdio: ['pipe', 'ignore', 'ignore'] });
  }
  return { home, env, values };
}

/** A state file that records one injection (PreToolUse only looks at whether there is one). */
function markInjected(home) {
  const dir = join(home, '.claude', 'keyring-inject');
  mkdirSync(dir, { recursive: true });
  const rec = { server: 'srv0', env: 'KEY_0', scope: 'user', key: 'key0', file: join(home, '.claude.json'), createdEnv: false, salt: '00', mac: '00' };
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 1, sessions: [], injected: [rec] }));
}

const sid = `bench-${process.pid}`;
const input = (event, extra) => JSON.stringify({ session_id: sid, hook_event_name: event, cwd: tmpdir(), ...extra });
const bashOut = (stdout) => ({ stdout, stderr: '', interrupted: false, isImage: false, noOutputExpected: false });
const lorem = (bytes) => 'drwxr-xr-x 2 user user 4096 Nov 23 11:07 some-file-name.txt\n'.repeat(Math.ceil(bytes / 60)).slice(0, bytes);

console.log(`keyring-inject guard bench: ${RUNS} runs per case; node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
const floorDir = mkdtempSync(join(tmpdir(), 'ki-bench-floor-'));
const empty = join(floorDir, 'empty.js');
writeFileSync(empty, '');
const results = { floor: summary(Array.from({ length: RUNS }, () => timeRun([empty], baseEnv).ms)) };
console.log(`\nfloor (node, empty script)                     ${fmt(results.floor)}`);

const h10 = makeHome(10);
const h0 = makeHome(0);
markInjected(h10.home);
const cases = [
  ['pre-tool-use, Bash ls (allowed, rewritten to mask-exec)', h10, 'pre-tool-use', input('PreToolUse', { tool_name: 'Bash', tool_input: { command: 'ls -la' } }), (o) => o.includes('mask-exec')],
  ['pre-tool-use, Bash cat ~/.claude.json (denied)', h10, 'pre-tool-use', input('PreToolUse', { tool_name: 'Bash', tool_input: { command: 'cat ~/.claude.json' } }), (o) => o.includes('"deny"')],
  ['post-tool-use, 0 keys registered (no keyring)', h0, 'post-tool-use', input('PostToolUse', { tool_name: 'Bash', tool_response: bashOut(lorem(2000)) }), (o) => o === ''],
  ['post-tool-use, 10 keys, 2 KB output, no match', h10, 'post-tool-use', input('PostToolUse', { tool_name: 'Bash', tool_response: bashOut(lorem(2000)) }), (o) => o === ''],
  [
    'post-tool-use, 10 keys, 2 KB output, 1 match',
    h10,
    'post-tool-use',
    input('PostToolUse', { tool_name: 'Bash', tool_response: bashOut(`${lorem(2000)}KEY_3=${h10.values[3]}\n`) }),
    (o) => o.includes('[keyring-inject:key3]'),
  ],
  [
    'post-tool-use, 10 keys, 1 MB output, no match',
    h10,
    'post-tool-use',
    input('PostToolUse', { tool_name: 'Read', tool_response: { type: 'text', file: { filePath: '/x', content: lorem(1_000_000) } } }),
    (o) => o === '',
  ],
  ['user-prompt-submit, 10 keys, clean prompt', h10, 'user-prompt-submit', input('UserPromptSubmit', { prompt: 'please refactor src/app.ts and run the tests' }), (o) => o === ''],
];
for (const [label, h, event, stdin, check] of cases) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const r = timeRun([CLI, 'guard', event], h.env, stdin);
    if (!check(r.stdout.trim())) throw new Error(`${label}: unexpected output`);
    if (h.values.some((v) => r.stdout.includes(v))) throw new Error(`${label}: a value in the output`);
    times.push(r.ms);
  }
  results[label] = summary(times);
  console.log(`${label.padEnd(48)} ${fmt(results[label])}`);
}

// The keyring round trip alone, inside one process: what post-tool-use / user-prompt-submit pay on top.
{
  const probe = join(h10.home, 'probe.mjs');
  writeFileSync(
    probe,
    `const { AsyncEntry, findCredentialsAsync } = await import(${JSON.stringify(join(root, 'node_modules/@napi-rs/keyring/index.js'))});
     const t0 = performance.now();
     await findCredentialsAsync(process.env.KEYRING_INJECT_SERVICE);
     console.log(JSON.stringify({ getMany: performance.now() - t0 }));`,
  );
  const xs = Array.from({ length: RUNS }, () => JSON.parse(execFileSync(process.execPath, [probe], { env: h10.env, encoding: 'utf8' })).getMany);
  results['keyring getMany (10 keys, in-process)'] = summary(xs);
  console.log(`${'keyring getMany of 10 keys (in-process only)'.padEnd(48)} ${fmt(results['keyring getMany (10 keys, in-process)'])}`);
}

// PostToolUse masking alone, as a hook process pays it (a fresh process, so cold code): 10 keys in
// every form, a 1 MB Read output, no match. Independent of the keyring and of node start-up.
{
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'ki-bench-mask-'));
  const bundle = join(dir, 'mask.mjs');
  await build({ entryPoints: [join(root, 'src/guards/mask.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
  const probe = join(dir, 'probe.mjs');
  writeFileSync(
    probe,
    `import { makeMasker } from ${JSON.stringify(bundle)};
     const content = ${JSON.stringify(lorem(1_000_000))};
     const values = Array.from({ length: 10 }, (_, k) => ({ name: 'key' + k, value: 'bench-guard-value-' + k + '-' + Math.random().toString(36).slice(2) }));
     const t0 = performance.now();
     const r = makeMasker(values).maskDeep({ type: 'text', file: { filePath: '/x', content } });
     if (r.changed) throw new Error('a match');
     console.log(JSON.stringify({ ms: performance.now() - t0 }));`,
  );
  const xs = Array.from({ length: RUNS }, () => JSON.parse(execFileSync(process.execPath, [probe], { encoding: 'utf8' })).ms);
  results['masking alone, 10 keys, 1 MB (fresh process)'] = summary(xs);
  console.log(`${'masking alone, 10 keys, 1 MB (fresh process)'.padEnd(48)} ${fmt(results['masking alone, 10 keys, 1 MB (fresh process)'])}`);
  rmSync(dir, { recursive: true, force: true });
}

for (const h of [h10, h0]) rmSync(h.home, { recursive: true, force: true });
rmSync(floorDir, { recursive: true, force: true });
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
