#!/usr/bin/env node
// The guards' cost as the real Claude Code client feels it: `claude -p` offline (fake Messages
// API on loopback, test/helpers/claude/), a scripted session of TOOL_CALLS tool calls (Read, Grep,
// Bash in turn), once with that script and once with no tool call, in configurations that are
// interleaved run by run (the order rotates every round):
//   base       no hooks at all
//   installed  `keyring-inject install` with 10 keys in a private gnome-keyring, as a user gets it:
//              the client is on PATH, so install picks http guards (the guard service) for 2.1.332+
//   installed-command  the same with `install --guards command` (a process per guard call)
//   installed-http     the same with `install --guards http`
//   node       an empty `node -e ''` command hook on PreToolUse and PostToolUse (the floor of any Node hook)
//   true       an empty `true` command hook pair (the floor of any command hook)
//   http       an http hook pair to a loopback server answering {} (the floor of an http hook)
//   before     `installed` from another build's dist/ (BENCH_CLIENT_BEFORE=<dir>), to time a change
//              against the code before it in the same interleaved rounds
// Each round gives paired differences against base of the same round, timed by the fake API's
// clock inside each run: per session start (spawn to the first request, in the run without tool
// calls: SessionStart, UserPromptSubmit; it follows the run with tool calls of the same
// configuration, so a guard service is still up: "warm"), per cold session start (the same in
// the run with tool calls, before which a lingering guard service is stopped; counted only when
// none was listening at its spawn: the first session of a user, which starts the service) and per tool call (first request to the
// last, divided by the calls: PreToolUse, the tool, PostToolUse). The whole runs' wall times are
// printed too. Medians over the rounds, with the load average printed before and after.
// KI_E2E_CLAUDE_BIN (default: the pinned test client, scripts/install-test-client.mjs),
// BENCH_CLIENT_ROUNDS (default 5), BENCH_CLIENT_CONFIGS (default base,installed,installed-command,http),
// BENCH_CLIENT_CALLS (default 20), BENCH_CLIENT_BEFORE=<dist dir> (adds `before`), BENCH_JSON=<file>,
// BENCH_CLIENT_DEBUG=1 (the client writes its debug log: the SessionStart hook and the
// UserPromptSubmit answer as the client times them, cold and warm; the log itself costs time). Runs inside scripts/with-secret-service.sh
// and throwaway HOMEs; never touches your own config or keyring.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.env.KI_SECRET_SERVICE !== '1') {
  const r = spawnSync(join(root, 'scripts/with-secret-service.sh'), [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const ROUNDS = Number(process.env.BENCH_CLIENT_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_CLIENT_CALLS ?? 20);
const CONFIGS = (process.env.BENCH_CLIENT_CONFIGS ?? 'base,installed,installed-command,http').split(',');
if (!CONFIGS.includes('base')) CONFIGS.unshift('base');
const BEFORE = process.env.BENCH_CLIENT_BEFORE;
const DEBUG = process.env.BENCH_CLIENT_DEBUG === '1';
let debugRuns = 0;
if (BEFORE && !CONFIGS.includes('before')) CONFIGS.push('before');
const CLI = join(root, 'dist/cli.js');
const CLAUDE = process.env.KI_E2E_CLAUDE_BIN || (await import(pathToFileURL(join(root, 'scripts/install-test-client.mjs')).href)).ensureTestClient();
if (!process.env.BENCH_NO_BUILD) execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });

