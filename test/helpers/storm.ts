// The Claude-side actors of the torture storms: Claude-like writers (fake-claude/config-writer.mjs), the
// real `claude mcp` client, the mutex they take turns on among themselves, and the sampler that
// watches the config from outside (children/sampler.mjs).
import { spawn } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { CLAUDE_BIN, claudeEnv } from './claude/home.js';
import type { Outputs } from './leak.js';
import { sleep } from './wait.js';

const WRITER = fileURLToPath(new URL('./fake-claude/config-writer.mjs', import.meta.url));
const SAMPLER = fileURLToPath(new URL('./children/sampler.mjs', import.meta.url));

export interface SamplerReport {
  rounds: number;
  procScans: number;
  environScans: number;
  cmdlineHits: { pid: number; comm: string }[];
  environHits: { pid: number; comm: string }[];
  configReads: number;
  parseFailures: number;
  anchoredReads: number;
  absentWhileAnchored: { server: string; env: string; at: number }[];
  regressions: { writer: string; from: number; to: number; at: number }[];
  maxSeen: Record<string, number>;
}

export interface WriterReport {
  name: string;
  writes: number;
  unlocked: number;
  final: number;
  errors: number;
  unlockedWrites: [number, number, string][];
}

export class Sampler {
  private readonly child = spawn(process.execPath, [SAMPLER], { stdio: ['pipe', 'pipe', 'inherit'] });
  private readonly lines: string[] = [];
  private readonly waiters: ((l: string) => void)[] = [];
  constructor() {
    createInterface({ input: this.child.stdout }).on('line', (l) => {
      const w = this.waiters.shift();
      if (w) w(l);
      else this.lines.push(l);
    });
  }
  private next(): Promise<string> {
    const l = this.lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => this.waiters.push(r));
  }
  async start(job: { config: string; values: string[]; anchor: { server: string; env: string; value: string }[] }): Promise<void> {
    this.child.stdin.write(`${JSON.stringify(job)}\n`);
    expect(await this.next()).toBe('ready');
  }
  send(cmd: 'anchor-on' | 'anchor-off'): void {
    this.child.stdin.write(`${cmd}\n`);
  }
  async stop(): Promise<SamplerReport> {
    this.child.stdin.write('stop\n');
    return JSON.parse(await this.next()) as SamplerReport;
  }
  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** The Claude-side mutex (see fake-claude/config-writer.mjs): Claude-like actors take turns among themselves only. */
export async function withClaudeMutex<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await sleep(2);
    }
  }
  try {
    return await fn();
  } finally {
    rmdirSync(dir);
  }
}

/** The real `claude ARGS` (e.g. `mcp add`) in HOME, offline; stdout and stderr as one text. */
export function runClaudeCli(home: string, args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(CLAUDE_BIN, args, { cwd: home, env: claudeEnv({ home }, { api: 'http://127.0.0.1:9' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: performance.now() - t0 });
    });
  });
}

/** What a storm's real `claude` calls did: their count, durations and failures (first line each). */
export interface ClaudeCallLog {
  calls: number;
  ms: number[];
  failures: string[];
}

export const claudeCallLog = (): ClaudeCallLog => ({ calls: 0, ms: [], failures: [] });

/** The `claude mcp add` (a stdio server each) and `claude mcp remove` calls for these names. */
export const mcpCalls = (adds: readonly string[], removes: readonly string[]): string[][] => [
  ...adds.map((n) => ['mcp', 'add', '-s', 'user', n, '--', 'node', `${n}.js`]),
  ...removes.map((n) => ['mcp', 'remove', '-s', 'user', n]),
];

/** One real `claude ARGS` call, taking turns with the Claude-like writers; its output joins `outputs`. */
export async function claudeCall(home: string, mutex: string, args: string[], outputs: Outputs, log: ClaudeCallLog): Promise<void> {
  const r = await withClaudeMutex(mutex, () => runClaudeCli(home, args));
  outputs.add(r.out);
  log.calls++;
  log.ms.push(r.ms);
  if (r.code !== 0) log.failures.push(`claude ${args.slice(0, 2).join(' ')}: exit ${r.code}: ${r.out.trim().split('\n')[0]}`);
}

/** A Claude-like writer changing its own top-level key every `minPauseMs`..`maxPauseMs` until `durationMs` passed. */
export function startWriter(config: string, name: string, durationMs: number, mutex: string, minPauseMs = 3, maxPauseMs = 40): Promise<WriterReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, config, name, String(durationMs), String(minPauseMs), String(maxPauseMs), mutex], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`writer ${name} failed (${code}): ${err}`));
      else resolve(JSON.parse(out) as WriterReport);
    });
  });
}
