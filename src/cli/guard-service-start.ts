// Starting the guard service from a hook or the watchdog: our own bundle, detached in a session
// of its own (it outlives the hook), telling on descriptor 3 whether it listens.
import { realpathSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { childProcess } from '../core/lazy-load.js';
import type { ClaudePaths, Env } from '../core/paths.js';
import { ensureGuardService, type StartedService } from '../guard-service/client.js';

function spawnService(env: Env): StartedService | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  const child = childProcess().spawn(process.execPath, [realpathSync(script), 'guard-service'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    cwd: '/',
    env: env as NodeJS.ProcessEnv,
  });
  child.on('error', () => undefined);
  child.unref();
  return { ready: child.stdio[3] as Readable | null, release: () => child.unref() };
}

/** Our guard service answers, or one line for the user naming the fix (undefined also when the guards are command hooks). */
export function ensureGuardServiceProcess(paths: ClaudePaths, env: Env): Promise<string | undefined> {
  return ensureGuardService(paths, () => spawnService(env)).catch((err: unknown) => `keyring-inject: the guard service: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
}
