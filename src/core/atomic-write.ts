// The one atomic replace of a file: a temp file beside the target (created exclusively, with
// its final mode), written, fsynced, renamed over the target. Used for our own files
// (secure-file.ts) and Claude Code's config (claude/config-file.ts, which checks the file's
// stamp right before the rename).
//
// Synchronous calls on purpose: the hooks are one-shot processes with nothing to do meanwhile,
// and each asynchronous call costs a thread-pool round trip; write-file-atomic, used before,
// also loaded node:worker_threads and signal-exit into every hook.
import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { nodeCrypto } from './lazy-load.js';

export interface AtomicWriteOptions {
  /** The file's mode (set on the temp file, whatever the umask). */
  mode: number;
  /** fsync before the rename (default true); false where losing the last write in a power cut is harmless. */
  durable?: boolean;
  /** Give the new file this owner (root writing a file that belongs to someone else). */
  owner?: { uid: number; gid: number };
  /** Called right before the rename, with no event-loop turn in between: false abandons the write. */
  beforeRename?: () => boolean;
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
  // Digits only: the orphan sweep (engine/scrub.ts) recognises `<file>.<digits>` beside the config.
  const tmp = `${target}.${process.pid}${nodeCrypto().randomInt(1e9)}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', opts.mode);
    const out = fd;
    produce((chunk) => writeFileSync(out, chunk));
    fchmodSync(fd, opts.mode);
    if (opts.owner) fchownSync(fd, opts.owner.uid, opts.owner.gid);
    if (opts.durable !== false) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (opts.beforeRename && !opts.beforeRename()) {
      unlinkSync(tmp);
      return false;
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
