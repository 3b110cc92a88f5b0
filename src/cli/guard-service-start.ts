// Starting the guard service from a hook or the watchdog: our own bundle, detached in a session
// of its own (it outlives the hook), on the listening socket the caller bound (descriptor 3), or,
// where there is no descriptor to hand on, telling on descriptor 3 whether it listens.
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { childProcess } from '../core/lazy-load.js';
import type { ClaudePaths, Env } from '../core/paths.js';
import { ensureGuardService, type StartedService } from '../guard-service/client.js';
import { readGuardServiceConfig } from '../guard-service/config.js';
import type { HandOff } from '../guard-service/value-handoff.js';
import { findClaudeProcess } from '../core/process-info.js';
import { HTTP_GUARDS_MIN_CLIENT, versionAtLeast } from '../install/guard-choice.js';

/**
 * The service, on the socket `listenFd` where there is one; with `handOff` (a session start), a
 * pipe on its descriptor 4 for the values the hook reads (guard-service/value-handoff.ts).
 */
function spawnService(env: Env, listenFd: number | undefined, handOff?: HandOff): StartedService | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  const values = listenFd !== undefined && handOff !== undefined;
  const args = [...(listenFd === undefined ? [] : ['--listen-fd', '3']), ...(values ? ['--values-fd', '4'] : [])];
  const child = childProcess().spawn(process.execPath, [realpathSync(script), 'guard-service', ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', listenFd ?? 'pipe', ...(values ? (['pipe'] as const) : [])],
    cwd: '/',
    env: env as NodeJS.ProcessEnv,
  });
  child.on('error', () => undefined);
  child.unref();
  const pipe = values ? (child.stdio[4] as Writable | null) : null;
  if (pipe) {
    // Not a reason for the hook to stay: it exits when its work is done.
    (pipe as Writable & { unref?: () => void }).unref?.();
    handOff?.attach(pipe);
  }
  return { ready: listenFd === undefined ? (child.stdio[3] as Readable | null) : undefined, release: () => child.unref() };
}

/** Claude Code re-reads changed hooks within this time (seen: under 1.5 s with 2.1.332). */
const RELOAD_WAIT_MS = 2000;

/**
 * The guards back as command hooks of this bundle in settings.json; with `waitForReload`, then
 * a wait until Claude Code has re-read them (before the session's first prompt). False when
 * nothing was changed.
 */
async function guardsBackToCommands(paths: ClaudePaths, waitForReload: boolean): Promise<boolean> {
  const script = process.argv[1];
  if (!script) return false;
  const fallback = await import('../install/guard-fallback.js');
  if (!(await fallback.guardsBackToCommands(paths, process.execPath, script))) return false;
  if (waitForReload) await new Promise((r) => setTimeout(r, RELOAD_WAIT_MS));
  return true;
}

/** The version of the Claude Code that runs this session, as its session file records it; undefined when unknown. */
function sessionClientVersion(paths: ClaudePaths, sessionId: string): string | undefined {
  const claude = findClaudeProcess(paths.sessionsDir, sessionId);
  if (!claude) return undefined;
  try {
    const rec = JSON.parse(readFileSync(join(paths.sessionsDir, `${claude.pid}.json`), 'utf8')) as { sessionId?: unknown; version?: unknown };
    return rec.sessionId === sessionId && typeof rec.version === 'string' ? rec.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * At a session start with http guards: a client older than the first one known to block on a
 * hook-level onFailure (a downgrade since install, or a second, older client) would let calls
 * through while the service is down, so the guards go back to command hooks for every session.
 */
async function olderClientProblem(paths: ClaudePaths, sessionId: string): Promise<string | undefined> {
  if (!readGuardServiceConfig(paths) || !process.argv[1]) return undefined;
  const version = sessionClientVersion(paths, sessionId);
  if (version === undefined || versionAtLeast(version, HTTP_GUARDS_MIN_CLIENT)) return undefined;
  if (!(await guardsBackToCommands(paths, true))) return undefined;
  return `keyring-inject: Claude Code ${version} may not block a tool call when the guard service fails (${HTTP_GUARDS_MIN_CLIENT} or later does), so the guards are command hooks again (slower); after updating Claude Code, 'keyring-inject install' serves them from the service again`;
}

/**
 * Our guard service answers, or one line for the user naming the fix (undefined also when the
 * guards are command hooks). A service started here is handed the hook's keyring read through
 * `handOff`, where given. A port held by another program puts the guards back as command
 * hooks, at a session start and mid-session alike (the watchdog: our service died and another
 * program took its port); at a session start (`atStart`) it then waits for Claude Code to pick
 * that up before the first prompt. With the session's id (at a session start), a client too old
 * for http guards puts them back as command hooks too.
 */
export async function ensureGuardServiceProcess(paths: ClaudePaths, env: Env, atStart = false, sessionId?: string, handOff?: HandOff): Promise<string | undefined> {
  try {
    if (sessionId !== undefined) {
      const older = await olderClientProblem(paths, sessionId);
      if (older) return older;
    }
    const check = await ensureGuardService(paths, (fd) => spawnService(env, fd, handOff));
    if (!check.foreign) return check.problem;
    if (!(await guardsBackToCommands(paths, atStart))) return check.problem;
    return `keyring-inject: another program holds port ${check.port} of the guard service, so the guards are command hooks again (slower; they take effect within a few seconds); 'keyring-inject install --guards http' moves the service to a new port`;
  } catch (err) {
    return `keyring-inject: the guard service: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}
