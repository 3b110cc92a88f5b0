// How the session hooks know that `keyring-inject claude` started their Claude Code: it sets one
// variable for it, `<pid>:<start time>` of the launcher, which then injects and strips itself.
import type { Env } from '../core/paths.js';
import { isAlive, type ProcessId } from '../core/process-info.js';

export const LAUNCHER_ENV = 'KEYRING_INJECT_LAUNCHER';

export function launcherEnvValue(launcher: ProcessId): string {
  return `${launcher.pid}:${launcher.procStart}`;
}

/** The launcher that started this Claude Code, if any, and still alive. */
export function launcherOf(env: Env): ProcessId | undefined {
  const m = /^(\d+):(.+)$/.exec(env[LAUNCHER_ENV] ?? '');
  if (!m) return undefined;
  const id = { pid: Number(m[1]), procStart: m[2] as string };
  return isAlive(id) ? id : undefined;
}
