// Entry point of dist/code-cache.js: runs one of our CommonJS bundles with a V8 code cache kept
// beside it (`.<bundle>.v8-cache`), for the bundles that start on every session and tool call
// (hook.js, guard.js, guard-service.js, watchdog.js; scripts/build.mjs).
// Node 20 compiles a bundle's functions anew in every process: ~10-15 ms of a ~110 ms
// SessionStart hook here. The cache holds the code V8 compiled in the run that wrote it (Node
// 22's module.enableCompileCache does the same; our floor is Node 20, so one path for all).
//
// The file: a head line, the bundle's bytes, V8's data. What V8 itself checks is not enough:
// - it compares the source's LENGTH only (a bundle rewritten to the same length would run the
//   old code), so the file holds the bundle's bytes, compared before use (a memcmp; the file's
//   stat cannot tell an in-place rewrite within one clock tick);
// - it does not checksum its data in a release build, and damaged data can crash Node in the
//   deserializer (V8_Fatal) on every start, which would stop every hook and guard until the
//   file is deleted: so the head carries the data's length and CRC-32, checked before V8 sees
//   it, and the file is fsynced before it is renamed into place.
// It holds compiled code and the bundle's own literals, never a value read at run time
// (test/integration/code-cache.test.ts looks for the key in the caches after real hooks,
// guards and the guard service handled it). Written where it is missing, stale, damaged or
// rejected (V8 rejects a cache of another V8 version or other V8 flags), at exit or 3 s into a
// long-lived process, into a temp file renamed into place; where the directory is not ours to
// write (a global install), nothing is cached and nothing is serialised. Same trust as the
// bundle: the same directory, the same owner (the guards keep the model out of our data dir,
// where the runtime copy lives).
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

/** 'used': the cache was taken; 'compiled': compiled from source (the cache is written later). */
export type CacheUse = 'used' | 'compiled';

const MAGIC = 'keyring-inject v8-cache 2';
/** A cache file larger than its bundle plus this is not read at all. */
const MAX_DATA_BYTES = 64 * 1024 * 1024;
/** A long-lived process (the guard service) writes its cache this long after its start (its start-up code; a service stopped by a signal has no exit). */
const LONG_LIVED_MS = 3000;
/** A temp file older than this was left by a writer that was killed. */
const STALE_TMP_MS = 60_000;

// What Node's CommonJS loader wraps a module in.
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;

/** The cache file of a bundle. */
export function cacheFileOf(bundle: string): string {
  return join(dirname(bundle), `.${basename(bundle)}.v8-cache`);
}

/** The head line of a cache for data of this length and CRC-32. */
const headLine = (sourceBytes: number, data: Buffer) => `${MAGIC} ${sourceBytes} ${data.length} ${crc32(data).toString(16)}\n`;

/** The V8 data of the cache file when it was written, undamaged, for these very bytes. */
function readCache(file: string, source: Buffer): Buffer | undefined {
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    // Not through a link, not blocking on a FIFO, a regular file of a sane size only.
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile() || st.size <= source.length || st.size > source.length + MAX_DATA_BYTES) return undefined;
    bytes = readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const nl = bytes.indexOf(10);
  const head = nl > 0 && nl < 200 ? bytes.toString('latin1', 0, nl).split(' ') : [];
  if (head.length !== 6 || `${head[0]} ${head[1]} ${head[2]}` !== MAGIC || head[3] !== String(source.length)) return undefined;
  const start = nl + 1;
  if (!bytes.subarray(start, start + source.length).equals(source)) return undefined;
  const data = bytes.subarray(start + source.length);
  return String(data.length) === head[4] && crc32(data).toString(16) === head[5] ? data : undefined;
}

/** Temp files of writers that were killed mid-write (a SIGKILL between open and rename). */
function removeStaleTemps(file: string): void {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  try {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const path = join(dir, name);
      if (Date.now() - statSync(path).mtimeMs > STALE_TMP_MS) unlinkSync(path);
    }
  } catch {
    // best effort
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
}

/** The code V8 compiled so far, into the cache file (best effort), once: at exit, or after LONG_LIVED_MS. */
function writeCacheLater(file: string, source: Buffer, script: Script): void {
  let done = false;
  const write = () => {
    if (done) return;
    done = true;
    removeStaleTemps(file);
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
      const data = script.createCachedData();
      writeAll(fd, Buffer.concat([Buffer.from(headLine(source.length, data), 'latin1'), source, data]));
      fsyncSync(fd);
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
export function runBundle(file: string): CacheUse {
  const bundle = resolve(file);
  const source = readFileSync(bundle);
  const cacheFile = cacheFileOf(bundle);
  const cachedData = readCache(cacheFile, source);
  const script = new Script(wrap(source.toString('utf8')), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const use: CacheUse = cachedData && !script.cachedDataRejected ? 'used' : 'compiled';
  if (use === 'compiled') writeCacheLater(cacheFile, source, script);
  const module = { exports: {} };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return use;
}
