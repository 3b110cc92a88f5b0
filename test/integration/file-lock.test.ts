// Our file lock (core/file-lock.ts) against real processes: a live proper-lockfile holder as
// Claude Code takes it, and several of our processes racing to take over one dead holder's lock.
// Each holder logs when it enters and leaves; no two intervals may overlap.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/core/file-lock.js';
import { type Bundle, bundleChild } from '../helpers/children/bundle.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOLDER = fileURLToPath(new URL('../helpers/fake-claude/lock-holder.mjs', import.meta.url));
let bundle: Bundle;
let driver: string;

beforeAll(async () => {
  bundle = await bundleChild('lock-driver.ts');
  driver = bundle.file;
});
afterAll(() => bundle.remove());

let dir: string;
let file: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ki-lock-'));
  file = join(dir, 'target.json');
  log = join(dir, 'log');
  writeFileSync(file, '{}');
  writeFileSync(log, '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stderr: string;
}

function runDriver(job: { rounds: number; holdMs: number; waitMs: number; startAt: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [driver, JSON.stringify({ file, log, ...job })], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Starts a proper-lockfile holder; resolves once it holds the lock, and again when it exits. */
function claudeHolder(holdMs: number): Promise<{ exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLDER, file, log, String(holdMs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.on('error', reject);
    child.stdout.once('data', () => resolve({ exited }));
  });
}

/** [pid, enter, exit] intervals from the log; every enter has its exit. */
function intervals(): [string, number, number][] {
  const open = new Map<string, number>();
  const out: [string, number, number][] = [];
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const [pid, what, at] = line.split(' ') as [string, string, string];
    if (what === 'enter') open.set(pid, Number(at));
    else out.push([pid, open.get(pid) as number, Number(at)]);
  }
  return out.sort((a, b) => a[1] - b[1]);
}

function overlaps(list: [string, number, number][]): string[] {
  const found: string[] = [];
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1] as [string, number, number];
    const cur = list[i] as [string, number, number];
    if (cur[1] < prev[2]) found.push(`${cur[0]} entered ${(prev[2] - cur[1]).toFixed(0)} ms before ${prev[0]} left`);
  }
  return found;
}

/** A process id that is certainly dead: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('close', r));
  return child.pid as number;
}

describe('file lock takeover (issue 14 item 6)', () => {
  it("waits for a live proper-lockfile holder (Claude Code's lock, no holder file) instead of taking it over", async () => {
    const holder = await claudeHolder(2500);
    const startAt = Date.now();
    const racers = await Promise.all([0, 1].map(() => runDriver({ rounds: 1, holdMs: 50, waitMs: 10_000, startAt })));
    await holder.exited;
    for (const r of racers) expect(r.stderr).toBe('');
    const list = intervals();
    expect(list).toHaveLength(3);
    expect(overlaps(list)).toEqual([]);
  }, 30_000);

  it("two processes racing to take over a dead holder's lock never hold it together", async () => {
    for (let round = 0; round < 4; round++) {
      writeFileSync(log, '');
      mkdirSync(`${file}.lock`);
      // A holder of ours that died (`lock`: the lock dir's inode; older versions wrote no inode).
      writeFileSync(`${file}.lock.holder`, JSON.stringify({ pid: await deadPid(), procStart: '1', lock: statSync(`${file}.lock`).ino }));
      const startAt = Date.now() + 300;
      const racers = await Promise.all([0, 1, 2].map(() => runDriver({ rounds: 3, holdMs: 40, waitMs: 10_000, startAt })));
      for (const r of racers) expect(r.stderr).toBe('');
      const list = intervals();
      expect(list).toHaveLength(9);
      expect(overlaps(list)).toEqual([]);
      expect(existsSync(`${file}.lock`)).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(['log', 'target.json']);
    }
  }, 60_000);

  it('takes over a holder-less lock only once it is older than the 10 s stale limit', async () => {
    const lock = `${file}.lock`;
    mkdirSync(lock);
    const fiveAgo = (Date.now() - 5000) / 1000;
    utimesSync(lock, fiveAgo, fiveAgo);
    await expect(withFileLock(file, { waitMs: 1500, pollMs: 10, busy: 'busy' }, async () => 'got it')).rejects.toThrow(/busy/);
    expect(existsSync(lock)).toBe(true);
    const elevenAgo = (Date.now() - 11_000) / 1000;
    utimesSync(lock, elevenAgo, elevenAgo);
    await expect(withFileLock(file, { waitMs: 1500, pollMs: 10, busy: 'busy' }, async () => 'got it')).resolves.toBe('got it');
    expect(existsSync(lock)).toBe(false);
  });
});

describe('lock holder file (issue 14 item 10)', () => {
  it('does not follow a symlink planted where the holder file is written', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious');
    // The names a holder file was written under before: the holder itself and `<holder>.<pid>`.
    symlinkSync(victim, `${file}.lock.holder.${process.pid}`);
    await withFileLock(file, { waitMs: 1000, pollMs: 10, busy: 'busy' }, async () => {
      expect(readFileSync(victim, 'utf8')).toBe('precious');
    });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
  });
});
