// Which way `install` (and `setup`) runs the three guards when the user does not say: as http
// hooks to the guard service where the Claude Code the user runs is known to honour a hook's
// own `onFailure: "block"` (a failed request blocks the call), as command hooks everywhere else.
// An http guard in a client that ignores that field would let a tool call through whenever the
// service is down; a command guard costs a Node start per call but never fails open.
//
// Knowing the client without running it (`claude --version` takes hundreds of ms): the `claude`
// the user runs ($KEYRING_INJECT_CLAUDE_BIN, which the launcher runs, else the first on PATH),
// resolved through its symlinks, names its version on disk: an npm install keeps the package's
// package.json a few directories up (global, local, `~/.claude/local`'s wrapper beside its
// node_modules), the native installer keeps each version as `.../versions/<version>`. Anything
// else (a shell alias, a wrapper we cannot follow, no client yet) is unknown: command hooks.
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { Env } from '../core/paths.js';

export type GuardTransport = 'command' | 'http';

/** The first client verified to run http hooks and to block on a hook-level onFailure "block". */
export const HTTP_GUARDS_MIN_CLIENT = '2.1.332';

const PACKAGE = '@anthropic-ai/claude-code';

/** The `claude` the user runs, or undefined. */
export function claudeBinary(env: Env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.KEYRING_INJECT_CLAUDE_BIN) return env.KEYRING_INJECT_CLAUDE_BIN;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, platform === 'win32' ? 'claude.exe' : 'claude');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function packageVersion(file: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    return pkg.name === PACKAGE && typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** The version of the Claude Code installed at `bin` (a path to its `claude`), read from disk; undefined when it cannot be told. */
export function clientVersionAt(bin: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(bin);
  } catch {
    return undefined;
  }
  const native = /[\\/]versions[\\/](\d+\.\d+\.\d+)(?:[\\/]|$)/.exec(real);
  if (native) return native[1];
  let dir = dirname(real);
  for (let i = 0; i < 4; i++) {
    const v = packageVersion(join(dir, 'package.json')) ?? packageVersion(join(dir, 'node_modules', ...PACKAGE.split('/'), 'package.json'));
    if (v) return v;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** a >= b for dotted numeric versions (a suffix such as -beta is ignored). */
export function versionAtLeast(a: string, b: string): boolean {
  const parse = (v: string) => (/^(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1).map(Number);
  const x = parse(a);
  const y = parse(b);
  if (x.length !== 3 || y.length !== 3) return false;
  for (let i = 0; i < 3; i++) if ((x[i] as number) !== (y[i] as number)) return (x[i] as number) > (y[i] as number);
  return true;
}

/** The guards' transport: the one asked for, else http where the user's client is known to support it, else command. */
export function chooseGuards(asked: GuardTransport | undefined, env: Env): GuardTransport {
  if (asked) return asked;
  const bin = claudeBinary(env);
  const version = bin ? clientVersionAt(bin) : undefined;
  return version !== undefined && versionAtLeast(version, HTTP_GUARDS_MIN_CLIENT) ? 'http' : 'command';
}
