// Shared pieces of the torture suite (issue 8): sizes for the quick and the full run, a killable
// Claude Code stand-in, the engine as a killable process, /proc scans and leak checks.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { filesContaining } from './leak.js';
import { CLI, runCli, type SpawnResult } from './spawn-cli.js';

/** `KI_TORTURE=full` selects the long run (hundreds of kills, bigger storms). */
export const FULL = process.env.KI_TORTURE === 'full';
export const size = <T>(quick: T, full: T): T => (FULL ? full : quick);

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const STANDIN = fileURLToPath(new URL('./fake-claude/hooks.mjs', import.meta.url));
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const randInt = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
export const HOOK = (event: 'session-start' | 'session-end') => `${q(process.execPath)} ${q(CLI)} hook ${event}`;
export { CLI };

export const startInput = (sid: string, source = 'startup') => ({ session_id: sid, transcript_path: `/tmp/${sid}.jsonl`, cwd: '/tmp', hook_event_name: 'SessionStart', source });
export const endInput = (sid: string, reason = 'other') => ({ session_id: sid, transcript_path: `/tmp/${sid}.jsonl`, cwd: '/tmp', hook_event_name: 'SessionEnd', reason });

export async function waitUntil(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (performance.now() >= end) return false;
    await sleep(stepMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Every output of every process we ran: checked for values at the end of each test.

export class Outputs {
  readonly texts: string[] = [];
  add(...t: string[]): void {
    this.texts.push(...t);
  }
  addResult(r: { stdout?: string; stderr?: string; out?: string; err?: string }): void {
    this.texts.push(r.stdout ?? r.out ?? '', r.stderr ?? r.err ?? '');
  }
  /** Indexes of outputs that contain any of the values (raw or JSON-escaped). */
  leaks(values: readonly string[]): number[] {
    const needles = values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
    return this.texts.flatMap((t, i) => (needles.some((n) => t.includes(n)) ? [i] : []));
  }
}

export async function cli(args: readonly string[], env: Record<string, string>, outputs: Outputs, input?: string): Promise<SpawnResult> {
  const r = await runCli(args, { env, ...(input === undefined ? {} : { input }) });
  outputs.addResult(r);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Processes a test starts and must not leave behind, even when an assertion fails mid-trial.

const started = new Set<() => void>();

function track(kill: () => void, exited: Promise<void>): void {
  started.add(kill);
  void exited.then(() => started.delete(kill));
}

/** SIGKILL every stand-in and sleeper still running (for afterEach; also done at exit). */
export function killStarted(): void {
  for (const kill of [...started]) kill();
  started.clear();
}
process.once('exit', killStarted);

// ---------------------------------------------------------------------------------------------
// The Claude Code stand-in.

export interface HookResult {
  id: number;
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
  ms: number;
  killed: boolean;
}

export class StandIn {
  readonly child: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: HookResult) => void>();
  readonly exited: Promise<void>;
  constructor(env: Record<string, string>, outputs?: Outputs) {
    this.child = spawn(process.execPath, [STANDIN], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    track(() => this.kill(), this.exited);
    createInterface({ input: this.child.stdout }).on('line', (l) => {
      const r = JSON.parse(l) as HookResult;
      outputs?.addResult(r);
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
  }
  get pid(): number {
    return this.child.pid as number;
  }
  /** Run a hook. Resolves with its result, or undefined if the stand-in died first. */
  run(event: 'session-start' | 'session-end', input: unknown, opts: { killAfterMs?: number; dieAfterSpawn?: boolean } = {}): Promise<HookResult | undefined> {
    const id = this.nextId++;
    const done = new Promise<HookResult | undefined>((resolve) => {
      this.waiting.set(id, resolve);
      void this.exited.then(() => setTimeout(() => resolve(undefined), 50));
    });
    this.child.stdin.write(`${JSON.stringify({ id, cmd: HOOK(event), input, ...opts })}\n`);
    return done;
  }
  kill(): void {
    try {
      this.child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

// ---------------------------------------------------------------------------------------------
// /proc scans.

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function procText(pid: number, what: 'cmdline' | 'environ'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${what}`, 'latin1');
  } catch {
    return undefined;
  }
}

/** Our CLI processes (`args` in their argv) whose environment has HOME=home. */
export function cliProcsFor(home: string, ...args: string[]): number[] {
  return allPids().filter((pid) => {
    const cmd = procText(pid, 'cmdline');
    if (!cmd?.includes(CLI) || !args.every((a) => cmd.split('\0').includes(a))) return false;
    return procText(pid, 'environ')?.split('\0').includes(`HOME=${home}`) ?? false;
  });
}

export const watchdogsFor = (home: string) => cliProcsFor(home, 'watchdog');
export const hooksFor = (home: string) => cliProcsFor(home, 'hook');

export function killAll(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
}

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
  /** Temp files beside the config: write-file-atomic's `<config>.<digits>`, Claude Code's `<config>.tmp.<pid>.<hex>`. */
  tempFiles: string[];
  /** Temp files of our own state/registry writes (`state.json.<digits>`): no values, only debris. */
  ownTempFiles: string[];
}

export function leftovers(home: string): Leftovers {
  const out: Leftovers = { lockDirs: [], holders: [], tempFiles: [], ownTempFiles: [] };
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.name.endsWith('.lock') && e.isDirectory()) out.lockDirs.push(p);
      else if (e.name.endsWith('.lock.holder') || /\.lock\.holder\.\d+-\d+-/.test(e.name)) out.holders.push(p);
      else if (/^(state|registry)\.json\.\d+$/.test(e.name)) out.ownTempFiles.push(p);
      else if (/\.json\.(\d+|tmp\.\d+\.[0-9a-f]{12})$/.test(e.name)) out.tempFiles.push(p);
      if (e.isDirectory() && e.name !== '.local') walk(p);
    }
  };
  walk(home);
  return out;
}

/** Files under `dirs` that hold any of the values (raw or JSON-escaped). */
export function leakingFiles(values: readonly string[], dirs: readonly string[]): string[] {
  return [...new Set(values.flatMap((v) => filesContaining(v, dirs)))].sort();
}

// ---------------------------------------------------------------------------------------------
// The engine as a killable process (engine-driver.ts, bundled with the same esbuild settings as
// scripts/build.mjs).

let bundled: Promise<string> | undefined;
let driverDir: string | undefined;

/**
 * Remove the bundled driver (call from afterAll). The test runner's worker processes are ended
 * without a normal 'exit', so an exit handler alone left a 116 KB driver.mjs in the temp dir.
 */
export function removeDriver(): void {
  if (driverDir !== undefined) rmSync(driverDir, { recursive: true, force: true });
  driverDir = undefined;
  bundled = undefined;
}

export function bundleDriver(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild');
    const dir = mkdtempSync(join(tmpdir(), 'ki-torture-driver-'));
    driverDir = dir;
    const outfile = join(dir, 'driver.mjs');
    await build({
      absWorkingDir: ROOT,
      entryPoints: [fileURLToPath(new URL('./children/engine-driver.ts', import.meta.url))],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      mainFields: ['module', 'main'],
      external: ['@napi-rs/keyring'],
      banner: {
        js: [
          "import { createRequire as __kiCreateRequire } from 'node:module';",
          "import { fileURLToPath as __kiFileURLToPath } from 'node:url';",
          'const require = __kiCreateRequire(import.meta.url);',
          'const __filename = __kiFileURLToPath(import.meta.url);',
        ].join('\n'),
      },
      logLevel: 'warning',
    });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return outfile;
  })();
  return bundled;
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

export function procState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

export function procStartOf(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}


export const exists = existsSync;

/** Statistics for the figures printed by each test. */
export function stats(xs: readonly number[]): string {
  if (xs.length === 0) return 'n=0';
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
  return `n=${s.length} median=${at(0.5).toFixed(0)} p95=${at(0.95).toFixed(0)} max=${(s[s.length - 1] as number).toFixed(0)} ms`;
}
