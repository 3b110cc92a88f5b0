// Our own small files (the JSON stores of private-store.ts, caches): private directory, 0600 files, atomic writes,
// and a proper-lockfile lock around every read-modify-write so concurrent processes never
// lose an update. Synchronous file calls inside: these files are a few KB, and every hook
// reads and writes them (an asynchronous call costs a thread-pool round trip each).
import { chmodSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomicSync } from './atomic-write.js';
import { KiError } from './errors.js';
import { withFileLock } from './file-lock.js';

/**
 * Create `dir` 0700, or make an existing one 0700 (mkdir leaves an existing dir as it is, e.g.
 * 0755 from a restored backup or an older version). A dir of another user is refused: whoever
 * owns it can swap our files.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new KiError('file-refused', `${dir} belongs to another user (uid ${st.uid}): remove it, or make it yours with 'chown ${uid} ${dir}'; nothing was written`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Atomically, 0600, through a symlink to its target. `durable: false` skips the fsync (a few
 * ms) where losing the last write in a power cut is harmless.
 */
export async function writePrivateFile(file: string, text: string, durable = true): Promise<void> {
  await ensurePrivateDir(dirname(file));
  let target = file;
  try {
    target = realpathSync.native(file);
  } catch {
    // not there yet: created where it is named
  }
  writeFileAtomicSync(target, text, { mode: 0o600, durable });
}

/** Run `fn` holding the lock `<file>.lock`: waits up to 5 s for another live holder. */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  await ensurePrivateDir(dirname(file));
  // Only keyring-inject takes these locks: a holder-less one is ours, killed in its first milliseconds.
  return withFileLock(file, { waitMs: 5000, pollMs: 10, holderlessMs: 500, busy: `could not lock ${file}: another keyring-inject is busy; retry in a moment` }, fn);
}
