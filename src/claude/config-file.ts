// The only code that reads, locks and writes Claude Code's ~/.claude.json: under the same
// proper-lockfile lock the client takes (`<unresolved path>.lock`), atomically, through a
// symlink to its target, and held only for the read-modify-write itself. The lock only orders
// us after Claude Code's own locked writes: it writes WITHOUT the lock when it finds ours held.
// So `editConfig` replaces the file only if it is still the version it read (checked right
// before the rename, and again on the file the rename really replaced where the rename can be a
// swap: core/atomic-write.ts), re-reads and verifies afterwards, and starts over from the new
// text when any check fails.
import { existsSync, lstatSync, realpathSync, type Stats, statSync } from 'node:fs';
import { listDir } from '../core/list-dir.js';
import { basename, dirname, join } from 'node:path';
import { withFileLock } from '../core/file-lock.js';
import { isPidRunning } from '../core/process-info.js';
import { readTextIfExists } from '../core/secure-file.js';
import { nodeCrypto } from '../core/lazy-load.js';
import { writeFileAtomicSync } from '../core/atomic-write.js';
import { prepareExchange } from '../core/rename-exchange.js';
import { KiError, oneLine } from '../core/errors.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ConfigFileError extends KiError {}

// Synchronous file calls: the hooks have nothing to do meanwhile, and each asynchronous call
// costs a thread-pool round trip.
async function resolveTarget(file: string): Promise<string> {
  try {
    return realpathSync.native(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      const isLink = lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
      if (isLink) throw new ConfigFileError('file-refused', `${file} is a symlink to a file that does not exist: fix or remove the link`);
    }
    throw err;
  }
}

