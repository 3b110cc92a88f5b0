// Entry point of dist/code-cache.js: runs one of our CommonJS bundles with a V8 code cache kept
// beside it (`.<bundle>.v8-cache`), for the bundles that start on every session and tool call.
// Node 20 compiles a bundle's functions anew in every process: ~15 ms of a ~120 ms SessionStart
// hook here. The cache holds the code V8 compiled in the run that wrote it (Node 22's
// module.enableCompileCache does the same; our floor is Node 20, so one path for all).
//
// - V8 checks a cache against its own version and flags and the source's LENGTH only (a bundle
//   rewritten to the same length would run the old code), so the file also holds the bundle's
//   bytes, compared before use: a memcmp, where a hash would need node:crypto (~2 ms per start)
//   and the file's stat cannot tell an in-place rewrite within one clock tick.
// - It holds compiled code and the bundle's own literals, never a value read at run time
//   (test/integration/code-cache.test.ts looks for the keys in it after real hook runs).
// - Written where it is missing, stale or rejected, at exit (or 3 s into a long-lived process),
//   into a temp file of this process renamed into place; where the directory is not ours to write (a global install), nothing is
//   cached and nothing is serialised. Same trust as the bundle: the same directory, the same
//   owner (the guards keep the model out of our data dir, where the runtime copy lives).
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** 'used': the cache was taken; 'compiled': compiled from source (the cache is written at exit). */
export type CacheUse = 'used' | 'compiled';

const MAGIC = 'keyring-inject v8-cache 1';
// What Node's CommonJS loader wraps a module in.
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;

/** The cache file of a bundle. */
export function cacheFileOf(bundle: string): string {
  return join(dirname(bundle), `.${basename(bundle)}.v8-cache`);
}

/** The cache file's head for a bundle: our magic line, the source's length, the source. */
function headOf(source: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${MAGIC}\n${source.length}\n`), source]);
}

/** The V8 data of the cache file when it was written for these very bytes. */
function readCache(file: string, head: Buffer): Buffer | undefined {
  let data: Buffer;
  let fd: number | undefined;
  try {
    // Non-blocking, and a regular file only: a FIFO left at the name must not hang the hook.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return undefined;
    data = readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return data.length > head.length && data.subarray(0, head.length).equals(head) ? data.subarray(head.length) : undefined;
}

/** A long-lived process (the guard service) writes its cache this long after its start, when its start-up and first answers are compiled. */
const LONG_LIVED_MS = 3000;

/**
 * The code V8 compiled so far, into the cache file (best effort), once: at exit, or after
 * LONG_LIVED_MS in a process still running then (a service stopped by a signal has no exit).
 */
function writeCacheLater(file: string, head: Buffer, script: Script): void {
  let done = false;
  const write = () => {
    if (done) return;
    done = true;
    const tmp = `${file}.${process.pid}.tmp`;
    let fd: number;
    try {
      // Exclusive: never through a link someone left at the temp name. Opened before the
      // serialisation, so that a directory we cannot write costs nothing.
      fd = openSync(tmp, 'wx', 0o644);
    } catch {
      return;
    }
    try {
      writeSync(fd, Buffer.concat([head, script.createCachedData()]));
      closeSync(fd);
      renameSync(tmp, file);
    } catch {
      try {
        closeSync(fd);
      } catch {}
      try {
        unlinkSync(tmp);
      } catch {}
    }
  };
  process.once('exit', write);
  setTimeout(write, LONG_LIVED_MS).unref();
}

/** Run `bundle` (a CommonJS file with no exports we use) as `require` would, with its code cache. */
export function runBundle(bundle: string): CacheUse {
  const source = readFileSync(bundle);
  const head = headOf(source);
  const cacheFile = cacheFileOf(bundle);
  const cachedData = readCache(cacheFile, head);
  const script = new Script(wrap(source.toString('utf8')), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const use: CacheUse = cachedData && !script.cachedDataRejected ? 'used' : 'compiled';
  if (use === 'compiled') writeCacheLater(cacheFile, head, script);
  const module = { exports: {} };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return use;
}
