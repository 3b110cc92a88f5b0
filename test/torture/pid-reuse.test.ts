// Torture 3: a dead Claude Code process whose pid now belongs to an unrelated live process is
// still recognised as dead (pid AND start time), so its keys are stripped.
// Forcing the kernel to hand out the same pid again means cycling through pid_max (32768 here)
// processes: not cheap, so the reuse is recorded instead: the session record keeps the pid of a
// live, unrelated process (`sleep`) with another start time, exactly what state.json holds after
// the real reuse. A control run with the true start time shows the same process counts as alive.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { endInput, StandIn, startInput } from '../helpers/fake-claude/hooks.js';
import { leakingFiles, Outputs } from '../helpers/leak.js';
import { killStarted, procStartOf, sleeper, watchdogsFor } from '../helpers/processes.js';
import { cli, quiesce, retireWatchdogs } from '../helpers/torture.js';
import { sleep, waitUntil } from '../helpers/wait.js';

interface StateFile {
  version: 1;
  sessions: { pid: number; procStart: string; startedAt: string; sessionId?: string }[];
  injected: unknown[];
  [k: string]: unknown;
}

describe.runIf(HAVE_SECRET_SERVICE)('torture: pid reuse', () => {
  let t: TempHome;
  let config: string;
  let stateFile: string;
  let outputs: Outputs;
  let value: string;
  const original = `${JSON.stringify({ mcpServers: { gh: { type: 'stdio', command: 'gh-mcp', args: [] } } }, null, 2)}\n`;
  const cleanups: (() => void | Promise<void>)[] = [];

  beforeEach(async () => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    config = join(t.home, '.claude.json');
    stateFile = join(t.home, '.claude', 'keyring-inject', 'state.json');
    writeFileSync(config, original, { mode: 0o600 });
    outputs = new Outputs();
    value = testSecret('reuse');
    const r = await cli(['add', 'gh', '--server', 'gh', '--env', 'GITHUB_TOKEN', '--stdin'], t.env, outputs, value);
    expect(r.code, r.stderr).toBe(0);
  });
  afterEach(async () => {
    killStarted();
    for (const c of cleanups.splice(0)) await c();
    await retireWatchdogs(t.home);
    await quiesce(t.home, 2000);
    t.cleanup();
  });

  /** Rewrite the session records under our state lock (the engine's own lock), atomically. */
  async function rewriteSessions(fn: (s: StateFile) => void): Promise<void> {
    const release = await lockfile.lock(stateFile, { realpath: false, lockfilePath: `${stateFile}.lock`, retries: { retries: 200, minTimeout: 5, maxTimeout: 20 } });
    try {
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as StateFile;
      fn(state);
      writeFileSync(`${stateFile}.torture`, JSON.stringify(state, null, 2), { mode: 0o600 });
      renameSync(`${stateFile}.torture`, stateFile);
    } finally {
      await release();
    }
  }

  const injected = () => readFileSync(config, 'utf8').includes(value);

  it('the watchdog strips when the recorded Claude Code pid belongs to another process now', async () => {
    const a = new StandIn(t.env, outputs);
    cleanups.push(() => a.kill());
    const r = await a.run('session-start', startInput('reuse-1'));
    expect(r?.code, r?.err).toBe(0);
    expect(injected()).toBe(true);
    expect(watchdogsFor(t.home)).toHaveLength(1);
    const s = sleeper();
    cleanups.push(() => s.kill());
    const start = procStartOf(s.pid) as string;

    // Control: the record names the live `sleep` with its true start time: it counts as alive.
    await rewriteSessions((st) => (st.sessions = [{ pid: s.pid, procStart: start, startedAt: new Date().toISOString(), sessionId: 'reuse-1' }]));
    a.kill(); // the stand-in is no longer recorded; its death changes nothing
    await sleep(1100);
    expect(injected(), 'stripped although the recorded process is alive').toBe(true);

    // The reuse: same pid, another start time (the Claude Code process that had it is gone).
    await rewriteSessions((st) => (st.sessions = [{ pid: s.pid, procStart: String(Number(start) - 1), startedAt: new Date().toISOString(), sessionId: 'reuse-1' }]));
    const t0 = performance.now();
    const stripped = await waitUntil(() => !injected(), 3000, 10);
    const ms = performance.now() - t0;
    console.log(`  pid ${s.pid} alive with another start time: watchdog stripped after ${ms.toFixed(0)} ms (control: kept 1.1 s, two watchdog rounds, with the true start time)`);
    expect(stripped, 'the watchdog took the reused pid for the dead Claude Code process').toBe(true);
    expect(readFileSync(config, 'utf8')).toBe(original);
    expect(procStartOf(s.pid), 'the unrelated process is untouched').toBe(start);
    expect(leakingFiles([value], [t.home])).toEqual([]);
    expect(outputs.leaks([value])).toEqual([]);
  }, 30_000);

  it('status reports it DEAD, the next SessionStart sweeps it, and the last SessionEnd strips', async () => {
    const a = new StandIn(t.env, outputs);
    cleanups.push(() => a.kill());
    expect((await a.run('session-start', startInput('reuse-2')))?.code).toBe(0);
    expect(injected()).toBe(true);
    // This path is the hooks' own, without the watchdog.
    await retireWatchdogs(t.home);
    const s = sleeper();
    cleanups.push(() => s.kill());
    const start = procStartOf(s.pid) as string;
    const recordFor = (procStart: string) => (st: StateFile) => (st.sessions = [{ pid: s.pid, procStart, startedAt: new Date().toISOString(), sessionId: 'reuse-2' }]);

    // Control: with its true start time the `sleep` is a live session, and a second session's
    // SessionEnd leaves the keys for it.
    await rewriteSessions(recordFor(start));
    let st = JSON.parse((await cli(['status', '--json'], t.env, outputs)).stdout) as { sessions: { pid: number; alive: boolean }[] };
    expect(st.sessions).toEqual([expect.objectContaining({ pid: s.pid, alive: true })]);
    const b = new StandIn(t.env, outputs);
    cleanups.push(() => b.kill());
    expect((await b.run('session-start', startInput('reuse-b1')))?.code).toBe(0);
    expect((await b.run('session-end', endInput('reuse-b1')))?.code).toBe(0);
    expect(injected(), 'stripped although a recorded session is alive').toBe(true);
    await retireWatchdogs(t.home);

    // The reuse.
    await rewriteSessions(recordFor(String(Number(start) + 7)));
    st = JSON.parse((await cli(['status', '--json'], t.env, outputs)).stdout) as { sessions: { pid: number; alive: boolean }[] };
    expect(st.sessions, 'status must call the reused pid dead').toEqual([expect.objectContaining({ pid: s.pid, alive: false })]);
    const c = new StandIn(t.env, outputs);
    cleanups.push(() => c.kill());
    expect((await c.run('session-start', startInput('reuse-c')))?.code).toBe(0);
    const after = JSON.parse(readFileSync(stateFile, 'utf8')) as StateFile;
    expect(
      after.sessions.map((x) => x.pid),
      'SessionStart must sweep the dead record',
    ).toEqual([c.pid]);
    expect((await c.run('session-end', endInput('reuse-c')))?.code).toBe(0);
    expect(readFileSync(config, 'utf8'), 'the last SessionEnd must strip').toBe(original);
    expect(procStartOf(s.pid)).toBe(start);
    console.log('  reused pid: status DEAD, swept by the next SessionStart, stripped by the last SessionEnd (control with the true start time: kept)');
    expect(leakingFiles([value], [t.home])).toEqual([]);
    expect(outputs.leaks([value])).toEqual([]);
  }, 30_000);
});
