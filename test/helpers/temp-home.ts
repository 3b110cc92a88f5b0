// A throwaway HOME per test: Claude's config, our registry and state all live under it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempHome {
  home: string;
  env: Record<string, string>;
  cleanup(): void;
}

export function makeTempHome(extraEnv: Record<string, string> = {}): TempHome {
  const home = mkdtempSync(join(tmpdir(), 'ki-home-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    NO_COLOR: '1',
    ...(process.env.DBUS_SESSION_BUS_ADDRESS ? { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS } : {}),
    ...extraEnv,
  };
  return { home, env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
