// e2e
// The injection engine end to end, with the REAL Claude Code client offline (fake Messages API on
// loopback), a real gnome-keyring (scripts/with-secret-service.sh) and the built bundle
// dist/cli.js as hooks, launcher and watchdog. Every test has its own temp HOME; the value under
// test is random and is looked for in every file under that tree after the last session.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startFakeApi, DEFAULT_FAKE_TEXT, type FakeApi, type FakeApiScript } from '../helpers/claude/fake-api.js';
import {
  CLAUDE_BIN,
  ENV_RECORDER_PATH,
  claudeEnv,
  killAllClaude,
  makeClaudeHome,
  readRecorderReports,
  recorderServer,
  runClaude,
  sha256Hex,
  spawnClaude,
  waitForClaude,
  type ClaudeHome,
  type ClaudeResult,
  type McpServerConfig,
} from '../helpers/claude/home.js';
import { filesContaining } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { killAll, watchdogsFor } from '../helpers/processes.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { CLI, runCli, type SpawnResult, shellQuote } from '../helpers/spawn-cli.js';

const NODE = process.execPath;
const VAR = 'KI_E2E_TOKEN';
const KEY = 'e2ekey';
const TEST_TIMEOUT_MS = 90_000;

/** Numbers measured across the file, printed at the end for the report. */
const measured: { hookMs: { event: string; rc: number; ms: number }[]; killToGoneMs: number[]; watchdogGoneMs: number[] } = {
  hookMs: [],
  killToGoneMs: [],
  watchdogGoneMs: [],
};

interface Env {
  api: FakeApi;
  home: ClaudeHome;
  value: string;
  /** Env for our CLI run directly by the test (runCli). */
  cliEnv: Record<string, string>;
  /** Extra env for the client (and so for its hooks, its MCP servers and the launcher). */
  claudeExtraEnv: Record<string, string>;
  reportFile: string;
  /** Hook runs: lines "<event> <exit status> <duration ms> <start epoch ms>". */
  timingFile: string;
  /** stderr of our hook commands. */
  hookErrFile: string;
  /** stdout of our SessionStart hook commands (as also given to the client). */
  hookOutFile: string;
  originalServers: Record<string, McpServerConfig>;
}

let current: Env | undefined;
const extraApis: FakeApi[] = [];

/** The hook command for `event`, timed and with stderr/stdout captured OUTSIDE the temp HOME. */
function hookCommand(event: 'session-start' | 'session-end', outside: string): string {
  const q = shellQuote;
  const tmpOut = `${q(path.join(outside, `hook-out-${event}`))}.$$`;
  return [
    's=$(date +%s%N)',
    `${q(NODE)} ${q(CLI)} hook ${event} >${tmpOut} 2>>${q(path.join(outside, 'hook-stderr.log'))}`,
    'rc=$?',
    'e=$(date +%s%N)',
    `cat ${tmpOut}`,
    `cat ${tmpOut} >>${q(path.join(outside, 'hook-stdout.log'))}`,
    `rm -f ${tmpOut}`,
    `echo "${event} $rc $(( (e - s) / 1000000 )) $(( s / 1000000 ))" >>${q(path.join(outside, 'hook-timing.log'))}`,
  ].join('; ');
}

function hookSettings(outside: string): Record<string, unknown> {
  const entry = (event: 'session-start' | 'session-end') => [{ hooks: [{ type: 'command', command: hookCommand(event, outside), timeout: 30 }] }];
  return { hooks: { SessionStart: entry('session-start'), SessionEnd: entry('session-end') } };
}

interface SetupOptions {
  /** false: the recorder entry has no `env` object, so injection has to create one. */
  recorderHasEnv?: boolean;
  api?: FakeApiScript;
  extraServers?: Record<string, McpServerConfig>;
}

