// The watchdog's loop: started detached by the SessionStart hook and the launcher, it strips
// what was injected once every recorded Claude Code process is gone, scrubs new backups while
// sessions live, repairs a damaged or removed state with the keyring, and leaves a notice when
// it cannot finish.
import { existsSync } from 'node:fs';
import { oneLine } from '../core/errors.js';
import { identify, isAlive } from '../core/process-info.js';
import { withLock } from '../core/secure-file.js';
import { recoverState, watchTick, type EngineContext } from '../engine/engine.js';
import { addNotice, readStateForReport, stateFile, withState } from '../engine/state.js';
import { engineContext, type OpsContext } from './ops-context.js';
import { readSessionValues } from './session-values.js';

const TICK_MS = 500;
/** A watchdog that keeps failing (a vanished HOME, a broken disk) must not live on forever. */
const MAX_FAILED_TICKS = 20;

export interface WatchRequest {
  /** Starts our guard service again if it died while sessions live. */
  ensureGuardService: () => Promise<unknown>;
}

/** Returns once there is nothing left to watch (0) or after giving up (1). */
export async function watchSessions(ctx: OpsContext, req: WatchRequest): Promise<number> {
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
      if (tick % 2 === 1) await req.ensureGuardService();
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
}

async function recoverWithKeyring(ctx: OpsContext, engine: EngineContext): Promise<void> {
  const values = await readSessionValues(ctx).catch((err: unknown) => ({ keyringError: err instanceof Error ? err : new Error(String(err)), known: [] }));
  if (values.keyringError) await recoverState(engine, undefined, oneLine(values.keyringError.message));
  else await recoverState(engine, values.known);
}
