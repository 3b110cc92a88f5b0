// The one atomic replace of a file: a temp file beside the target (created exclusively, with
// its final mode), written, fsynced, renamed over the target. Every file we own or edit is
// written here: our own files (secure-file.ts), Claude Code's config (claude/config-file.ts,
// which checks the file's stamp right before the rename) and its copies, settings.json, a
// project's .claude/secrets.json, the runtime copy.
//
// writeFileAtomicSync is synchronous on purpose: the hooks are one-shot processes with nothing
// to do meanwhile, and each asynchronous call costs a thread-pool round trip. writeFileAtomic is
// the same for callers that must not block (the MCP server) or await anyway. write-file-atomic,
// used before, loaded node:worker_threads and signal-exit, and its sync form swallowed a SIGTERM
// that arrived mid-write (docs/performance.md).
//
// With `replaces`, the rename is a swap (core/rename-exchange.ts) where the system has one: a
// writer that does not take our lock (Claude Code, when it finds the lock held) can land a whole
// write between our last check and our rename; a plain rename would then destroy it unseen. After
// the swap our temp name holds the file we replaced, so we can look at it: not the one we read,
// and it goes back. At every instant the target is a complete file; a crash right after the swap
// leaves the replaced file under our temp name, which the orphan sweep removes (engine/config-copies.ts).
import { closeSync, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, openSync, renameSync, type Stats, unlinkSync, writeFileSync } from 'node:fs';
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { nodeCrypto } from './lazy-load.js';
import { exchangeSync, prepareExchange } from './rename-exchange.js';

/** The temp file beside `target`. Digits only: the orphan sweep (engine/config-copies.ts) recognises `<file>.<digits>` beside the config. */
function tempName(target: string): string {
  return `${target}.${process.pid}${nodeCrypto().randomInt(1e9)}`;
}

export interface AtomicWriteOptions {
  /** The file's mode (set on the temp file, whatever the umask). */
  mode: number;
  /** fsync before the rename (default true); false where losing the last write in a power cut is harmless. */
  durable?: boolean;
  /** Give the new file this owner (root writing a file that belongs to someone else). */
  owner?: { uid: number; gid: number };
  /** Called right before the rename, with no event-loop turn in between: false abandons the write. */
  beforeRename?: () => boolean;
  /**
   * Is the file our rename replaced the one we meant to replace? Asked of the file the swap
   * really put under our temp name (not of a stat taken before): false puts it back and abandons
   * the write. Where no swap exists, only `beforeRename` guards the rename.
   */
  replaces?: (replaced: Stats) => boolean;
}

/**
 * Replace `target` (a real path, not a symlink: callers resolve it) with `text`. Returns false
 * when `beforeRename` refused, and the target was left alone. On any error the temp file is
 * removed and the error thrown.
 */
export function writeFileAtomicSync(target: string, text: string, opts: AtomicWriteOptions): boolean {
  return writeFileAtomicStreamSync(target, (write) => write(text), opts);
}

/**
 * The same replace, with the content written piece by piece by `produce` (a file too large to
 * hold in memory: the leak scrub rewrites transcripts of any size).
 */
export function writeFileAtomicStreamSync(target: string, produce: (write: (chunk: string | Uint8Array) => void) => void, opts: AtomicWriteOptions): boolean {
  const tmp = tempName(target);
  // Not between the last check and the swap: loading it there would widen that gap by ms.
  if (opts.replaces) prepareExchange();
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', opts.mode);
    const out = fd;
    produce((chunk) => writeFileSync(out, chunk));
    fchmodSync(fd, opts.mode);
    if (opts.owner) fchownSync(fd, opts.owner.uid, opts.owner.gid);
    if (opts.durable !== false) fsyncSync(fd);
    const ours = opts.replaces ? fstatSync(fd).ino : undefined;
    closeSync(fd);
    fd = undefined;
    if (opts.beforeRename && !opts.beforeRename()) {
      unlinkSync(tmp);
      return false;
    }
    if (opts.replaces && ours !== undefined) {
      const swapped = swapInto(tmp, target, ours, opts.replaces);
      if (swapped !== undefined) return swapped;
    }
    renameSync(tmp, target);
    return true;
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or renamed already
    }
    throw err;
  }
}

/**
 * Swap our temp file `tmp` (inode `ours`) into `target`, then check what came out. Returns
 * undefined when this system cannot swap (nothing changed: the caller renames), true when the
 * replaced file was the expected one (now removed), false when it was not (it is back in place,
 * our file removed).
 */
function swapInto(tmp: string, target: string, ours: number, replaces: (replaced: Stats) => boolean): boolean | undefined {
  try {
    if (!exchangeSync(tmp, target)) return undefined;
  } catch (err) {
    // The target is gone (or was never there): not the file we read either.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    unlinkSync(tmp);
    return false;
  }
  if (replaces(lstatSync(tmp))) {
    unlinkSync(tmp);
    return true;
  }
  // A foreign write landed before our swap: swap back, so that it is the file again.
  exchangeSync(tmp, target);
  // Yet another foreign write may have replaced ours in the microseconds between the two swaps;
  // then the newest write (it read the file after ours, or after the one we just took out)
  // goes back in place. Our own file is never left in place after a refused write.
  if (lstatSync(tmp).ino !== ours) exchangeSync(tmp, target);
  unlinkSync(tmp);
  return false;
}

/**
 * Replace `file` with `text`, asynchronously. Through a symlink to its target (the link stays a
 * link). An existing file keeps its mode unless `mode` is given, and, written by root, its owner;
 * a new file gets `mode`, or 0666 less the umask. On any error the temp file is removed and the
 * error thrown; the target is then as it was.
 */
export async function writeFileAtomic(file: string, text: string, opts: { mode?: number } = {}): Promise<void> {
  let target = file;
  let existing: { mode: number; uid: number; gid: number } | undefined;
  try {
    target = await realpath(file);
    existing = await stat(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const mode = opts.mode ?? (existing ? existing.mode & 0o7777 : undefined);
  const tmp = tempName(target);
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx', mode ?? 0o666);
    await fh.writeFile(text);
    if (mode !== undefined) await fh.chmod(mode);
    if (existing && process.getuid?.() === 0) await fh.chown(existing.uid, existing.gid);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, target);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
