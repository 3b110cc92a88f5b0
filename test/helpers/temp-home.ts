// A throwaway HOME per test: Claude's config, our registry and state all live under it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface TempHome {
  home: string;
  env: Record<string, string>;
  cleanup(): void;
}

/**
 * The machine's PATH without a directory that holds a `claude`: which guards `install` picks by
 * default depends on the client the user runs, and a test must not depend on the developer's.
 * A test that wants a client puts one on PATH (or in KEYRING_INJECT_CLAUDE_BIN) itself.
 */
function pathWithoutClaude(): string {
  const dirs = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter);
  return dirs.filter((d) => !existsSync(join(d, 'claude'))).join(delimiter);
}

export function makeTempHome(extraEnv: Record<string, string> = {}): TempHome {
  const home = mkdtempSync(join(tmpdir(), 'ki-home-'));
  const env: Record<string, string> = {
    PATH: pathWithoutClaude(),
    HOME: home,
    NO_COLOR: '1',
    ...(process.env.DBUS_SESSION_BUS_ADDRESS ? { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS } : {}),
    ...extraEnv,
  };
  return { home, env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