const work = realpathSync(mkdtempSync(join(tmpdir(), 'ki-bench-client-')));
const cleanup = [];
const done = () => {
  for (const f of cleanup.reverse()) f();
  // A watchdog or service that is just exiting may still write into its HOME: retry.
  rmSync(work, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
};
process.on('exit', done);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// The fake API is TypeScript: bundle it once for this run.
const fakeApiFile = join(work, 'fake-api.mjs');
await build({ entryPoints: [join(root, 'test/helpers/claude/fake-api.ts')], outfile: fakeApiFile, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
const { startFakeApi } = await import(pathToFileURL(fakeApiFile).href);

// One project for every configuration: a few files to Read and Grep.
const project = join(work, 'project');
mkdirSync(project);
for (let i = 0; i < 5; i++) writeFileSync(join(project, `notes-${i}.txt`), `${Array.from({ length: 40 }, (_, l) => `line ${l} of notes ${i}: lorem ipsum dolor sit amet`).join('\n')}\n`);
const script = Array.from({ length: CALLS }, (_, i) => {
  const k = i % 3;
  if (k === 0) return { type: 'tool_use', name: 'Read', input: { file_path: join(project, `notes-${i % 5}.txt`) } };
  if (k === 1) return { type: 'tool_use', name: 'Grep', input: { pattern: `line ${i}`, path: project } };
  return { type: 'tool_use', name: 'Bash', input: { command: `echo step ${i} && ls ${project} | head -3` } };
});

// A loopback server answering {} to every hook (the http floor).
const emptyServer = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
await new Promise((r) => emptyServer.listen(0, '127.0.0.1', r));
cleanup.push(() => emptyServer.close());
const emptyUrl = `http://127.0.0.1:${emptyServer.address().port}/`;

// The client on PATH, as a user has it (install reads its version from there).
const baseEnv = { PATH: `${dirname(CLAUDE)}:${process.env.PATH ?? '/usr/bin:/bin'}`, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '', NO_COLOR: '1' };
const pair = (handler) => ({ PreToolUse: [{ matcher: '*', hooks: [handler] }], PostToolUse: [{ matcher: '*', hooks: [handler] }] });

function makeHome(name) {
  const home = join(work, `home-${name}`);
  mkdirSync(join(home, '.claude'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [project]: { hasTrustDialogAccepted: true } } }, null, 2), { mode: 0o600 });
  const env = { ...baseEnv, HOME: home, KEYRING_INJECT_SERVICE: `ki-bench-client-${process.pid}-${name}` };
  const settings = (s) => writeFileSync(join(home, '.claude/settings.json'), JSON.stringify(s, null, 2));
  if (name === 'node') settings({ hooks: pair({ type: 'command', command: `${process.execPath} -e ''`, timeout: 10 }) });
  if (name === 'true') settings({ hooks: pair({ type: 'command', command: 'true', timeout: 10 }) });
  if (name === 'http') settings({ hooks: pair({ type: 'http', url: emptyUrl, timeout: 10 }) });
  if (name.startsWith('installed') || name === 'before') {
    const cli = name === 'before' ? join(BEFORE, 'cli.js') : CLI;
    // As a user gets it: 10 keys over 5 servers, then install.
    const servers = {};
    for (let s = 0; s < 5; s++) servers[`srv${s}`] = { type: 'stdio', command: 'true', args: [], env: { LOG_LEVEL: 'info' } };
    const cfg = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8'));
    writeFileSync(join(home, '.claude.json'), JSON.stringify({ ...cfg, mcpServers: servers }, null, 2), { mode: 0o600 });
    for (let k = 0; k < 10; k++) {
      execFileSync(process.execPath, [cli, 'add', `key${k}`, '--server', `srv${k % 5}`, '--env', `KEY_${k}`, '--stdin'], {
        env,
        input: `bench-client-value-${k}-${process.pid}`,
        stdio: ['pipe', 'ignore', 'inherit'],
      });
    }
    const guards = name === 'installed-http' ? ['--guards', 'http'] : name === 'installed-command' ? ['--guards', 'command'] : [];
    const out = JSON.parse(execFileSync(process.execPath, [cli, 'install', '--no-mcp', '--json', ...guards], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    const http = out.hooks.PreToolUse.startsWith('POST ');
    console.log(`${name}: install${guards.length ? ` ${guards.join(' ')}` : ''} declared the guards as ${http ? 'http hooks (the guard service)' : 'command hooks'}`);
    cleanup.push(() => spawnSync(process.execPath, [cli, 'cleanup'], { env, stdio: 'ignore' }));
    const svc = http ? JSON.parse(readFileSync(join(home, '.claude/keyring-inject/guard-service.json'), 'utf8')) : undefined;
    return { name, home, env, port: svc?.port, token: svc?.token };
  }
  return { name, home, env };
}

/** Stop a lingering guard service (it says its pid to a ping with the token), so that the next run starts cold. */
async function stopService(h) {
  if (h.port === undefined) return;
  const pid = await new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: h.port, path: '/keyring-inject/ping', headers: { 'X-Keyring-Inject-Token': h.token } }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(JSON.parse(b || '{}').pid));
    });
    req.on('error', () => resolve(undefined));
  });
  if (typeof pid !== 'number') return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {}
  for (let i = 0; i < 100 && (await listening(h.port)); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Is something listening on the guard service's port (a warm start)? */
function listening(port) {
  if (port === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function runOnce(h, calls) {
  const warm = await listening(h.port);
  const api = await startFakeApi(script.slice(0, calls));
  const env = { ...h.env, ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: 'bench', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  const t0 = performance.now();
  const debugFile = DEBUG ? join(work, `debug-${h.name}-${debugRuns++}.txt`) : undefined;
  const child = spawn(CLAUDE, ['-p', 'work through the notes', '--allowedTools', 'Bash', 'Read', 'Grep', ...(debugFile ? ['--debug-file', debugFile] : [])], {
    cwd: project,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise((r) => child.on('close', r));
  clearTimeout(timer);
  const ms = performance.now() - t0;
  const reqs = api.messageRequests();
  const results = reqs.length;
  // Inside the run, from the fake API's clock: the start (spawn to the first request: SessionStart,
  // UserPromptSubmit, the client's own start-up) and the tool calls (first request to the last:
  // each call's PreToolUse, the tool, PostToolUse, and the next request).
  const start = (reqs[0]?.at ?? t0) - t0;
  const tools = calls > 0 ? ((reqs[reqs.length - 1]?.at ?? 0) - (reqs[0]?.at ?? 0)) / calls : 0;
  // Per kind of tool: request k follows tool call k-1 (its PreToolUse, the tool, its PostToolUse).
  const byTool = {};
  for (let k = 1; k < Math.min(reqs.length, calls + 1); k++) (byTool[script[k - 1].name] ??= []).push(reqs[k].at - reqs[k - 1].at);
  const perTool = Object.fromEntries(Object.entries(byTool).map(([name, xs]) => [name, xs.reduce((a, b) => a + b, 0) / xs.length]));
  await api.close();
  if (code !== 0) throw new Error(`${h.name}: claude exited ${code}: ${err.slice(0, 500)}`);
  // Every scripted call was answered (one request per call plus the first), and none was denied.
  if (results < calls + 1) throw new Error(`${h.name}: only ${results} requests for ${calls} tool calls`);
  const denied = api.allReceivedText().includes('"is_error":true');
  if (denied) throw new Error(`${h.name}: a tool call failed or was denied`);
  return { ms, start, tools, warm, perTool, ...(debugFile ? { hooks: hookTimes(debugFile) } : {}) };
}

/** From the client's debug log: how long its SessionStart hook took, and its first UserPromptSubmit http hook (ms). */
function hookTimes(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = (l) => Date.parse(l.slice(0, 24));
  const start = lines.map((l) => /Hooks: SessionStart:\S+ \[.*\] finished with status \d+ \((\d+)ms\)/.exec(l)).find(Boolean);
  const post = lines.findIndex((l) => /HTTP hook POST to \S+user-prompt-submit/.test(l));
  const answer = post >= 0 ? lines.findIndex((l, i) => i > post && /HTTP hook response status/.test(l)) : -1;
  return { sessionStart: start ? Number(start[1]) : undefined, userPrompt: answer >= 0 ? at(lines[answer]) - at(lines[post]) : undefined };
}

const median = (xs) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const range = (xs) => `${Math.min(...xs).toFixed(1)}…${Math.max(...xs).toFixed(1)}`;

const homes = Object.fromEntries(CONFIGS.map((c) => [c, makeHome(c)]));
const load0 = loadavg();
console.log(
  `keyring-inject client bench: ${CLAUDE.includes('node_modules') ? 'Claude Code ' : ''}${execFileSync(CLAUDE, ['--version'], { encoding: 'utf8' }).trim()}; ${ROUNDS} rounds × ${CONFIGS.length} configurations × (${CALLS} and 0 tool calls); node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
);
console.log(`load average before: ${load0.map((x) => x.toFixed(2)).join(' ')}`);

// Warm-up: one run of each (first starts of the client and of our runtime are slower).
for (const c of CONFIGS) await runOnce(homes[c], 1);

const times = Object.fromEntries(CONFIGS.map((c) => [c, { full: [], empty: [], start: [], startFirst: [], tools: [], cold: [], perTool: [], hooksCold: [], hooksWarm: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]);
  for (const c of order) {
    // The run with tool calls starts cold (a user's first session); the one without follows it, warm.
    await stopService(homes[c]);
    const full = await runOnce(homes[c], CALLS);
    const empty = await runOnce(homes[c], 0);
    times[c].full.push(full.ms);
    times[c].empty.push(empty.ms);
    times[c].tools.push(full.tools);
    times[c].start.push(empty.start);
    times[c].startFirst.push(full.start);
    times[c].cold.push(homes[c].port !== undefined && !full.warm);
    times[c].perTool.push(full.perTool);
    if (full.hooks) times[c][homes[c].port !== undefined && !full.warm ? 'hooksCold' : 'hooksWarm'].push(full.hooks);
    if (empty.hooks) times[c].hooksWarm.push(empty.hooks);
  }
  process.stdout.write(`  round ${r + 1}/${ROUNDS} done (load ${loadavg()[0].toFixed(2)})\n`);
}
const load1 = loadavg();

const results = {};
console.log(
  `\nbase: a session with ${CALLS} tool calls ${median(times.base.full).toFixed(0)} ms, without ${median(times.base.empty).toFixed(0)} ms; ${median(times.base.tools).toFixed(1)} ms per tool call, ${median(times.base.start).toFixed(0)} ms to the first request (medians)`,
);
console.log(`added by each configuration, medians of the per-round paired differences with base (range over rounds):`);
for (const c of CONFIGS.filter((x) => x !== 'base')) {
  // Per tool call and per session start from the API's clock inside each run (steadier: the
  // client's exit and SessionEnd are left out); the whole runs' wall times as a cross-check.
  const perCall = times[c].tools.map((t, i) => t - times.base.tools[i]);
  const start = times[c].start.map((t, i) => t - times.base.start[i]);
  const startFirst = times[c].startFirst.map((t, i) => t - times.base.startFirst[i]);
  // Cold starts: runs with tool calls that found no service listening (all of them for command guards).
  const cold = startFirst.filter((_, i) => homes[c].port === undefined || times[c].cold[i]);
  const wallStart = times[c].empty.map((t, i) => t - times.base.empty[i]);
  const wallPerCall = times[c].full.map((t, i) => (t - times.base.full[i] - wallStart[i]) / CALLS);
  results[c] = {
    perCall: median(perCall),
    perCallRange: [Math.min(...perCall), Math.max(...perCall)],
    sessionStart: median(start),
    sessionStartRange: [Math.min(...start), Math.max(...start)],
    coldSessionStart: cold.length > 0 ? median(cold) : null,
    coldRuns: cold.length,
    perToolKind: Object.fromEntries(Object.keys(times.base.perTool[0] ?? {}).map((name) => [name, median(times[c].perTool.map((p, i) => p[name] - times.base.perTool[i][name]))])),
    wallPerCall: median(wallPerCall),
    wallSession: median(wallStart),
  };
  console.log(
    `  ${c.padEnd(14)} per tool call ${median(perCall).toFixed(1).padStart(6)} ms (${range(perCall)})   per session start ${median(start).toFixed(0).padStart(5)} ms (${range(start)}; cold ${cold.length > 0 ? `${median(cold).toFixed(0)} ms (${range(cold)}, ${cold.length} runs)` : 'none'})   [whole runs: ${median(wallPerCall).toFixed(1)} ms per call, ${median(wallStart).toFixed(0)} ms per session]`,
  );
}
for (const c of CONFIGS.filter((x) => x !== 'base'))
  console.log(
    `  ${c.padEnd(14)} per kind of tool call: ${Object.entries(results[c].perToolKind)
      .map(([name, v]) => `${name} ${v.toFixed(1)} ms`)
      .join(', ')}`,
  );
if (DEBUG)
  for (const c of CONFIGS.filter((x) => x !== 'base')) {
    const of = (runs, k) => runs.map((r) => r[k]).filter((x) => x !== undefined);
    const show = (runs) => `SessionStart hook ${median(of(runs, 'sessionStart')).toFixed(0)} ms, UserPromptSubmit ${median(of(runs, 'userPrompt')).toFixed(0)} ms (${runs.length} runs)`;
    console.log(`  ${c.padEnd(14)} client's debug log, medians: cold ${show(times[c].hooksCold)}; warm ${show(times[c].hooksWarm)}`);
  }
console.log(`load average after: ${load1.map((x) => x.toFixed(2)).join(' ')}`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rounds: ROUNDS, calls: CALLS, load: [load0, load1], times, results }, null, 2));
for (const h of Object.values(homes)) await stopService(h);
process.exit(0);
