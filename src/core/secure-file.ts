// Our own small JSON files (registry, state): private directory, 0600 files, atomic writes,
// and a proper-lockfile lock around every read-modify-write so concurrent processes never
// lose an update.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { withFileLock } from './file-lock.js';
import { writeFileAtomicLazily } from './lazy-load.js';

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** `durable: false` skips the fsync (a few ms) where losing the last write in a power cut is harmless. */
export async function writePrivateFile(file: string, text: string, durable = true): Promise<void> {
  await ensurePrivateDir(dirname(file));
  await (await writeFileAtomicLazily())(file, text, { mode: 0o600, fsync: durable });
}

/** Run `fn` holding the lock `<file>.lock`: waits up to 5 s for another live holder. */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  await ensurePrivateDir(dirname(file));
  return withFileLock(file, { waitMs: 5000, pollMs: 10, orphanGraceMs: 500, busy: `could not lock ${file}: another keyring-inject is busy; retry in a moment` }, fn);
}
