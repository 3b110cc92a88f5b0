// Resolve Claude Code's files exactly as the client does (see shared claude-code-facts.md),
// so that a temporary HOME or CLAUDE_CONFIG_DIR redirects everything, tests included.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { requireLazily } from './lazy-load.js';

export interface ClaudePaths {
  /** `$CLAUDE_CONFIG_DIR`, else `~/.claude`. */
  configDir: string;
  /** The global config: legacy `<configDir>/.config.json` if it exists, else `${CLAUDE_CONFIG_DIR:-$HOME}/.claude.json`. */
  configFile: string;
  /** Claude Code's own lock directory for configFile: the UNRESOLVED path plus `.lock`. */
  configLock: string;
  backupsDir: string;
  sessionsDir: string;
  settingsFile: string;
  /** Our own directory: registry and state, never a secret. */
  dataDir: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

function home(env: Env): string {
  // os.homedir() honours $HOME on POSIX; read it directly so callers can pass a test env.
  // node:os only when neither is set: every hook resolves these paths.
  return env.HOME || env.USERPROFILE || (requireLazily('node:os') as typeof import('node:os')).homedir();
}

export function claudePaths(env: Env = process.env): ClaudePaths {
  const explicitDir = env.CLAUDE_CONFIG_DIR || undefined;
  const configDir = explicitDir ?? join(home(env), '.claude');
  const legacy = join(configDir, '.config.json');
  const configFile = existsSync(legacy) ? legacy : join(explicitDir ?? home(env), '.claude.json');
  return {
    configDir,
    configFile,
    configLock: `${configFile}.lock`,
    backupsDir: join(configDir, 'backups'),
    sessionsDir: join(configDir, 'sessions'),
    settingsFile: join(configDir, 'settings.json'),
    dataDir: env.KEYRING_INJECT_HOME || join(configDir, 'keyring-inject'),
  };
}

/** The stable launcher of the installed runtime (src/install/runtime.ts): what hooks and wrapped servers run. */
export function runtimeLauncher(dataDir: string): string {
  return join(dataDir, 'runtime', 'cli.js');
}

/**
 * Is this file named like our CLI (dist/cli.js, the runtime copy's cli.js, the npm bin)? By
 * name only: right where we recognise what we wrote ourselves (a wrapped entry still unwraps
 * after the install moved). Where a name could be planted, e.g. a command the model writes
 * (guards/model-run.ts), the resolved paths of this very process count instead.
 */
export function isCliFileName(path: string): boolean {
  const b = basename(path);
  return b === 'cli.js' || b === 'keyring-inject' || b === 'keyring-inject.js';
}

export function registryFile(paths: ClaudePaths): string {
  return join(paths.dataDir, 'registry.json');
}
