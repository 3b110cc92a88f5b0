// Torture (issue 13): the zero-disk commands against Claude Code's own writers. `wrap`, `unwrap`
// and `import` run in loops, as real processes, while 16 Claude-like writers (helpers/fake-claude/config-writer.mjs:
// Claude Code's lock protocol, so they write WITHOUT the lock whenever ours is held) and the real
// `claude mcp add/remove` edit the same ~/.claude.json. A sampler reads the config every few ms:
// it must always parse, and no writer's counter may ever go down (a lost update). At the end
// every writer's last value, every server `claude mcp add` made and every removal must be in
// the file, and our own edits must have stuck (unwrap restores each entry byte for byte).
import { readFileSync, writeFileSync, closeSync, fsyncSync, openSync, realpathSync, renameSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { claudeCall, claudeCallLog, mcpCalls, Sampler, startWriter, withClaudeMutex, type WriterReport } from '../helpers/storm.js';
import { Outputs } from '../helpers/leak.js';
import { killStarted } from '../helpers/processes.js';
import { cli, leftovers, quiesce, size, stats } from '../helpers/torture.js';
import { sleep } from '../helpers/wait.js';

const WRITERS = 16;

interface Lane {
  runs: number;
  failures: string[];
  ms: number[];
}
const lane = (): Lane => ({ runs: 0, failures: [], ms: [] });

describe.runIf(HAVE_SECRET_SERVICE)('torture: zero-disk commands against unlocked Claude writes', () => {
  let t: TempHome;
  let config: string;
  let outputs: Outputs;
  let sampler: Sampler | undefined;

  beforeEach(() => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    config = join(t.home, '.claude.json');
    const servers: Record<string, unknown> = { imp: { type: 'stdio', command: 'imp-mcp', args: [], env: {} } };
    for (let i = 0; i < 3; i++) servers[`w${i}`] = { type: 'stdio', command: `srv${i}-mcp`, args: ['--port', String(4000 + i)], env: { LOG: 'info' } };
    writeFileSync(config, `${JSON.stringify({ hasCompletedOnboarding: true, numStartups: 1, mcpServers: servers }, null, 2)}\n`, { mode: 0o600 });
    outputs = new Outputs();
  });

  afterEach(async () => {
    killStarted();
    sampler?.kill();
    sampler = undefined;
    await quiesce(t.home, 2000);
    t.cleanup();
  });

  /** A plaintext key put into `imp`'s env the way Claude Code writes (lock protocol, unlocked on ELOCKED). */
  function claudeWritesPlaintext(value: string): void {
    let release: (() => void) | undefined;
    try {
      release = lockfile.lockSync(config, { lockfilePath: `${config}.lock` });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    }
    try {
      const target = realpathSync(config);
      const cfg = JSON.parse(readFileSync(target, 'utf8')) as { mcpServers: { imp: { env?: Record<string, string> } } };
      cfg.mcpServers.imp.env = { ...cfg.mcpServers.imp.env, API_TOKEN: value };
      const tmp = `${target}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`;
      const fd = openSync(tmp, 'w', statSync(target).mode & 0o7777);
      writeSync(fd, JSON.stringify(cfg, null, 2));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, target);
    } finally {
      release?.();
    }
  }

  it(
    `wrap / unwrap / import loop against ${WRITERS} Claude-like writers and real 'claude mcp add/remove': no lost update, no invalid file`,
    async () => {
      const stormMs = size(6000, 45_000);
      const mutex = join(dirname(t.home), `${t.home.split('/').pop()}-claude-mutex`);
      const value = testSecret('imp');
      const original = JSON.parse(readFileSync(config, 'utf8')) as { mcpServers: Record<string, unknown> };
      sampler = new Sampler();
      await sampler.start({ config, values: [], anchor: [] });
      const t0 = performance.now();
      const deadline = t0 + stormMs;
      const writers = Array.from({ length: WRITERS }, (_, i) => startWriter(config, `writer${i}`, stormMs, mutex, 20, 200));

      const run = async (l: Lane, args: string[]) => {
        const r = await cli(args, t.env, outputs);
        l.runs++;
        l.ms.push(r.ms);
        if (r.code !== 0) l.failures.push(`${args.join(' ')}: exit ${r.code}: ${r.stderr.trim().split('\n')[0]}`);
      };
      // One lane per server: wrap, then unwrap, again and again.
      const wrapLanes = [0, 1, 2].map(() => lane());
      const wrapLoop = async (i: number) => {
        const l = wrapLanes[i] as Lane;
        while (performance.now() < deadline) {
          await run(l, ['wrap', `w${i}`]);
          await run(l, ['unwrap', `w${i}`]);
        }
      };
      // import: Claude Code puts a plaintext key into `imp`, `import` moves it to the keyring.
      const importLane = lane();
      const importLoop = async () => {
        while (performance.now() < deadline) {
          await withClaudeMutex(mutex, async () => claudeWritesPlaintext(value));
          await run(importLane, ['import']);
        }
      };
      // The real client: `claude mcp add` / `remove` spread over the storm.
      const claudeLog = claudeCallLog();
      const adds = Array.from({ length: size(2, 8) }, (_, i) => `real-${i}`);
      const removes = adds.slice(0, size(1, 3));
      const claudeLoop = async () => {
        const steps = mcpCalls(adds, removes);
        const gap = stormMs / (steps.length + 1);
        for (const args of steps) {
          await sleep(gap * (0.5 + Math.random() * 0.5));
          await claudeCall(t.home, mutex, args, outputs, claudeLog);
        }
      };
      await Promise.all([wrapLoop(0), wrapLoop(1), wrapLoop(2), importLoop(), claudeLoop()]);
      const writerReports: WriterReport[] = await Promise.all(writers);
      const report = await sampler.stop();
      sampler = undefined;

      const finalText = readFileSync(config, 'utf8');
      let final: (Record<string, unknown> & { mcpServers: Record<string, { env?: Record<string, string> }> }) | undefined;
      try {
        final = JSON.parse(finalText) as typeof final;
      } catch {
        final = undefined;
      }
      const invalid = report.parseFailures + (final === undefined ? 1 : 0);
      const lostEvents = [...new Map(report.regressions.map((r) => [`${r.writer}:${r.from}:${r.to}`, r])).values()];
      const lostFinal = writerReports.filter((w) => final?.[w.name] !== w.final);
      const missingServers = adds.filter((n) => !removes.includes(n) && !(final && n in final.mcpServers));
      const resurrected = removes.filter((n) => final && n in final.mcpServers);
      // Every wrap lane ended with an unwrap: the entry is the original again (the parsed value).
      const notRestored = [0, 1, 2].filter((i) => JSON.stringify(final?.mcpServers[`w${i}`]) !== JSON.stringify(original.mcpServers[`w${i}`]));
      const ours = [...wrapLanes, importLane];
      const ourFailures = ours.flatMap((l) => l.failures);
      const temps = leftovers(t.home).tempFiles;
      console.log(
        `  ${((performance.now() - t0) / 1000).toFixed(1)} s: wrap/unwrap ${wrapLanes.map((l) => l.runs).join('+')} runs, import ${importLane.runs} runs (${stats(ours.flatMap((l) => l.ms))}), failures ${ourFailures.length}; ` +
          `writers ${writerReports.length} writing ${writerReports.reduce((n, w) => n + w.writes, 0)} times (${writerReports.reduce((n, w) => n + w.unlocked, 0)} without the lock after ELOCKED); ` +
          `claude mcp calls ${claudeLog.calls}, failures ${claudeLog.failures.length}`,
      );
      console.log(
        `  LOST UPDATES: ${lostEvents.length} seen by the sampler (${report.configReads} reads), ${lostFinal.length} writers' final values missing, ` +
          `${missingServers.length} 'claude mcp add' servers missing, ${resurrected.length} removed servers back, ${notRestored.length} entries not restored by unwrap; INVALID FILES: ${invalid}`,
      );
      if (ourFailures.length) console.log(`  our failures: ${[...new Set(ourFailures)].slice(0, 5).join(' | ')}`);
      for (const ev of lostEvents.slice(0, 5)) {
        const w = writerReports.find((x) => x.name === ev.writer);
        const unlockedWrite = w?.unlockedWrites.find(([i]) => i === ev.from);
        console.log(`  lost: ${ev.writer} ${ev.from} -> ${ev.to}${unlockedWrite ? ` (written without the lock while ${unlockedWrite[2]} held it)` : ''}`);
      }

      expect(invalid, 'config failed to parse').toBe(0);
      expect(
        lostEvents.map((e) => `${e.writer}:${e.from}->${e.to}`),
        'lost writer updates (a counter went down)',
      ).toEqual([]);
      expect(
        lostFinal.map((w) => w.name),
        'writers whose final value is not in the file',
      ).toEqual([]);
      expect(missingServers, "servers added by 'claude mcp add' that are gone").toEqual([]);
      expect(resurrected, "servers removed by 'claude mcp remove' that came back").toEqual([]);
      expect(notRestored, 'entries unwrap did not restore').toEqual([]);
      expect(claudeLog.failures).toEqual([]);
      expect(ourFailures).toEqual([]);
      expect(temps, 'temp files left beside the config').toEqual([]);
      expect(wrapLanes.every((l) => l.runs >= 2) && importLane.runs >= 1).toBe(true);
      expect(final?.mcpServers.imp?.env?.API_TOKEN === value, 'the last plaintext value is still in the file after import').toBe(false);
      expect(outputs.leaks([value]), 'the imported value in some output').toEqual([]);
    },
    size(120_000, 400_000),
  );
});
