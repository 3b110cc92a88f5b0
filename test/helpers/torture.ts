// Shared pieces of the torture suite (issue 8): sizes for the quick and the full run,
// the CLI with every output kept, watchdog retirement, what a killed writer leaves behind, the
// engine as a killable process, and the figures each test prints.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleChild, type Bundle } from './children/bundle.js';
import { type Outputs, walkTree } from './leak.js';
import { hooksFor, killAll, procState, watchdogsFor } from './processes.js';
import { runCli, type SpawnResult } from './spawn-cli.js';
import { sleep, waitUntil } from './wait.js';

/** `KI_TORTURE=full` selects the long run (hundreds of kills, bigger storms). */
export const FULL = process.env.KI_TORTURE === 'full';
export const size = <T>(quick: T, full: T): T => (FULL ? full : quick);

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const randInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

/** Runs the CLI and keeps its outputs for the leak check at the end of the test. */
export async function cli(args: readonly string[], env: Record<string, string>, outputs: Outputs, input?: string): Promise<SpawnResult> {
  const r = await runCli(args, { env, ...(input === undefined ? {} : { input }) });
  outputs.addResult(r);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Our processes of one HOME.

/**
 * Stop the watchdogs of this HOME without creating a crash of their own: each is SIGSTOPped and
 * killed only when no lock dir exists under HOME at that instant (it holds no lock), else let go
 * for a moment and tried again. A watchdog lingers ~3 s after a strip (tombstone re-checks);
 * trials that do not test the watchdog retire it so the next trial starts from a quiet HOME.
 */
export async function retireWatchdogs(home: string): Promise<number> {
  let n = 0;
  for (const pid of watchdogsFor(home)) {
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        break;
      }
      // kill() returns before the target has stopped: wait for state T.
      await waitUntil(() => /^[Tt]$/.test(procState(pid) ?? 'T'), 200, 1);
      if (leftovers(home).lockDirs.length === 0) {
        killAll([pid]);
        n++;
        break;
      }
      killAll([pid], 'SIGCONT');
      await sleep(3);
    }
  }
  await waitUntil(() => watchdogsFor(home).length === 0, 2000, 10);
  return n;
}

/** Wait until no hook or watchdog of ours runs for this HOME (kill them after `timeoutMs`). */
export async function quiesce(home: string, timeoutMs = 4000): Promise<boolean> {
  const ok = await waitUntil(() => hooksFor(home).length === 0 && watchdogsFor(home).length === 0, timeoutMs, 25);
  if (!ok) killAll([...hooksFor(home), ...watchdogsFor(home)]);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// What a killed writer can leave behind beside the config and our state.

export interface Leftovers {
  lockDirs: string[];
  holders: string[];
  /** Temp files beside the config: our atomic writer's `<config>.<digits>`, Claude Code's `<config>.tmp.<pid>.<hex>`. */
  tempFiles: string[];
  /** Temp files of our own state/registry writes (`state.json.<digits>`): no values, only debris. */
  ownTempFiles: string[];
}

export function leftovers(home: string): Leftovers {
  const out: Leftovers = { lockDirs: [], holders: [], tempFiles: [], ownTempFiles: [] };
  walkTree(home, (p, e) => {
    if (e.name.endsWith('.lock') && e.isDirectory()) out.lockDirs.push(p);
    else if (e.name.endsWith('.lock.holder') || /\.lock\.holder\.\d+-\d+-/.test(e.name)) out.holders.push(p);
    else if (/^(state|registry)\.json\.\d+$/.test(e.name)) out.ownTempFiles.push(p);
    else if (/\.json\.(\d+|tmp\.\d+\.[0-9a-f]{12})$/.test(e.name)) out.tempFiles.push(p);
    return e.name !== '.local'; // the keyring's files
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The engine as a killable process (children/engine-driver.ts, bundled with the same esbuild
// settings as scripts/build.mjs).

let bundled: Promise<Bundle> | undefined;
let built: Bundle | undefined;

/**
 * Remove the bundled driver (call from afterAll). The test runner's worker processes are ended
 * without a normal 'exit', so an exit handler alone left a 116 KB driver.mjs in the temp dir.
 */
export function removeDriver(): void {
  built?.remove();
  built = undefined;
  bundled = undefined;
}

export async function bundleDriver(): Promise<string> {
  bundled ??= bundleChild('engine-driver.ts').then((b) => (built = b));
  return (await bundled).file;
}

export interface DriverJob {
  op: 'start' | 'end' | 'sweep' | 'strip';
  known: { key: string; target: { server: string; env: string; scope: 'user' }; value: string }[];
  who?: { pid: number; procStart: string };
}

export interface DriverOutcome {
  /** The operation finished before the kill (or no kill was asked for). */
  done: boolean;
  /** Set when the operation itself failed (message, never a value). */
  error?: string;
  opMs?: number;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Run one engine operation in its own process; SIGKILL it `killAfterMs` after "go". */
export function runDriver(bundle: string, env: Record<string, string>, job: DriverJob, killAfterMs?: number): Promise<DriverOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (c: Buffer) => {
      const before = stdout;
      stdout += c.toString();
      if (!before.includes('ready\n') && stdout.includes('ready\n')) {
        child.stdin.write('go\n');
        if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(guard);
      const done = /^done ([\d.]+)$/m.exec(stdout);
      const error = /^error (.*)$/m.exec(stdout)?.[1] ?? (stderr.trim() ? stderr.trim().split('\n').pop() : undefined);
      resolve({ done: Boolean(done), ...(done ? { opMs: Number(done[1]) } : {}), ...(error ? { error } : {}), signal, stdout: stdout + stderr });
    });
    child.stdin.write(`${JSON.stringify(job)}\n`);
  });
}

export const exists = existsSync;

/** Statistics for the figures printed by each test. */
export function stats(xs: readonly number[]): string {
  if (xs.length === 0) return 'n=0';
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
  return `n=${s.length} median=${at(0.5).toFixed(0)} p95=${at(0.95).toFixed(0)} max=${(s[s.length - 1] as number).toFixed(0)} ms`;
}
