// Starting the guard service from a hook or the watchdog: our own bundle, detached in a session
// of its own (it outlives the hook), on the listening socket the caller bound (descriptor 3), or,
// where there is no descriptor to hand on, telling on descriptor 3 whether it listens.
import { realpathSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { childProcess } from '../core/lazy-load.js';
import type { ClaudePaths, Env } from '../core/paths.js';
import { ensureGuardService, type StartedService } from '../guard-service/client.js';

function spawnService(env: Env, listenFd: number | undefined): StartedService | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  const child = childProcess().spawn(process.execPath, [realpathSync(script), 'guard-service', ...(listenFd === undefined ? [] : ['--listen-fd', '3'])], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', listenFd ?? 'pipe'],
    cwd: '/',
    env: env as NodeJS.ProcessEnv,
  });
  child.on('error', () => undefined);
  child.unref();
  return { ready: listenFd === undefined ? (child.stdio[3] as Readable | null) : undefined, release: () => child.unref() };
}

/** Claude Code re-reads changed hooks within this time (seen: under 1.5 s with 2.1.332). */
const RELOAD_WAIT_MS = 2000;

/**
 * Our guard service answers, or one line for the user naming the fix (undefined also when the
 * guards are command hooks). A port held by another program puts the guards back as command
 * hooks, at a session start and mid-session alike (the watchdog: our service died and another
 * program took its port); at a session start (`atStart`) it then waits for Claude Code to pick
 * that up before the first prompt.
 */
export async function ensureGuardServiceProcess(paths: ClaudePaths, env: Env, atStart = false): Promise<string | undefined> {
  try {
    const check = await ensureGuardService(paths, (fd) => spawnService(env, fd));
    if (!check.foreign || !process.argv[1]) return check.problem;
    const { guardsBackToCommands } = await import('../install/guard-fallback.js');
    if (!(await guardsBackToCommands(paths, process.execPath, process.argv[1]))) return check.problem;
    if (atStart) await new Promise((r) => setTimeout(r, RELOAD_WAIT_MS));
    return `keyring-inject: another program holds port ${check.port} of the guard service, so the guards are command hooks again (slower; they take effect within a few seconds); 'keyring-inject install --guards http' moves the service to a new port`;
  } catch (err) {
    return `keyring-inject: the guard service: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}
