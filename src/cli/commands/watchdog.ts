import { existsSync } from 'node:fs';
import { oneLine } from '../../core/errors.js';
import { registryFile } from '../../core/paths.js';
import { withLock } from '../../core/secure-file.js';
import { recoverState, resolveValues, watchTick, type EngineContext } from '../../engine/engine.js';
import { identify, isAlive } from '../../core/process-info.js';
import type { KnownValue } from '../../engine/scrub.js';
import { addNotice, readStateForReport, stateFile, withState } from '../../engine/state.js';
import { loadRegistry } from '../../registry/store.js';
import type { Command } from '../command.js';
import type { CliContext } from '../context.js';
import { engineContext } from '../../ops/context.js';
import { ensureGuardServiceProcess } from '../guard-service-start.js';

const TICK_MS = 500;
/** A watchdog that keeps failing (a vanished HOME, a broken disk) must not live on forever. */
const MAX_FAILED_TICKS = 20;

export const watchdog: Command = {
  name: 'watchdog',
  example: 'keyring-inject status   # shows whether the watchdog runs (the SessionStart hook starts it)',
  help: `Usage: keyring-inject watchdog

Started detached by the SessionStart hook and the launcher; you do not run it yourself. Every
0.5 s it checks that the recorded Claude Code processes are alive (pid and start time). When
none is, it strips what was injected. While sessions live, it scrubs injected values out of new
Claude Code backups (every 2 s). After a strip it re-checks for 3 s that no racing writer put a
value back, then exits. It also exits when another watchdog has taken over.

When our state file was damaged or removed during a session, it reads the keyring (the
session-end hook never does), finds the injected values and the live Claude Code sessions
again, and goes on as before. When it cannot finish (20 failed rounds in a row), it leaves a
notice that 'status' and the next SessionStart message show.`,

  async run(_argv, ctx) {
    const me = identify(process.pid);
    const engine = engineContext({ ...ctx, spawnWatchdog: undefined });
    let failed = 0;
    let lastError = '';
    /** The state has held sessions or records: its disappearance is damage, not "nothing to do". */
    let sawWork = false;
    for (let tick = 0; ; tick++) {
      if (!existsSync(stateFile(ctx.paths))) {
        // The whole data dir gone (uninstall, or the registry with it): nothing left to go by.
        if (!existsSync(ctx.paths.dataDir)) return 0;
        if (!sawWork) {
          // The hook that started us writes the first state right after the spawn, holding the
          // state lock: wait for that write once before concluding there is nothing to watch.
          if (tick > 0) return 0;
          await withLock(stateFile(ctx.paths), async () => undefined).catch(() => undefined);
          if (!existsSync(stateFile(ctx.paths))) return 0;
        } else {
          await withState(ctx.paths, async (state) => {
            state.recover ??= 'removed';
          }).catch(() => undefined);
        }
      }
      const peek = await readStateForReport(ctx.paths);
      if (peek.sessions.length > 0 || peek.injected.length > 0) sawWork = true;
      const recorded = peek.watchdog;
      if (recorded && me && (recorded.pid !== me.pid || recorded.procStart !== me.procStart) && isAlive(recorded)) return 0;
      try {
        // Our records were lost: find our values again, by the keyring (read here, never on the session-end path).
        if (peek.recover) await recoverWithKeyring(ctx, engine);
        const more = await watchTick(engine, tick % 4 === 0, me);
        failed = 0;
        if (!more) return 0;
        // A guard service that died (killed, crashed) while sessions live is started again; until
        // then its http hooks block every prompt and tool call (onFailure "block").
        if (tick % 2 === 1) await ensureGuardServiceProcess(ctx.paths, ctx.env);
      } catch (err) {
        lastError = oneLine(err instanceof Error ? err.message : String(err));
        if (++failed >= MAX_FAILED_TICKS) {
          // Say so where the user looks: status, and the next SessionStart's message.
          const notice = `the watchdog gave up after ${failed} failed attempts (${lastError}): keys may still be in ${ctx.paths.configFile}; run 'keyring-inject cleanup'`;
          await withState(ctx.paths, async (state) => addNotice(state, notice)).catch(() => undefined);
          return 1;
        }
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  },
};

async function recoverWithKeyring(ctx: CliContext, engine: EngineContext): Promise<void> {
  let known: KnownValue[];
  try {
    known = (await resolveValues(await loadRegistry(registryFile(ctx.paths)), ctx.backend(), undefined, { env: ctx.env })).known;
  } catch (err) {
    await recoverState(engine, undefined, oneLine(err instanceof Error ? err.message : String(err)));
    return;
  }
  await recoverState(engine, known);
}
