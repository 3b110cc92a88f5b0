// `keyring-inject guard-service`: the long-lived guard service (src/guard-service/guard-server.ts).
import { writeSync, closeSync } from 'node:fs';
import { UsageError } from '../../core/errors.js';
import { registryFile } from '../../core/paths.js';
import { cachingBackend } from '../../guard-service/cached-backend.js';
import { readHandedValues } from '../../guard-service/value-handoff.js';
import { startGuardService } from '../../guard-service/guard-server.js';
import type { Command } from '../command.js';
import { ownCliPaths } from '../own-paths.js';

/** The readiness line for the session hook that started us, on descriptor 3 when it gave one. */
function tell(line: string): void {
  try {
    writeSync(3, `${line}\n`);
    closeSync(3);
  } catch {
    // started by hand, or the hook is gone: nobody to tell
  }
}

/** `[--listen-fd N [--values-fd M]]`, or undefined for anything else. */
function descriptorFlags(argv: readonly string[]): { listenFd?: number; valuesFd?: number } | undefined {
  const fd = (flag: string, i: number) => (argv[i] === flag && /^\d+$/.test(argv[i + 1] ?? '') ? Number(argv[i + 1]) : undefined);
  if (argv.length === 0) return {};
  const listenFd = fd('--listen-fd', 0);
  if (listenFd === undefined) return undefined;
  if (argv.length === 2) return { listenFd };
  const valuesFd = fd('--values-fd', 2);
  return argv.length === 4 && valuesFd !== undefined ? { listenFd, valuesFd } : undefined;
}

export const guardService: Command = {
  name: 'guard-service',
  example: 'keyring-inject install --guards http   # then SessionStart starts the guard service',
  help: `Usage: keyring-inject guard-service

Started detached by the SessionStart hook (and restarted by the watchdog) when the guards are
installed as http hooks ('keyring-inject install --guards http'); you do not run it yourself.
It answers Claude Code's UserPromptSubmit, PreToolUse and PostToolUse hooks on 127.0.0.1 at the
port in <data dir>/guard-service.json, only to requests that carry that file's token, with the
same decisions as 'keyring-inject guard'. It exits when no Claude Code session is left. The hook
that starts it binds the port and hands it the listening socket (--listen-fd N), so that Claude
Code's first request waits for it instead of finding the port closed, and the values it read
from the keyring on a pipe (--values-fd M), so that the first answers need no keyring read.

Exit status: 0 after the last session ended; 3 when the port is taken; 2 when the guards are
not installed as http hooks.`,

  async run(argv, ctx) {
    // --listen-fd N: the hook that started us bound the port and hands us the socket (and reads no
    // readiness line); --values-fd M: and its keyring read comes on that pipe (value-handoff.ts).
    const fds = descriptorFlags(argv);
    if (!fds) throw new UsageError('usage: keyring-inject guard-service');
    const { listenFd, valuesFd } = fds;
    const handed = valuesFd === undefined ? undefined : readHandedValues(valuesFd);
    const backend = cachingBackend(ctx.backend, registryFile(ctx.paths), Date.now, handed);
    const started = await startGuardService({ paths: ctx.paths, listenFd, deps: { paths: ctx.paths, env: ctx.env, cwd: ctx.cwd, backend, cliPaths: ownCliPaths(), node: process.execPath } });
    if (listenFd !== undefined) {
      if (started.kind !== 'listening') return started.kind === 'busy' ? 3 : 2;
      await started.done;
      return 0;
    }
    if (started.kind !== 'listening') {
      tell(started.kind);
      return started.kind === 'busy' ? 3 : 2;
    }
    tell('ready');
    await started.done;
    return 0;
  },
};
