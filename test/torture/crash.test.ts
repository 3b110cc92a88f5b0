// Torture 1: crash at any instant. SIGKILL the engine, the hook processes and the Claude Code
// stand-in at random points. After every kill the config is valid JSON and byte-equal to the
// state before or after the operation (never partial), and after `keyring-inject cleanup` (or,
// for a killed client, after the watchdog alone) no value is left in any file under HOME:
// config, backups, temp files, state, lock dirs and their holder files.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { endInput, HOOK, STANDIN, StandIn, startInput } from '../helpers/fake-claude/hooks.js';
import { fileHolds, leakingFiles, Outputs } from '../helpers/leak.js';
import { hooksFor, killStarted, procStartOf, sleeper, watchdogsFor } from '../helpers/processes.js';
import { CLI } from '../helpers/spawn-cli.js';
import { bundleDriver, removeDriver, cli, leftovers, quiesce, randInt, retireWatchdogs, runDriver, size, stats, type DriverJob, type Leftovers } from '../helpers/torture.js';
import { sleep, waitUntil } from '../helpers/wait.js';

// A realistic config: some of Claude Code's own keys, two user-scope servers (one with an env
// object of its own), a project with history, pretty-printed as Claude Code writes it.
function originalConfig(): string {
  const history = Array.from({ length: 200 }, (_, i) => ({ display: `prompt number ${i} with some text`, pastedContents: {} }));
  return `${JSON.stringify(
    {
      numStartups: 12,
      firstStartTime: '2026-01-01T00:00:00.000Z',
      hasCompletedOnboarding: true,
      mcpServers: { gh: { type: 'stdio', command: 'gh-mcp', args: ['--stdio'], env: {} }, db: { type: 'stdio', command: 'pg-mcp', env: { PGHOST: 'localhost' } } },
      projects: { '/home/user/work': { allowedTools: [], history, hasTrustDialogAccepted: true } },
      tipsHistory: { 'new-user-warmup': 3 },
    },
    null,
    2,
  )}\n`;
}

interface Tally {
  trials: number;
  kills: number;
  midOp: number;
  before: number;
  after: number;
  partial: number;
  lockDirsLeft: number;
  holderlessLocks: number;
  holdersLeft: number;
  emptyHolders: number;
  tempFilesLeft: number;
  tempFilesWithValue: number;
  ownTempDebris: number;
  backupsSeeded: number;
  orphanedLocks: number;
  leaks: number;
}

const tally = (): Tally => ({
  trials: 0,
  kills: 0,
  midOp: 0,
  before: 0,
  after: 0,
  partial: 0,
  lockDirsLeft: 0,
  holderlessLocks: 0,
  holdersLeft: 0,
  emptyHolders: 0,
  tempFilesLeft: 0,
  tempFilesWithValue: 0,
  ownTempDebris: 0,
  backupsSeeded: 0,
  orphanedLocks: 0,
  leaks: 0,
});