export async function readConfigText(file: string): Promise<string | undefined> {
  const text = await readTextIfExists(file).catch((err: unknown) => {
    throw new ConfigFileError('file-io', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? oneLine(String(err))}): check its permissions`, { cause: err });
  });
  // Missing: a dangling symlink gets its own message.
  if (text === undefined) {
    await resolveTarget(file).catch((e: unknown) => {
      if (e instanceof ConfigFileError) throw e;
    });
  }
  return text;
}

/** `waitMs`: how long to wait for another holder (a lock left by a killed writer is taken over after 10 s). */
export function withConfigLock<T>(file: string, fn: () => Promise<T>, waitMs = 2000): Promise<T> {
  return withFileLock(file, { waitMs, pollMs: 10, busy: `could not lock ${file}: Claude Code or another keyring-inject holds it; retry in a moment` }, fn);
}

/** What tells one version of the file from the next: a rename changes the inode. */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

const stampFrom = (st: Stats): FileStamp => ({ dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });

function stampOf(file: string): FileStamp | undefined {
  try {
    return stampFrom(statSync(file));
  } catch {
    return undefined;
  }
}

function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (!a || !b) return a === b;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Write `text` over `file` atomically (temp file beside the target, fsync, rename; through a
 * symlink to its target). With `secret` the file becomes 0600, otherwise its mode is kept; a
 * read-only file is refused (the user made it so on purpose).
 *
 * With `expected`, the file is replaced only if it is still the version we read: Claude Code
 * writes WITHOUT the lock when it finds ours held. The check sits between the fsync and the
 * rename; where the rename is a swap (Linux, macOS) the file it really replaced is checked too,
 * and put back if it is not the one we read, so that a client write landing in that gap is kept
 * (core/atomic-write.ts). Returns false when the file changed and nothing was written.
 */
export async function writeConfigText(file: string, text: string, secret: boolean, expected?: FileStamp): Promise<boolean> {
  const target = await resolveTarget(file).catch((err: unknown) => {
    if (err instanceof ConfigFileError) throw err;
    return file;
  });
  if (secret) {
    const repo = gitWorkTreeOf(target);
    if (repo)
      throw new ConfigFileError('file-refused', `${file} lives in the git work tree ${repo}: a key written there could be committed; move the file out of the repository or use zero-disk mode`);
  }
  let st: Stats | undefined;
  try {
    st = statSync(target);
  } catch {
    // not there yet
  }
  if (st && (st.mode & 0o200) === 0) {
    throw new ConfigFileError('file-refused', `${file} is read-only: keyring-inject will not change it; make it writable (chmod u+w) or use zero-disk mode`);
  }
  // A writable file with a secret in it becomes 0600; otherwise its mode stays (0600 stays 0600 after a strip).
  const mode = secret || !st ? 0o600 : st.mode & 0o7777;
  const owner = st && typeof process.getuid === 'function' && process.getuid() === 0 ? { uid: st.uid, gid: st.gid } : undefined;
  try {
    return writeFileAtomicSync(target, text, {
      mode,
      ...(owner ? { owner } : {}),
      // The checks and the rename back to back: no event-loop turn between them. A Claude Code
      // write in flight would land after our rename and undo our edit (the re-read catches it).
      // One that lands wholly between the checks and the rename (we were descheduled) would be
      // lost to a plain rename: `replaces` looks at the file the swap took out.
      ...(expected
        ? {
            beforeRename: () => !claudeWriteInFlight(target) && sameStamp(expected, stampOf(target)),
            replaces: (replaced: Stats) => sameStamp(expected, stampFrom(replaced)),
          }
        : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError('file-io', `cannot write ${file} (${code ?? 'error'}): check that its directory is writable`, { cause: err });
  }
}

/**
 * Waits (up to 2 s) until no Claude Code write is in flight: its temp file
 * `<target>.tmp.<pid>.<hex>` exists from before its write until its rename.
 */
async function claudeWritesDone(file: string): Promise<void> {
  const target = await resolveTarget(file).catch(() => file);
  const prefix = `${basename(target)}.tmp.`;
  for (let i = 0; i < 40; i++) {
    const names = listDir(dirname(target)).filter((n) => n.startsWith(prefix));
    // A temp file a crashed Claude Code left behind is old: only a fresh one is a write in flight.
    const ages = names.map((n) => Date.now() - (stampOf(join(dirname(target), n))?.mtimeMs ?? -Infinity));
    if (!ages.some((age) => age < 5000)) return;
    await delay(50);
  }
}

/**
 * Waits (up to `maxMs`) until no live Claude Code write of `file` is in flight. An attempt made
 * meanwhile is lost anyway: that write lands after our read, and our rename is then refused or
 * undone. Starting right after it lands gives the attempt the whole gap before the next one.
 */
async function untilNoClaudeWrite(file: string, maxMs: number): Promise<number> {
  const target = await resolveTarget(file).catch(() => file);
  const start = Date.now();
  while (claudeWriteInFlight(target) && Date.now() - start < maxMs) await delay(2);
  return Date.now() - start;
}

/**
 * A Claude Code write of `target` is under way: its temp file `<target>.tmp.<pid>.<hex>` exists
 * and its process is alive (one a killed client left behind does not count). Microseconds: one
 * directory listing and, only when such a file exists, a signal-0 probe.
 */
function claudeWriteInFlight(target: string): boolean {
  const prefix = `${basename(target)}.tmp.`;
  for (const name of listDir(dirname(target))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)\./.exec(name.slice(prefix.length))?.[1]);
    if (pid > 0 && isPidRunning(pid)) return true;
  }
  return false;
}

/** The git work tree containing `file` (e.g. a dotfiles repository the config is linked into). */
export function gitWorkTreeOf(file: string): string | undefined {
  for (let d = dirname(file); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

export interface EditStep<T> {
  /** The new text; the very same string when nothing changes. */
  text: string;
  result: T;
}

export interface EditOptions<T> {
  /** The text we write holds a secret: the file becomes 0600 and must not be in a git work tree. */
  secret?: boolean;
  /** Compute the edit, write nothing. */
  dryRun?: boolean;
  /** Does a text read back after our write still carry our edit? Default: it equals what we wrote. */
  verify?: (text: string, result: T) => boolean;
  /** Runs before each write (a write-ahead record of what is about to be in the file). */
  beforeWrite?: (result: T) => Promise<void>;
  /** Runs when a prepared write did not reach the file (changed meanwhile, or the write failed). */
  notWritten?: (result: T) => Promise<void>;
  /**
   * After the lock is released, wait this long and check once more that our edit is still there
   * (redoing it if not): a Claude Code process that found our lock held may have read the old
   * text and renamed its copy over ours after our re-read. 0 (the hooks): no such wait.
   */
  settleMs?: number;
  /** The one-line error when the file keeps changing (names the fix). */
  busy?: string;
  /** Runs under the same lock hold once the edit is done (e.g. scrubbing the file's copies). */
  locked?: (outcome: EditOutcome<T>) => Promise<void>;
  /** Tries per lock hold; and lock holds, with a short pause between them. */
  attempts?: number;
  rounds?: number;
  /** How long to wait for the lock (see withConfigLock). */
  lockWaitMs?: number;
}

export type EditOutcome<T> = { exists: false } | { exists: true; result: T; written: boolean };

/**
 * How long an attempt waits for a Claude Code write in flight to land before it reads; and all
 * attempts of one edit together (a temp file a live client never renames must not make every
 * attempt wait).
 */
const IN_FLIGHT_WAIT_MS = 100;
const IN_FLIGHT_WAIT_TOTAL_MS = 1000;

/**
 * One locked read-modify-write of the config: `edit` maps the current text to the new one.
 * Under the lock: read (with its stamp), edit, write beside it, and rename only if the file is
 * still the version we read; then re-read and check that our edit is there (a change made on
 * top of our text is fine: the writer read ours). Any failed check starts over from the file's
 * new text, `attempts` times per lock hold and in at most `rounds` holds. `edit` may run several times and must be pure.
 */
export async function editConfig<T>(file: string, edit: (text: string) => EditStep<T>, opts: EditOptions<T> = {}): Promise<EditOutcome<T>> {
  const attempts = opts.attempts ?? 3;
  const rounds = opts.rounds ?? 1;
  const busy = opts.busy ?? `${file} keeps changing under us (Claude Code writes it without the lock): try again in a moment`;
  let written = false;
  const done = async (outcome: EditOutcome<T>) => {
    await opts.locked?.(outcome);
    return outcome;
  };
  // The swap's library loads before the lock: not while Claude Code's writes go without it.
  if (!opts.dryRun) prepareExchange();
  let waited = 0;
  for (let round = 0; ; round++) {
    const outcome = await withConfigLock(
      file,
      async (): Promise<EditOutcome<T> | 'again'> => {
        for (let attempt = 0; attempt < attempts; attempt++) {
          if (!opts.dryRun) waited += await untilNoClaudeWrite(file, Math.min(IN_FLIGHT_WAIT_MS, IN_FLIGHT_WAIT_TOTAL_MS - waited));
          const before = stampOf(file);
          const text = await readConfigText(file);
          if (text === undefined) return done({ exists: false });
          const step = edit(text);
          if (step.text === text || opts.dryRun) return done({ exists: true, result: step.result, written });
          await opts.beforeWrite?.(step.result);
          let ok = false;
          try {
            ok = await writeConfigText(file, step.text, opts.secret === true, before);
          } finally {
            if (!ok) await opts.notWritten?.(step.result);
          }
          if (!ok) continue;
          written = true;
          const again = await readConfigText(file);
          if (again !== undefined && (again === step.text || (opts.verify?.(again, step.result) ?? false))) return done({ exists: true, result: step.result, written });
        }
        return 'again';
      },
      opts.lockWaitMs,
    );
    if (outcome === 'again') {
      // While we hold the lock every Claude Code write goes without it and can beat our rename:
      // let go for a moment, so that its writes take the lock and queue with ours.
      if (round + 1 >= rounds) throw new ConfigFileError('lock-timeout', busy);
      await delay(20 + nodeCrypto().randomInt(60));
      continue;
    }
    if (!outcome.exists || !outcome.written || !opts.settleMs) return outcome;
    // Settled: the file still has our edit, or edit() finds nothing left to do on its new text.
    await delay(opts.settleMs);
    await claudeWritesDone(file);
    const now = await readConfigText(file);
    if (now === undefined || round + 1 >= rounds) return outcome;
    if (opts.verify?.(now, outcome.result) ?? false) return outcome;
    const redo = edit(now);
    if (redo.text === now) return outcome;
  }
}
