// Our own small JSON files (registry, state): private directory, 0600 files, atomic writes,
// and a proper-lockfile lock around every read-modify-write so concurrent processes never
// lose an update.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { KiError, oneLine } from './errors.js';

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

export async function writePrivateFile(file: string, text: string): Promise<void> {
  await ensurePrivateDir(dirname(file));
  await writeFileAtomic(file, text, { mode: 0o600 });
}

/** Run `fn` holding the lock `<file>.lock`. Waits up to ~5 s for another holder; a lock left by a dead process is taken over after 10 s. */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  await ensurePrivateDir(dirname(file));
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      lockfilePath: `${file}.lock`,
      stale: 10_000,
      retries: { retries: 50, factor: 1, minTimeout: 100, maxTimeout: 100 },
    });
  } catch (err) {
    throw new KiError(
      `could not lock ${file} (${oneLine((err as Error).message)}): another keyring-inject is busy; retry, or remove ${file}.lock if no keyring-inject is running`,
    );
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