describe.runIf(HAVE_SECRET_SERVICE)('torture: crash at any instant', () => {
  let t: TempHome;
  let config: string;
  let outputs: Outputs;
  let values: { gh: string; db: string };
  let known: DriverJob['known'];
  let ORIGINAL: string;
  let INJECTED: string;
  let bundle: string;

  beforeAll(async () => {
    bundle = await bundleDriver();
  });
  afterAll(removeDriver);

  beforeEach(async () => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    config = join(t.home, '.claude.json');
    ORIGINAL = originalConfig();
    writeFileSync(config, ORIGINAL, { mode: 0o600 });
    outputs = new Outputs();
    values = { gh: testSecret('gh'), db: testSecret('db') };
    known = [
      { key: 'gh', target: { server: 'gh', env: 'GITHUB_TOKEN', scope: 'user' }, value: values.gh },
      { key: 'db', target: { server: 'db', env: 'PGPASSWORD', scope: 'user' }, value: values.db },
    ];
    for (const k of known) {
      const r = await cli(['add', k.key, '--server', k.target.server, '--env', k.target.env, '--stdin'], t.env, outputs, k.value);
      expect(r.code, r.stderr).toBe(0);
    }
    // The exact bytes after a complete injection, made once by an unkilled engine run.
    const s = sleeper();
    const who = { pid: s.pid, procStart: procStartOf(s.pid) as string };
    expect((await runDriver(bundle, t.env, { op: 'start', known, who })).done).toBe(true);
    INJECTED = readFileSync(config, 'utf8');
    expect(JSON.parse(INJECTED).mcpServers.gh.env.GITHUB_TOKEN).toBe(values.gh);
    expect((await runDriver(bundle, t.env, { op: 'end', known: [], who })).done).toBe(true);
    await s.kill();
    expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
  });

  afterEach(async () => {
    killStarted();
    await retireWatchdogs(t.home);
    await quiesce(t.home, 2000);
    t.cleanup();
  });

  const vals = () => [values.gh, values.db];
  const injectedRecords = (): number => {
    try {
      return (JSON.parse(readFileSync(join(t.home, '.claude', 'keyring-inject', 'state.json'), 'utf8')) as { injected: unknown[] }).injected.length;
    } catch {
      return 0;
    }
  };

  /** Classify the config after a kill: it must be exactly the before or the after bytes. */
  function checkBytes(tl: Tally, before: string, after: string, what: string): void {
    const now = readFileSync(config, 'utf8');
    expect(() => JSON.parse(now), `${what}: config does not parse`).not.toThrow();
    if (now === before) tl.before++;
    else if (now === after) tl.after++;
    else {
      tl.partial++;
      expect.fail(`${what}: config is neither the before nor the after state`);
    }
    const state = join(t.home, '.claude', 'keyring-inject', 'state.json');
    try {
      JSON.parse(readFileSync(state, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') expect.fail(`${what}: state.json does not parse`);
    }
  }

  function textIfThere(file: string): string | undefined {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  function countLeftovers(tl: Tally): Leftovers {
    const lo = leftovers(t.home);
    tl.lockDirsLeft += lo.lockDirs.length;
    tl.holdersLeft += lo.holders.length;
    tl.holderlessLocks += lo.lockDirs.filter((d) => !lo.holders.some((h) => h === `${d}.holder` || h.startsWith(`${d}.holder.`))).length;
    // A live process of ours (the watchdog a killed session-start had already spawned) may remove
    // a holder between the listing and the read: a file gone by then was not left behind.
    tl.emptyHolders += lo.holders.filter((h) => textIfThere(h)?.trim() === '').length;
    tl.tempFilesLeft += lo.tempFiles.length;
    tl.tempFilesWithValue += lo.tempFiles.filter((f) => vals().some((v) => fileHolds(f, v))).length;
    return lo;
  }

  /**
   * `keyring-inject cleanup`, then: config back to the original bytes, no value in any file,
   * no lock dir, holder or temp file left.
   *
   * A lock dir that a killed process left is taken over at once when a holder file (the sidecar,
   * or the named one it writes first and renames back to on release) names the dead process.
   * Without any holder (killed in the microseconds between mkdir and creating the named holder)
   * our state lock is taken over after 0.5 s, the config lock only after proper-lockfile's 10 s
   * staleness, like Claude Code's own lock: cleanup waits that out. The trials count such orphans.
   */
  async function cleanupAndCheck(tl: Tally, what: string, afterKill: Leftovers): Promise<void> {
    // An orphan: a lock dir whose holder sidecar is missing or unreadable.
    const isOrphan = (d: string) => {
      try {
        return typeof (JSON.parse(readFileSync(`${d}.holder`, 'utf8')) as { pid?: unknown }).pid !== 'number';
      } catch {
        return !leftovers(t.home).holders.some((h) => h.startsWith(`${d}.holder.`));
      }
    };
    const orphansNow = () => leftovers(t.home).lockDirs.filter(isOrphan);
    let orphans = afterKill.lockDirs.filter(isOrphan);
    if (orphans.length > 0) {
      await sleep(50); // a live watchdog's lock between its mkdir and its holder is gone by now
      orphans = orphans.filter((d) => orphansNow().includes(d));
    }
    // A lock without a holder of its own: cleanup gets through, at the latest after the stale limit.
    if (orphans.length > 0) tl.orphanedLocks++;
    const r = await cli(['cleanup', '--json'], t.env, outputs);
    expect(r.code, `${what}: cleanup failed: ${r.stderr}`).toBe(0);
    expect(readFileSync(config, 'utf8'), `${what}: config not restored by cleanup`).toBe(ORIGINAL);
    const leaks = leakingFiles(vals(), [t.home]);
    tl.leaks += leaks.length;
    expect(leaks, `${what}: files still holding a value after cleanup`).toEqual([]);
    // A live watchdog (hook trials) may hold a lock for a moment: give it that moment.
    const quiet = () => {
      const lo = leftovers(t.home);
      return lo.lockDirs.length + lo.holders.length + lo.tempFiles.length === 0;
    };
    await waitUntil(quiet, 2000, 10);
    const lo = leftovers(t.home);
    expect({ lockDirs: lo.lockDirs, holders: lo.holders, tempFiles: lo.tempFiles }, `${what}: leftovers after cleanup`).toEqual({ lockDirs: [], holders: [], tempFiles: [] });
    // Temp files of our own state writes hold no value (checked above) but cleanup leaves them: count, then clear for the next trial.
    tl.ownTempDebris += lo.ownTempFiles.length;
    for (const f of lo.ownTempFiles) rmSync(f);
  }

  it(
    'the engine SIGKILLed 0-30 ms into start / end / sweep / strip: never a partial file, cleanup leaves nothing',
    async () => {
      const trials = size(12, 240);
      const ops: DriverJob['op'][] = ['start', 'end', 'sweep', 'strip'];
      const tl = tally();
      const opMs: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < trials; i++) {
        const op = ops[i % ops.length] as DriverJob['op'];
        let job: DriverJob = { op, known };
        let before = ORIGINAL;
        let after = INJECTED;
        const s = sleeper();
        if (op !== 'start') {
          const who = { pid: s.pid, procStart: procStartOf(s.pid) as string };
          const setup = await runDriver(bundle, t.env, { op: 'start', known, who });
          expect(setup.done, setup.stdout).toBe(true);
          expect(readFileSync(config, 'utf8')).toBe(INJECTED);
          // Claude Code copied the config, key included, into its backups during the session.
          mkdirSync(join(t.home, '.claude', 'backups'), { recursive: true });
          writeFileSync(join(t.home, '.claude', 'backups', `.claude.json.backup.${Date.now()}`), INJECTED, { mode: 0o600 });
          tl.backupsSeeded++;
          // end: that session's SessionEnd; sweep: its process died (the watchdog's case); strip: cleanup.
          if (op === 'sweep' || op === 'end') await s.kill();
          job = { op, known: op === 'strip' ? known : [], ...(op === 'end' ? { who } : {}) };
          before = INJECTED;
          after = ORIGINAL;
        }
        const delay = randInt(0, 30);
        const res = await runDriver(bundle, t.env, job, delay);
        await s.kill();
        tl.trials++;
        if (res.signal === 'SIGKILL') tl.kills++;
        if (!res.done) tl.midOp++;
        if (res.opMs !== undefined) opMs.push(res.opMs);
        if (res.error) expect.fail(`${op}: the engine failed: ${res.error}`);
        checkBytes(tl, before, after, `trial ${i} ${op} killed at ${delay} ms`);
        const lo = countLeftovers(tl);
        await cleanupAndCheck(tl, `trial ${i} ${op} killed at ${delay} ms`, lo);
      }
      const outLeaks = outputs.leaks(vals());
      console.log(
        `  engine kills: trials=${tl.trials} kills=${tl.kills} mid-operation=${tl.midOp} config before=${tl.before} after=${tl.after} partial=${tl.partial}; ` +
          `left by kills: lock dirs=${tl.lockDirsLeft} (holder-less ${tl.holderlessLocks}) holders=${tl.holdersLeft} (empty ${tl.emptyHolders}) temp files=${tl.tempFilesLeft} (with a value ${tl.tempFilesWithValue}); backups with the key seeded=${tl.backupsSeeded}; ` +
          `orphaned locks (no holder at all, waited out by cleanup)=${tl.orphanedLocks}; state temp files left after cleanup=${tl.ownTempDebris}; leaks after cleanup=${tl.leaks}; outputs checked=${outputs.texts.length} with a value=${outLeaks.length}; ` +
          `unkilled op time ${stats(opMs)}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      expect(tl.partial).toBe(0);
      expect(tl.midOp).toBeGreaterThan(0);
      expect(outLeaks).toEqual([]);
    },
    size(60_000, 420_000),
  );

  it(
    'hook and cleanup processes SIGKILLed at random points under a Claude Code stand-in',
    async () => {
      const trials = size(6, 90);
      const tl = tally();
      // How long each command runs unkilled here: kills are spread over that span.
      const c0 = new StandIn(t.env, outputs);
      const s0 = await c0.run('session-start', startInput('warm'));
      const e0 = await c0.run('session-end', endInput('warm'));
      c0.kill();
      expect(s0?.code).toBe(0);
      expect(e0?.code).toBe(0);
      await retireWatchdogs(t.home);
      const span = { start: s0?.ms ?? 300, end: e0?.ms ?? 300 };
      console.log(`  unkilled: session-start ${span.start.toFixed(0)} ms, session-end ${span.end.toFixed(0)} ms`);
      const t0 = performance.now();
      for (let i = 0; i < trials; i++) {
        const kind = (['session-start', 'session-end', 'cleanup'] as const)[i % 3] as 'session-start' | 'session-end' | 'cleanup';
        const c = new StandIn(t.env, outputs);
        let before = ORIGINAL;
        let after = INJECTED;
        if (kind !== 'session-start') {
          const s = await c.run('session-start', startInput(`s${i}`));
          expect(s?.code, s?.err).toBe(0);
          expect(readFileSync(config, 'utf8')).toBe(INJECTED);
          before = INJECTED;
          after = ORIGINAL;
        }
        let killed: boolean;
        let delay: number;
        if (kind === 'cleanup') {
          // cleanup strips even for a live session; killed by the test, not the stand-in.
          delay = randInt(Math.round(span.start * 0.3), Math.round(span.start * 1.2));
          const child = spawn(process.execPath, [CLI, 'cleanup'], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
          let text = '';
          child.stdout.on('data', (d: Buffer) => (text += d.toString()));
          child.stderr.on('data', (d: Buffer) => (text += d.toString()));
          const timer = setTimeout(() => child.kill('SIGKILL'), delay);
          const sig = await new Promise<NodeJS.Signals | null>((r) => child.on('close', (_c, s) => r(s)));
          clearTimeout(timer);
          outputs.add(text);
          killed = sig === 'SIGKILL';
        } else {
          const d = kind === 'session-start' ? span.start : span.end;
          delay = randInt(Math.round(d * 0.3), Math.round(d * 1.2));
          const r = await c.run(kind, kind === 'session-start' ? startInput(`s${i}`) : endInput(`s${i}`), { killAfterMs: delay });
          killed = r?.killed ?? false;
          if (!killed) expect(r?.code, r?.err).toBe(0);
        }
        tl.trials++;
        if (killed) tl.kills++;
        checkBytes(tl, before, after, `trial ${i} ${kind} killed at ${delay} ms`);
        const lo = countLeftovers(tl);
        await cleanupAndCheck(tl, `trial ${i} ${kind} killed at ${delay} ms`, lo);
        c.kill();
        await c.exited;
        await retireWatchdogs(t.home);
        expect(hooksFor(t.home), 'a hook process is still running').toEqual([]);
        expect(readFileSync(config, 'utf8')).toBe(ORIGINAL);
      }
      const outLeaks = outputs.leaks(vals());
      console.log(
        `  hook kills: trials=${tl.trials} kills=${tl.kills} config before=${tl.before} after=${tl.after} partial=${tl.partial}; ` +
          `left by kills: lock dirs=${tl.lockDirsLeft} (holder-less ${tl.holderlessLocks}) holders=${tl.holdersLeft} (empty ${tl.emptyHolders}) temp files=${tl.tempFilesLeft}; ` +
          `orphaned locks (no holder at all, waited out by cleanup)=${tl.orphanedLocks}; state temp files left after cleanup=${tl.ownTempDebris}; leaks after cleanup=${tl.leaks}; outputs checked=${outputs.texts.length} with a value=${outLeaks.length}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      expect(tl.partial).toBe(0);
      expect(outLeaks).toEqual([]);
    },
    size(60_000, 300_000),
  );

  it(
    'the Claude Code stand-in SIGKILLed at random points: the watchdog alone leaves nothing behind',
    async () => {
      const trials = size(6, 60);
      const latencies: number[] = [];
      let duringEnd = 0;
      const t0 = performance.now();
      for (let i = 0; i < trials; i++) {
        const c = new StandIn(t.env, outputs);
        const sid = `k${i}`;
        if (i % 3 === 2) {
          // Killed while its SessionEnd hook runs (the hook goes on as an orphan).
          const s = await c.run('session-start', startInput(sid));
          expect(s?.code, s?.err).toBe(0);
          void c.run('session-end', endInput(sid));
          await sleep(randInt(0, 250));
          duringEnd++;
        } else {
          // Killed before, during or after its SessionStart hook.
          void c.run('session-start', startInput(sid));
          await sleep(randInt(0, 600));
        }
        c.kill();
        const killedAt = performance.now();
        await c.exited;
        // Orphaned hooks finish, then the watchdog (if one was started) strips.
        let sawKey = readFileSync(config, 'utf8') !== ORIGINAL;
        const clean = await waitUntil(
          () => {
            const now = readFileSync(config, 'utf8');
            if (now !== ORIGINAL) sawKey = true;
            return now === ORIGINAL && injectedRecords() === 0 && hooksFor(t.home).length === 0;
          },
          5000,
          5,
        );
        if (sawKey) latencies.push(performance.now() - killedAt);
        if (!clean) {
          console.log(`  trial ${i}: not clean 5 s after the kill; watchdogs: ${watchdogsFor(t.home).join(',') || 'none'}`);
        }
        expect(clean, `trial ${i}: the config was not restored by the watchdog`).toBe(true);
        await retireWatchdogs(t.home);
        const leaks = leakingFiles(vals(), [t.home]);
        expect(leaks, `trial ${i}: files holding a value after the watchdog`).toEqual([]);
        const lo = leftovers(t.home);
        expect(lo.tempFiles, `trial ${i}: temp files left`).toEqual([]);
      }
      console.log(
        `  client kills: trials=${trials} (during SessionEnd ${duringEnd}); the key was in the config after the kill in ${latencies.length}, kill-to-clean ${stats(latencies)}; outputs with a value=${outputs.leaks(vals()).length}; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      expect(outputs.leaks(vals())).toEqual([]);
    },
    size(60_000, 300_000),
  );

  // On a Linux desktop, processes of a terminal are reparented to `systemd --user`, a child
  // subreaper, when their parent dies. A Claude Code that dies right after spawning its
  // SessionStart hook leaves the hook orphaned under it: the hook must not take the subreaper
  // for the Claude Code process (it would be a "session" that never ends: the keys would stay
  // injected until `keyring-inject cleanup`).
  const python = spawnSync('python3', ['-c', 'import ctypes; ctypes.CDLL(None).prctl'], { stdio: 'ignore' }).status === 0;
  it.runIf(python && process.platform === 'linux')(
    'a Claude Code that dies right after spawning SessionStart, under a subreaper: the keys do not stay behind',
    async () => {
      // A python3 subreaper (PR_SET_CHILD_SUBREAPER, as systemd --user) runs the stand-in, which
      // spawns the hook and is SIGKILLed as soon as the hook has its input.
      const code = [
        'import ctypes, os, subprocess, sys, time',
        'ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)',
        'p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)',
        'p.stdin.write((os.environ["KI_HOOK_LINE"] + "\\n").encode()); p.stdin.flush()',
        'p.wait()',
        'print("standin-dead", flush=True)',
        'while True:',
        '    try: os.wait()',
        '    except ChildProcessError: time.sleep(0.05)',
      ].join('\n');
      const line = JSON.stringify({ id: 1, cmd: HOOK('session-start'), input: startInput('orphan'), dieAfterSpawn: true });
      const reaper = spawn('python3', ['-c', code, process.execPath, STANDIN], { env: { ...t.env, KI_HOOK_LINE: line }, stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await waitUntil(() => hooksFor(t.home).length > 0, 3000, 5);
        await waitUntil(() => hooksFor(t.home).length === 0, 5000);
        const injectedNow = readFileSync(config, 'utf8') !== ORIGINAL;
        const state = JSON.parse(readFileSync(join(t.home, '.claude', 'keyring-inject', 'state.json'), 'utf8')) as { sessions: { pid: number }[] };
        const registeredReaper = state.sessions.some((s) => s.pid === reaper.pid);
        // The watchdog, if any, had 2.5 s to notice that no Claude Code process is alive.
        const clean = await waitUntil(() => readFileSync(config, 'utf8') === ORIGINAL, 2500, 20);
        console.log(`  orphaned SessionStart under a subreaper: injected=${injectedNow}, subreaper registered as the session=${registeredReaper}, clean 2.5 s later=${clean}`);
        expect(registeredReaper, 'the hook registered the subreaper (python3 here, systemd --user on a desktop) as the Claude Code process').toBe(false);
        expect(clean, 'the keys stayed in the config after the Claude Code process died').toBe(true);
      } finally {
        reaper.kill('SIGKILL');
      }
    },
    20_000,
  );
});
