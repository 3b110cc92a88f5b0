// Our own JSON files under the data dir (the registry, the session state, the wrapped record,
// the approvals): one way to read them, to change them under their lock, to write them (0600,
// atomically), and one policy for a damaged file.
//
// The policy: a file that does not parse or validate is never read as empty and never
// replaced unseen. By default the caller gets the store's own KiError, which names the file
// and the fix, and the file stays as it is. A store whose records can be derived again (the
// session state: injected values are found again by value) may recover instead: under the lock,
// the damaged bytes are first kept beside it as `<file>.damaged-<ms>` (0600; an empty file has
// nothing to keep), then the store starts from its `recover` value, which its caller writes.
// Read without the lock, a recoverable store's damaged file reads as that value, untouched.
import { writeFileSync } from 'node:fs';
import { readTextIfExists, withLock, writePrivateFile } from './secure-file.js';

export interface PrivateStore<T> {
  file: string;
  /** Parse and validate the file's text; for a damaged file, throw the store's KiError (it names the file and the fix). */
  parse: (text: string) => T;
  /** The value when there is no file. */
  empty: () => T;
  /**
   * Recover instead of refusing: the value to start from when the file is damaged or cannot be
   * read. Only for a store whose contents can be derived again.
   */
  recover?: () => T;
}

/** The value held in the store (without the lock). */
export async function readPrivateStore<T>(store: PrivateStore<T>): Promise<T> {
  return (await readForStore(store)).value;
}

interface Read<T> {
  value: T;
  /** The damaged text, when the store recovered from it. */
  damaged?: string;
  recovered: boolean;
}

async function readForStore<T>(store: PrivateStore<T>): Promise<Read<T>> {
  if (!store.recover) {
    const text = await readTextIfExists(store.file);
    return { value: text === undefined ? store.empty() : store.parse(text), recovered: false };
  }
  let text: string | undefined;
  try {
    text = await readTextIfExists(store.file);
    return { value: text === undefined ? store.empty() : store.parse(text), recovered: false };
  } catch {
    return { value: store.recover(), recovered: true, ...(text === undefined ? {} : { damaged: text }) };
  }
}

/** What a change under the lock sees: the value, whether it was recovered from a damaged file, and the write. */
export interface LockedStore<T> {
  value: T;
  /** The file was damaged (or unreadable) and `value` is the store's recover value: write it. */
  recovered: boolean;
  /** Replace the file with `value` (0600, atomic; `durable: false` skips the fsync). */
  write: (value: T, durable?: boolean) => Promise<void>;
}

/** Read, change and write the store holding its lock (`<file>.lock`). */
export async function withPrivateStore<T, R>(store: PrivateStore<T>, fn: (locked: LockedStore<T>) => Promise<R>): Promise<R> {
  return withLock(store.file, async () => {
    const read = await readForStore(store);
    if (read.damaged !== undefined && read.damaged.trim() !== '') keepDamaged(store.file, read.damaged);
    return fn({ value: read.value, recovered: read.recovered, write: (value, durable = true) => writePrivateFile(store.file, serializeStore(value), durable) });
  });
}

/** A store's file as written: indented JSON and a newline. */
function serializeStore(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Keep a damaged file's bytes for the user before the store is replaced (exclusive create, 0600). */
function keepDamaged(file: string, text: string): void {
  try {
    writeFileSync(`${file}.damaged-${Date.now()}`, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // The same bytes kept a moment ago by a change that then failed.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
