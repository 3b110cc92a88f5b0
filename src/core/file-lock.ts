// proper-lockfile locks (a `<file>.lock` directory, the scheme Claude Code uses too), plus one
// thing it lacks: a lock left by a SIGKILLed keyring-inject is recognised at once instead of
// after the 10 s staleness window, which is longer than Claude Code's 1.5 s SessionEnd budget.
// After taking a lock we write our identity to a sidecar `<lock>.holder`; a waiter that finds
// the lock held by a dead holder of ours removes it. Claude Code's own locks have no sidecar and
// are simply waited for (they are held for milliseconds) or taken over when stale.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { identify, isAlive, type ProcessId } from '../engine/process-info.js';
import { KiError, oneLine } from './errors.js';

export interface LockOptions {
  /** Total time to wait for another holder, in ms. */
  waitMs: number;
  /** Poll interval while waiting, in ms. */
  pollMs: number;
  /** Message for the user when the lock cannot be had; the reason is appended. */
  busy: string;
}

function holderFile(lockDir: string): string {
  return `${lockDir}.holder`;
}

function deadHolder(lockDir: string): boolean {
  try {
    const holder = JSON.parse(readFileSync(holderFile(lockDir), 'utf8')) as ProcessId;
    return typeof holder.pid === 'number' && !isAlive(holder);
  } catch {
    return false;
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
      if (code !== 'ELOCKED') throw new KiError(`${opts.busy} (${oneLine((err as Error).message)})`);
      if (deadHolder(lockDir)) {
        rmSync(lockDir, { recursive: true, force: true });
        rmSync(holderFile(lockDir), { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new KiError(`${opts.busy} (held by another process for over ${opts.waitMs} ms)`);
      await new Promise((r) => setTimeout(r, opts.pollMs));
    }
  }
  const me = identify(process.pid);
  if (me) writeFileSync(holderFile(lockDir), JSON.stringify(me), { mode: 0o600 });
  try {
    return await fn();
  } finally {
    rmSync(holderFile(lockDir), { force: true });
    await release().catch(() => undefined);
  }
}
