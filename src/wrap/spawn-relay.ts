// Start a command with extra environment variables and get out of the way: its stdin, stdout
// and stderr are our own file descriptors (inherited, so bytes never pass through this process),
// signals we receive are passed on, and our exit code is its exit code (128 + n for signal n).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { KiError } from '../core/errors.js';

export interface RelayOptions {
  /** Signals passed on to the child. */
  forward: readonly NodeJS.Signals[];
  /** Signals ignored here (the child gets them from the terminal itself). */
  ignore?: readonly NodeJS.Signals[];
}

/**
 * Which signals a relay passes on. On a terminal, Ctrl-C / Ctrl-\ reach the whole foreground
 * group, so the child gets them itself and we ignore them.
 */
export function relaySignals(terminal: boolean): RelayOptions {
  return {
    forward: terminal ? ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] : ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'],
    ignore: terminal ? ['SIGINT', 'SIGQUIT'] : [],
  };
}

/** Exit code for a child killed by `signal`, as a shell reports it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  const n = (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (n ?? 1);
}

/**
 * Spawn `command args` with `env` and wait for it. Rejects (before anything runs) only when the
 * command cannot be started: 127 not found, 126 not executable, as shells do.
 */
export function spawnRelay(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, opts: RelayOptions): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const handlers: [NodeJS.Signals, () => void][] = [];
    const cleanup = () => {
      for (const [sig, h] of handlers) process.removeListener(sig, h);
    };
    // Handlers first: a signal that arrives during spawn must not kill us with the child left behind.
    let pending: NodeJS.Signals[] = [];
    let child: ReturnType<typeof spawn> | undefined;
    for (const sig of opts.forward) {
      const h = () => {
        if (child?.pid !== undefined) child.kill(sig);
        else pending.push(sig);
      };
      handlers.push([sig, h]);
      process.on(sig, h);
    }
    for (const sig of opts.ignore ?? []) {
      const h = () => undefined;
      handlers.push([sig, h]);
      process.on(sig, h);
    }
    try {
      child = spawn(command, [...args], { stdio: 'inherit', env, cwd });
    } catch (err) {
      cleanup();
      reject(new KiError('spawn-failed', `cannot start ${safeCommand(command)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err }));
      return;
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      // After a successful start, 'error' only means a kill() failed: the child is gone or going.
      if (child?.pid !== undefined) return;
      cleanup();
      const code = err.code === 'EACCES' ? 126 : 127;
      reject(new KiError('spawn-failed', `cannot start ${safeCommand(command)} (${err.code ?? 'error'})${code === 127 ? ': is it installed and on PATH?' : ''}`, { exitCode: code, cause: err }));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(signal ? signalExitCode(signal) : (code ?? 1));
    });
    if (child.pid !== undefined) {
      for (const sig of pending) child.kill(sig);
      pending = [];
    }
  });
}

/** A command name for an error message: only its last path part, only if plain. */
function safeCommand(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? '';
  return /^[A-Za-z0-9._+-]{1,64}$/.test(base) ? JSON.stringify(base) : 'the command';
}