/** A temp HOME with the recorder MCP server and our hooks (settings.json), and KEY registered in the real keyring. */
async function setup(opts: SetupOptions = {}): Promise<Env> {
  const value = testSecret('inj');
  const service = testService();
  const api = await startFakeApi(opts.api);
  let reportFile = '';
  let originalServers: Record<string, McpServerConfig> = {};
  const home = makeClaudeHome(({ outsideDir }) => {
    reportFile = path.join(outsideDir, 'recorder.jsonl');
    const recorder: McpServerConfig =
      opts.recorderHasEnv === false
        ? { type: 'stdio', command: NODE, args: [ENV_RECORDER_PATH] } // report file etc. come from the client's env
        : recorderServer(reportFile, [VAR]);
    originalServers = { recorder, ...opts.extraServers };
    return {
      mcpServers: originalServers,
      settings: hookSettings(outsideDir),
    };
  });
  const bus = process.env.DBUS_SESSION_BUS_ADDRESS ?? '';
  const cliEnv: Record<string, string> = {
    HOME: home.home,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DBUS_SESSION_BUS_ADDRESS: bus,
    KEYRING_INJECT_SERVICE: service,
    NO_COLOR: '1',
  };
  const claudeExtraEnv: Record<string, string> = {
    DBUS_SESSION_BUS_ADDRESS: bus,
    KEYRING_INJECT_SERVICE: service,
    NO_COLOR: '1',
    KEYRING_INJECT_CLAUDE_BIN: CLAUDE_BIN,
    KI_TEST_REPORT_FILE: reportFile,
    KI_TEST_WATCH_VARS: VAR,
  };
  const env: Env = {
    api,
    home,
    value,
    cliEnv,
    claudeExtraEnv,
    reportFile,
    timingFile: path.join(home.outsideDir, 'hook-timing.log'),
    hookErrFile: path.join(home.outsideDir, 'hook-stderr.log'),
    hookOutFile: path.join(home.outsideDir, 'hook-stdout.log'),
    originalServers,
  };
  current = env;
  const add = await runCli(['add', KEY, '--server', 'recorder', '--env', VAR, '--stdin', '--json'], { env: cliEnv, input: `${value}\n` });
  expect(add.code, add.stderr).toBe(0);
  expect(JSON.parse(add.stdout)).toMatchObject({ name: KEY, stored: true });
  // Registering a key injects nothing: the value is in no file yet.
  expect(leaks(env)).toEqual([]);
  return env;
}

/** Run the launcher `keyring-inject claude ARGS` as a user would, with the client's env. */
function runLauncher(e: Env, args: readonly string[], api: FakeApi = e.api): Promise<SpawnResult> {
  const env = claudeEnv(e.home, { api, env: e.claudeExtraEnv });
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) plain[k] = v;
  return runCli(['claude', ...args], { env: plain, cwd: e.home.projectDir, timeoutMs: 60_000 });
}

function startClaude(e: Env, args: readonly string[], api: FakeApi = e.api): ChildProcess {
  return spawnClaude(e.home, args, { api, env: e.claudeExtraEnv });
}

/** Every file under the whole temp tree (HOME, project, outside) that holds the value. */
function leaks(e: Env): string[] {
  return filesContaining(e.value, [e.home.root]).sort();
}

let parseFailures = 0;
/** The value at mcpServers.recorder.env.VAR on disk now (undefined when absent). */
function configValue(e: Env): string | undefined {
  let cfg: Record<string, unknown>;
  try {
    cfg = e.home.readConfig();
  } catch {
    parseFailures++;
    return undefined;
  }
  const servers = cfg['mcpServers'] as Record<string, { env?: Record<string, string> }> | undefined;
  return servers?.['recorder']?.env?.[VAR];
}

