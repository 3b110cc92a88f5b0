// Start a command with extra environment variables and get out of the way: its stdin, stdout
// and stderr are our own file descriptors (inherited, so bytes never pass through this process),
// signals we receive are passed on, and our exit code is its exit code (128 + n for signal n).
import { spawn, type ChildProcess } from 'node:child_process';
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

/** A relay whose signal handlers are in place: start the child with `run`, remove them with `close`. */
export interface Relay {
  /**
   * Spawn `command args` with `env` and wait for it. After a signal that would end it (any but
   * SIGWINCH) arrived since the relay opened, the child is not started and the result is
   * 128 + n. `onStart` runs once the child has a pid (e.g. to record it); the result waits for
   * it too. Rejects (before anything runs) only when the command cannot be started: 127 not
   * found, 126 not executable, as shells do.
   */
  run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, onStart?: (pid: number) => Promise<void>): Promise<number>;
  /** Remove the signal handlers (idempotent). */
  close(): void;
}

/**
 * Install the signal handlers now, before anything the child's life depends on happens (e.g.
 * keys injected for it): a signal from then on is passed on, never the end of this process with
 * the child left running.
 */
export function openRelay(opts: RelayOptions): Relay {
  const handlers: [NodeJS.Signals, () => void][] = [];
  let pending: NodeJS.Signals[] = [];
  let child: ChildProcess | undefined;
  for (const sig of opts.forward) {
    const h = () => {
      if (child?.pid !== undefined) child.kill(sig);
      else pending.push(sig);
    };
    handlers.push([sig, h]);
    process.on(sig, h);
  }
  for (const sig of opts.ignore ?? []) {
    // Ignored because the child gets it from the terminal itself: before there is a child, nobody would.
    const h = () => {
      if (child === undefined) pending.push(sig);
    };
    handlers.push([sig, h]);
    process.on(sig, h);
  }
  const close = () => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
    handlers.length = 0;
  };
  const run: Relay['run'] = (command, args, env, cwd, onStart) =>
    new Promise<number>((resolve, reject) => {
      if (child !== undefined) throw new Error('internal: a relay runs one child');
      // Asked to stop before the child started (e.g. Ctrl-C while the launcher injects): it never starts.
      const stop = pending.find((s) => s !== 'SIGWINCH');
      if (stop !== undefined) {
        resolve(signalExitCode(stop));
        return;
      }
      try {
        child = spawn(command, [...args], { stdio: 'inherit', env, cwd });
      } catch (err) {
        reject(new KiError('spawn-failed', `cannot start ${safeCommand(command)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err }));
        return;
      }
      const c = child;
      c.on('error', (err: NodeJS.ErrnoException) => {
        // After a successful start, 'error' only means a kill() failed: the child is gone or going.
        if (c.pid !== undefined) return;
        const code = err.code === 'EACCES' ? 126 : 127;
        reject(new KiError('spawn-failed', `cannot start ${safeCommand(command)} (${err.code ?? 'error'})${code === 127 ? ': is it installed and on PATH?' : ''}`, { exitCode: code, cause: err }));
      });
      const started = c.pid !== undefined && onStart ? onStart(c.pid).catch(() => undefined) : Promise.resolve();
      c.once('exit', (code, signal) => {
        void started.then(() => resolve(signal ? signalExitCode(signal) : (code ?? 1)));
      });
      if (c.pid !== undefined) {
        for (const sig of pending) c.kill(sig);
        pending = [];
      }
    });
  return { run, close };
}

/** Spawn `command args` with `env` in a relay of its own and wait for it (see Relay.run). */
export async function spawnRelay(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, opts: RelayOptions): Promise<number> {
  const relay = openRelay(opts);
  try {
    return await relay.run(command, args, env, cwd);
  } finally {
    relay.close();
  }
}

/** A command name for an error message: only its last path part, only if plain. */
function safeCommand(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? '';
  return /^[A-Za-z0-9._+-]{1,64}$/.test(base) ? JSON.stringify(base) : 'the command';
}
