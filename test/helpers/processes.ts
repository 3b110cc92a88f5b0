// Processes a test starts and must not leave behind, and what /proc says about processes: our
// CLI's processes per HOME, a process's state and start time.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { CLI } from './spawn-cli.js';

// Killed at the end of each test (killStarted), even when an assertion fails mid-trial.
const started = new Set<() => void>();

export function track(kill: () => void, exited: Promise<void>): void {
  started.add(kill);
  void exited.then(() => started.delete(kill));
}

/** SIGKILL every stand-in and sleeper still running (for afterEach; also done at exit). */
export function killStarted(): void {
  for (const kill of [...started]) kill();
  started.clear();
}
process.once('exit', killStarted);

/** A process that is alive until killed (stands for a Claude Code process in engine jobs). */
export function sleeper(): { pid: number; kill: () => Promise<void> } {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  track(() => child.kill('SIGKILL'), exited);
  return {
    pid: child.pid as number,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// /proc scans.

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Processes whose working directory is `dir` or inside it (a client still shutting down there). */
export function processesWithCwdIn(dir: string): number[] {
  return allPids().filter((pid) => {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      return cwd === dir || cwd.startsWith(`${dir}/`);
    } catch {
      return false; // gone, or not ours to look at
    }
  });
}

function procText(pid: number, what: 'cmdline' | 'environ'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${what}`, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * Our CLI processes (`args` in their argv) whose environment has HOME=home: run from this
 * checkout's dist/cli.js or from the runtime launcher `install` made (`<data dir>/runtime/cli.js`).
 */
export function cliProcsFor(home: string, ...args: string[]): number[] {
  return allPids().filter((pid) => {
    const argv = procText(pid, 'cmdline')?.split('\0') ?? [];
    if (!argv.some((a) => a === CLI || a.endsWith('dist/cli.js') || a.endsWith('/runtime/cli.js')) || !args.every((a) => argv.includes(a))) return false;
    return procText(pid, 'environ')?.split('\0').includes(`HOME=${home}`) ?? false;
  });
}

export const watchdogsFor = (home: string) => cliProcsFor(home, 'watchdog');
export const hooksFor = (home: string) => cliProcsFor(home, 'hook');
export const guardServicesFor = (home: string) => cliProcsFor(home, 'guard-service');

export function killAll(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
}

/** Field `n` of /proc/PID/stat counted after the command name (0: state), or undefined once it is gone. */
function statField(pid: number, n: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[n];
  } catch {
    return undefined;
  }
}

export const procState = (pid: number): string | undefined => statField(pid, 0);
export const procStartOf = (pid: number): string | undefined => statField(pid, 19);