/** The hook runs recorded by hookCommand: event, exit status, duration, start (epoch ms). */
function hookTimings(e: Env): { event: string; rc: number; ms: number; startEpochMs: number }[] {
  let text = '';
  try {
    text = fs.readFileSync(e.timingFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [event, rc, ms, start] = l.trim().split(' ');
      return { event: event ?? '', rc: Number(rc), ms: Number(ms), startEpochMs: Number(start) };
    });
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function expectClaudeOk(res: ClaudeResult | SpawnResult, what: string): void {
  expect('timedOut' in res ? res.timedOut : false, `${what} timed out; stderr: ${res.stderr}`).toBe(false);
  expect(res.code, `${what}: stderr: ${res.stderr}`).toBe(0);
  expect(res.stdout, what).toContain(DEFAULT_FAKE_TEXT);
}

/**
 * After the last session: no value in any file, the config parses and its servers are exactly as
 * configured (our env var gone; an env object we created gone too), hooks ran without error, no
 * watchdog of this HOME left, and `status` reports nothing injected and no leftovers.
 */
async function expectAllClean(e: Env, outputs: readonly string[], servers: Record<string, McpServerConfig> = e.originalServers): Promise<void> {
  expect(leaks(e)).toEqual([]);
  for (const [i, o] of outputs.entries()) expect(o.includes(e.value), `output #${i} holds the value`).toBe(false);
  const cfg = e.home.readConfig(); // parses
  expect(cfg['mcpServers']).toEqual(servers);
  expect(e.api.allReceivedText().includes(e.value), 'the fake model saw the value').toBe(false);
  expect(readText(e.hookErrFile), 'stderr of our hooks').toBe('');
  for (const t of hookTimings(e)) expect(t.rc, `${t.event} exit status`).toBe(0);
  // After its last strip the watchdog re-checks for a few seconds (a racing writer may put a value
  // back) before it exits: allow for that, then it must be gone.
  const wdMs = await waitFor('no watchdog of this HOME left', () => watchdogsFor(e.home.home).length === 0, 8000, 50);
  measured.watchdogGoneMs.push(Math.round(wdMs));
  const st = await runCli(['status', '--json'], { env: e.cliEnv });
  expect(st.code, st.stderr).toBe(0);
  const status = JSON.parse(st.stdout) as { injected: unknown[]; leftovers: unknown[]; tempFiles: unknown[]; watchdog: boolean; sessions: { alive: boolean }[] };
  expect(status).toMatchObject({ injected: [], leftovers: [], tempFiles: [], watchdog: false });
  expect(status.sessions.filter((s) => s.alive)).toEqual([]);
  expect(st.stdout.includes(e.value)).toBe(false);
  expect(leaks(e)).toEqual([]);
}

describe.runIf(HAVE_SECRET_SERVICE)('injection with the real Claude Code client, a real keyring and the built CLI', () => {
  afterEach(async () => {
    killAllClaude();
    const e = current;
    current = undefined;
    if (e) {
      measured.hookMs.push(...hookTimings(e));
      // A watchdog this test started (through our hooks or launcher) must not outlive it.
      killAll(watchdogsFor(e.home.home));
      await e.api.close();
      await e.home.cleanup();
    }
    for (const a of extraApis.splice(0)) await a.close();
    parseFailures = 0;
  });

  afterAll(() => {
    const stats = (xs: number[]) => (xs.length === 0 ? 'n/a' : `n=${xs.length} min=${Math.min(...xs)} median=${[...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]} max=${Math.max(...xs)}`);
    const by = (ev: string) => measured.hookMs.filter((h) => h.event === ev).map((h) => h.ms);
    console.log(
      [
        'injection e2e measurements (ms):',
        `  hook session-start: ${stats(by('session-start'))}`,
        `  hook session-end:   ${stats(by('session-end'))}`,
        `  SIGKILL -> value gone from every file: ${measured.killToGoneMs.join(', ') || 'n/a'}`,
        `  end of last session -> no watchdog left: ${stats(measured.watchdogGoneMs.map(Math.round))}`,
      ].join('\n'),
    );
  });

  it(
    'launcher: `keyring-inject claude -p hello` gives the server the key at its first spawn, then leaves it in no file',
    async () => {
      const e = await setup({ recorderHasEnv: false });
      const res = await runLauncher(e, ['-p', 'hello']);
      expectClaudeOk(res, 'keyring-inject claude -p hello');

      // The very first spawn of the server had the value (the launcher injected before claude started).
      const reports = readRecorderReports(e.reportFile);
      expect(reports.length).toBeGreaterThanOrEqual(1);
      expect(reports[0]?.vars[VAR], 'first spawn of the recorder').toBe(sha256Hex(e.value));
      // Under the launcher, our SessionStart hook only notes the session: it printed nothing.
      expect(
        hookTimings(e)
          .map((t) => t.event)
          .sort(),
      ).toEqual(['session-end', 'session-start']);
      expect(readText(e.hookOutFile)).toBe('');

      // We created the env object, so stripping removed it again: no `env` key at all.
      const recorder = (e.home.readConfig()['mcpServers'] as Record<string, Record<string, unknown>>)['recorder'];
      expect(recorder).toBeDefined();
      expect(recorder && 'env' in recorder, 'recorder still has an env object').toBe(false);
      await expectAllClean(e, [res.stdout, res.stderr]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a ~/.claude.json that starts with a byte-order mark (the client strips one): the launcher injects, the server gets the key, nothing is left',
    async () => {
      const e = await setup({ recorderHasEnv: false });
      fs.writeFileSync(e.home.configPath, `\uFEFF${fs.readFileSync(e.home.configPath, 'utf8')}`);
      const res = await runLauncher(e, ['-p', 'hello']);
      expectClaudeOk(res, 'keyring-inject claude -p hello (BOM)');
      expect(readRecorderReports(e.reportFile)[0]?.vars[VAR], 'first spawn of the recorder').toBe(sha256Hex(e.value));
      // The client may have rewritten the file (it drops the mark); ours kept it: either way it parses without it.
      if (fs.readFileSync(e.home.configPath, 'utf8').startsWith('\uFEFF')) fs.writeFileSync(e.home.configPath, fs.readFileSync(e.home.configPath, 'utf8').slice(1));
      await expectAllClean(e, [res.stdout, res.stderr]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'hooks only: plain `claude -p hello` has the value in the config during the session, none after; SessionStart says what it did',
    async () => {
      // The main conversation request waits 2 s: the session is alive while we look at the config.
      const e = await setup({ api: { replies: [{ type: 'text', text: DEFAULT_FAKE_TEXT, delayMs: 2000 }] } });
      const child = startClaude(e, ['-p', 'hello']);
      const done = waitForClaude(child, 60_000);
      await waitFor('the value in the config during the session', () => configValue(e) === e.value, 20_000);
      expect(child.exitCode, 'claude still running while the value is in the config').toBeNull();
      const during = await runCli(['status', '--json'], { env: e.cliEnv });
      const status = JSON.parse(during.stdout) as { sessions: { alive: boolean; launcher: boolean }[]; injected: { key: string; server: string; env: string }[]; watchdog: boolean };
      expect(status.sessions).toEqual([expect.objectContaining({ alive: true, launcher: false })]);
      expect(status.injected).toEqual([expect.objectContaining({ key: KEY, server: 'recorder', env: VAR })]);
      expect(status.watchdog).toBe(true);
      expect(during.stdout.includes(e.value)).toBe(false);

      const res = await done;
      expectClaudeOk(res, 'claude -p hello');

      // The SessionStart hook told the user, in a systemMessage, what it did and what it cannot do.
      const out = readText(e.hookOutFile).trim();
      const msg = JSON.parse(out) as { systemMessage?: string };
      expect(msg.systemMessage).toMatch(/^keyring-inject: put 1 key\(s\) into .*\.claude\.json/);
      expect(msg.systemMessage).toContain('keyring-inject claude');
      // ... because (the ordering fact) the server started for this session did not get it.
      expect(readRecorderReports(e.reportFile)[0]?.vars[VAR] ?? null, 'hook mode cannot reach the first spawn').toBeNull();
      expect(hookTimings(e).map((t) => t.event)).toEqual(['session-start', 'session-end']);
      await expectAllClean(e, [res.stdout, res.stderr, during.stderr]);
      expect(parseFailures).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the model truncates our state file mid-session (`truncate -s 0 state.json`), then the session ends: the key is in no file afterwards, and the user is told (issue 14.4)',
    async () => {
      // No guard hooks in this file: the Bash command goes through, as it would without them.
      // (Claude Code itself refuses `: > ~/.claude/...` as an edit of a sensitive file; `truncate`
      // it runs.)
      const e = await setup({
        api: {
          replies: [
            { type: 'tool_use', id: 'toolu_truncate', name: 'Bash', input: { command: 'truncate -s 0 ~/.claude/keyring-inject/state.json', description: 'x' } },
            { type: 'text', text: DEFAULT_FAKE_TEXT },
          ],
        },
      });
      const res = await runClaude(e.home, ['-p', 'hello', '--allowedTools', 'Bash'], { api: e.api, env: e.claudeExtraEnv });
      expectClaudeOk(res, 'claude -p (truncating our state)');
      // The command ran: its tool result came back without an error.
      expect(e.api.allReceivedText()).toContain('"tool_use_id":"toolu_truncate","type":"tool_result","content":"(Bash completed with no output)","is_error":false');
      await waitFor('the value gone from every file under the temp tree', () => leaks(e).length === 0, 15_000, 50);
      await expectAllClean(e, [res.stdout, res.stderr]);
      const st = JSON.parse((await runCli(['status', '--json'], { env: e.cliEnv })).stdout) as { notices: string[] };
      expect(st.notices.join('\n')).toMatch(/state file was damaged during a session/);
      expect(parseFailures).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'SIGKILL of the client mid-session: the watchdog takes the value out of every file within 3 s and exits',
    async () => {
      const e = await setup({ api: { replies: [{ type: 'text', text: DEFAULT_FAKE_TEXT, delayMs: 60_000 }] } });
      const child = startClaude(e, ['-p', 'hello']);
      const closed = waitForClaude(child, 80_000);
      await e.api.waitForMessageRequests(1, 20_000);
      await waitFor('the value in the config during the session', () => configValue(e) === e.value, 20_000);
      await waitFor('a watchdog for this HOME', () => watchdogsFor(e.home.home).length === 1, 5000);
      // Let the session settle (Claude Code writes the config, may make a backup meanwhile).
      await sleep(300);

      child.kill('SIGKILL'); // the client only, like a crash: no SessionEnd
      const t0 = performance.now();
      await waitFor('the value gone from every file under the temp tree', () => leaks(e).length === 0 && configValue(e) === undefined, 10_000, 10);
      const goneMs = Math.round(performance.now() - t0);
      measured.killToGoneMs.push(goneMs);
      const res = await closed;
      expect(res.signal).toBe('SIGKILL');
      expect(goneMs, 'SIGKILL -> value gone (ms)').toBeLessThan(3000);
      // SessionEnd never ran.
      expect(hookTimings(e).map((t) => t.event)).toEqual(['session-start']);
      await expectAllClean(e, [res.stdout, res.stderr]);
      expect(parseFailures).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'overlapping sessions: a session that ends (hook or launcher) leaves the key for the one still running; the last one strips',
    async () => {
      const e = await setup();
      // B: a long session (its reply waits 9 s) on a fake API of its own.
      const apiB = await startFakeApi({ replies: [{ type: 'text', text: DEFAULT_FAKE_TEXT, delayMs: 9000 }] });
      extraApis.push(apiB);
      const b = startClaude(e, ['-p', 'hello'], apiB);
      const bDone = waitForClaude(b, 60_000);
      await apiB.waitForMessageRequests(1, 20_000);
      await waitFor('the value in the config for B', () => configValue(e) === e.value, 10_000);

      // A1: a whole hook session while B runs. It ends first and must not strip B's key.
      const a1 = await runClaude(e.home, ['-p', 'hello'], { api: e.api, env: e.claudeExtraEnv });
      expectClaudeOk(a1, 'A1 (hooks)');
      expect(b.exitCode, 'B still running after A1').toBeNull();
      expect(configValue(e), 'key still in the config after A1 ended').toBe(e.value);

      // A2: a launcher session while B runs: its server gets the key at first spawn, and its end keeps B's key.
      const reportsBefore = readRecorderReports(e.reportFile).length;
      const a2 = await runLauncher(e, ['-p', 'hello']);
      expectClaudeOk(a2, 'A2 (launcher)');
      expect(readRecorderReports(e.reportFile)[reportsBefore]?.vars[VAR], 'A2 server at first spawn').toBe(sha256Hex(e.value));
      // Past a few watchdog ticks: still there.
      await sleep(1200);
      expect(b.exitCode, 'B still running after A2 (+1.2 s)').toBeNull();
      expect(configValue(e), 'key still in the config after A2 ended').toBe(e.value);
      const st = JSON.parse((await runCli(['status', '--json'], { env: e.cliEnv })).stdout) as { sessions: { alive: boolean }[] };
      expect(st.sessions.filter((s) => s.alive)).toHaveLength(1);

      // B ends last: now everything goes.
      const bRes = await bDone;
      expectClaudeOk(bRes, 'B (hooks)');
      const starts = hookTimings(e).filter((t) => t.event === 'session-start').length;
      expect(starts).toBe(3);
      await expectAllClean(e, [a1.stdout, a1.stderr, a2.stdout, a2.stderr, bRes.stdout, bRes.stderr]);
      expect(apiB.allReceivedText().includes(e.value)).toBe(false);
      expect(parseFailures).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'real `claude mcp add/remove` running in parallel with sessions starting and ending lose nothing and corrupt nothing',
    async () => {
      const other = (n: string): McpServerConfig => ({ type: 'stdio', command: NODE, args: ['-e', `/* ${n} */`], env: {} });
      const e = await setup({ api: { fallback: { type: 'text', text: DEFAULT_FAKE_TEXT, delayMs: 400 } }, extraServers: { r1: other('r1'), r2: other('r2') } });
      // Warm-up: the first client run in a fresh HOME writes its first-start keys (firstStartTime,
      // userID, migrations...) into the config; later `-p` runs write nothing. Without this, that
      // write races the first `claude mcp add` and loses it, with or without keyring-inject
      // (seen: x1 written and gone 4 ms later, before any hook of ours had run).
      expectClaudeOk(await runClaude(e.home, ['-p', 'hello'], { api: e.api, env: e.claudeExtraEnv }), 'warm-up session');
      // Watch the file the whole time: it must parse at every instant. For failures, a trace of
      // what the file held (server names, whether the value was in it) and of who ran when.
      let watching = true;
      let reads = 0;
      const t0 = performance.now();
      const epoch0 = Date.now();
      const trace: { at: number; what: string }[] = [];
      const mark = (what: string) => trace.push({ at: Math.round(performance.now() - t0), what });
      const timed = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
        mark(`${label} begins`);
        try {
          return await run();
        } finally {
          mark(`${label} ends`);
        }
      };
      const traceText = () =>
        [
          ...trace,
          ...hookTimings(e).flatMap((h) => [
            { at: h.startEpochMs - epoch0, what: `hook ${h.event} begins` },
            { at: h.startEpochMs - epoch0 + h.ms, what: `hook ${h.event} ends (rc ${h.rc})` },
          ]),
        ]
          .sort((a, b) => a.at - b.at)
          .map((t) => `${t.at} ms: ${t.what}`)
          .join('\n');
      let last = '';
      const watcher = (async () => {
        while (watching) {
          const v = configValue(e);
          let names = '?';
          try {
            names = Object.keys((e.home.readConfig()['mcpServers'] ?? {}) as object)
              .sort()
              .join(',');
          } catch {
            names = 'UNPARSEABLE';
          }
          const now = `${names} value=${v === e.value}`;
          if (now !== last) mark(`config: ${(last = now)}`);
          reads++;
          await sleep(2);
        }
      })();

      // Sessions start and end all the time: hook sessions and launcher sessions one after the
      // other, plus one hook session overlapping them.
      const sessions = (async () => {
        const out: (ClaudeResult | SpawnResult)[] = [];
        out.push(await timed('session 1 (hooks)', () => runClaude(e.home, ['-p', 'hello'], { api: e.api, env: e.claudeExtraEnv })));
        out.push(await timed('session 2 (launcher)', () => runLauncher(e, ['-p', 'hello'])));
        out.push(await timed('session 3 (hooks)', () => runClaude(e.home, ['-p', 'hello'], { api: e.api, env: e.claudeExtraEnv })));
        out.push(await timed('session 4 (launcher)', () => runLauncher(e, ['-p', 'hello'])));
        return out;
      })();
      const parallelSession = (async () => {
        await sleep(300);
        return timed('parallel session (hooks)', () => runClaude(e.home, ['-p', 'hello'], { api: e.api, env: e.claudeExtraEnv }));
      })();
      // The `claude mcp` edits run one after the other, in parallel with the sessions: two of them
      // at once lose each other's update even without keyring-inject (the client writes without
      // its lock when it finds the lock held), which is not what this test is about.
      const ops: string[][] = [1, 2, 3, 4, 5].map((i) => ['mcp', 'add', '-s', 'user', `x${i}`, '--', NODE, '-e', `/* x${i} */`]);
      ops.splice(2, 0, ['mcp', 'remove', '-s', 'user', 'r1']);
      ops.splice(5, 0, ['mcp', 'remove', '-s', 'user', 'r2']);
      const mcpOps = (async () => {
        const out: ClaudeResult[] = [];
        for (const args of ops) out.push(await timed(`claude ${args.slice(0, 5).join(' ')}`, () => runClaude(e.home, args, { api: e.api, env: e.claudeExtraEnv })));
        return out;
      })();
      const [sessionResults, par, mcpResults] = await Promise.all([sessions, parallelSession, mcpOps]);
      watching = false;
      await watcher;

      for (const [i, r] of [...sessionResults, par].entries()) expectClaudeOk(r, `session #${i}`);
      for (const [i, r] of mcpResults.entries()) expect(r.code, `claude ${ops[i]?.join(' ')}: ${r.stdout} ${r.stderr}`).toBe(0);
      expect(reads).toBeGreaterThan(50);
      expect(parseFailures, 'reads of the config that did not parse').toBe(0);

      const expected: Record<string, McpServerConfig> = { recorder: e.originalServers['recorder'] as McpServerConfig };
      for (let i = 1; i <= 5; i++) expected[`x${i}`] = { type: 'stdio', command: NODE, args: ['-e', `/* x${i} */`], env: {} };
      expect(Object.keys(e.home.readConfig()['mcpServers'] as object).sort(), `trace:\n${traceText()}`).toEqual(Object.keys(expected).sort());
      await expectAllClean(
        e,
        [...sessionResults, par, ...mcpResults].flatMap((r) => [r.stdout, r.stderr]),
        expected,
      );
      expect(hookTimings(e).filter((t) => t.event === 'session-start')).toHaveLength(6);
    },
    TEST_TIMEOUT_MS,
  );
});
