// What a use case needs from the outside world: no streams, since an op prints nothing and
// returns a report for the command to render. The CLI's context satisfies it.
import type { ClaudePaths, Env } from '../core/paths.js';
import type { ProcessId } from '../core/process-info.js';
import type { EngineContext } from '../engine/engine.js';
import type { SecretBackend } from '../keyring/backend.js';

export interface OpsContext {
  env: Env;
  cwd: string;
  paths: ClaudePaths;
  backend: () => SecretBackend;
  now: () => Date;
  /** Starts the detached watchdog; absent where no real process should be started (in-process tests). */
  spawnWatchdog?: () => ProcessId | undefined;
}

export function engineContext(ctx: OpsContext): EngineContext {
  return { paths: ctx.paths, now: ctx.now, ...(ctx.spawnWatchdog ? { spawnWatchdog: ctx.spawnWatchdog } : {}) };
}
