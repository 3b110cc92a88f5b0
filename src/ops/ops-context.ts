// What a use case needs from the outside world: no streams, since an op prints nothing and
// returns a report for the command to render. The CLI's context satisfies it.
import type { ProcessId } from '../core/process-info.js';
import type { EngineContext } from '../engine/engine.js';
import type { ZeroDiskContext } from '../wrap/zero-disk-context.js';

/** The zero-disk operations' context (env, cwd, paths, the keyring, the clock), and starting the watchdog. */
export interface OpsContext extends ZeroDiskContext {
  /** Starts the detached watchdog; absent where no real process should be started (in-process tests). */
  spawnWatchdog?: () => ProcessId | undefined;
}

export function engineContext(ctx: OpsContext): EngineContext {
  return { paths: ctx.paths, now: ctx.now, ...(ctx.spawnWatchdog ? { spawnWatchdog: ctx.spawnWatchdog } : {}) };
}
