// proper-lockfile locks (a `<file>.lock` directory, the scheme Claude Code uses too), plus one
// thing it lacks: a lock left by a SIGKILLed keyring-inject is recognised at once instead of
// after the 10 s staleness window, which is longer than Claude Code's 1.5 s SessionEnd budget.
// After taking a lock we write our identity to a sidecar `<lock>.holder` (atomically); a waiter
// that finds the lock held by a dead holder removes it. A lock dir with no holder is either
// Claude Code's (held for milliseconds) or ours, killed between mkdir and the sidecar write:
// after `orphanGraceMs` without a holder it is taken over.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { identify, isAlive, type ProcessId } from '../engine/process-info.js';
import { KiError, oneLine } from './errors.js';

export interface LockOptions {
  /** Total time to wait for another holder, in ms. */
  waitMs: number;
  /** Poll interval while waiting, in ms. */
  pollMs: number;
  /** A lock dir older than this with no readable holder is an orphan. */
  orphanGraceMs: number;
  /** Message for the user when the lock cannot be had; the reason is appended. */
  busy: string;
}

function holderFile(lockDir: string): string {
  return `${lockDir}.holder`;
}

/**
 * True when the lock can be taken over: its holder of ours is dead, its holder file is damaged
 * (only we write one, so it is ours and half-written), or it has had no holder for too long.
 */
function orphaned(lockDir: string, graceMs: number): boolean {
  let text: string | undefined;
  try {
    text = readFileSync(holderFile(lockDir), 'utf8');
  } catch {
    // no holder file: Claude Code's lock, or ours killed before writing it: the age decides
  }
  if (text !== undefined) {
    try {
      const holder = JSON.parse(text) as ProcessId;
      return typeof holder.pid !== 'number' || !isAlive(holder);
    } catch {
      return true;
    }
  }
  try {
    return Date.now() - statSync(lockDir).mtimeMs > graceMs;
  } catch {
    return false; // gone already: the next attempt will tell
  }
}

export async function withFileLock<T>(file: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + opts.waitMs;
  let release: (() => Promise<void>) | undefined;
  for (;;) {
    try {
      release = await lockfile.lock(file, {
        realpath: false,
        lockfilePath: lockDir,
        stale: 10_000,
        retries: 0,
        // The lock dir was removed under us (by a stale takeover): what we write is verified anyway.
        onCompromised: () => undefined,
      });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new KiError(`cannot create the lock ${lockDir} (${code}): its directory is not writable; fix the permissions`);
      }
      if (code !== 'ELOCKED') throw new KiError(`${opts.busy} (${oneLine((err as Error).message)})`);
      if (orphaned(lockDir, opts.orphanGraceMs)) {
        rmSync(lockDir, { recursive: true, force: true });
        rmSync(holderFile(lockDir), { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new KiError(`${opts.busy} (held by another process for over ${opts.waitMs} ms)`);
      await new Promise((r) => setTimeout(r, opts.pollMs));
    }
  }
  const me = identify(process.pid);
  if (me) {
    const tmp = `${holderFile(lockDir)}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(me), { mode: 0o600 });
    renameSync(tmp, holderFile(lockDir));
  }
  try {
    return await fn();
  } finally {
    // Holder first, while the lock is still ours: removing it after the release could delete the
    // next holder's file. A kill in between leaves a holder-less lock, taken over after the grace.
    rmSync(holderFile(lockDir), { force: true });
    await release().catch(() => undefined);
  }
}
