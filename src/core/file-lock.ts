// proper-lockfile locks (a `<file>.lock` directory, the scheme Claude Code uses too), plus one
// thing it lacks: a lock left by a SIGKILLed keyring-inject is recognised at once instead of
// after the 10 s staleness window, which is longer than Claude Code's 1.5 s SessionEnd budget.
// After taking a lock we write our identity and the lock dir's inode to a sidecar
// `<lock>.holder`; a waiter that finds the lock held by a dead holder of ours takes it over. A
// lock dir with no holder of its own is Claude Code's (held for milliseconds, mtime refreshed
// every 5 s while held) or ours killed before the sidecar write: it is taken over only once it
// is older than proper-lockfile's 10 s stale limit, exactly when Claude Code would take it too
// (sooner only for locks Claude Code never takes: `holderlessMs`).
//
// The holder is first written under a name that itself says who holds which lock dir
// (`<lock>.holder.<inode>-<pid>-<start>-<random>`), then renamed to `<lock>.holder`; on release it
// is renamed back to such a name before the lock dir goes. So a keyring-inject killed while
// writing its holder, or while releasing, still leaves its pid beside the lock: that lock is taken
// over at once. Only a kill in the microseconds between mkdir and the first create leaves a lock
// without any holder, which then waits out the 10 s stale limit like Claude Code's own.
//
// A takeover is serialised by a takeover-only lock, judges the lock afresh under it, and renames
// the lock dir away (never rm: see takeOver). proper-lockfile's own stale handling (rm, then
// mkdir) is switched off, because two waiters could both judge a lock stale and the second
// remove the first's new lock.
import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { identify, isAlive, type ProcessId } from './process-info.js';
import { KiError, oneLine } from './errors.js';
import { nodeCrypto } from './lazy-load.js';

export interface LockOptions {
  /** Total time to wait for another holder, in ms. */
  waitMs: number;
  /** Poll interval while waiting, in ms. */
  pollMs: number;
  /**
   * How long a lock dir without a holder file of its own may go unrefreshed before it counts as
   * abandoned. STALE_MS (the default) where another program takes the lock without one (Claude
   * Code's config lock); shorter only for a lock that no one but keyring-inject takes, where a
   * holder-less lock dir is ours, killed between its mkdir and its holder write (milliseconds).
   */
  holderlessMs?: number;
  /** Message for the user when the lock cannot be had; the reason is appended. */
  busy: string;
}

/** proper-lockfile's stale limit, which Claude Code uses: a lock whose mtime is older is abandoned. */
export const STALE_MS = 10_000;
/** How often we refresh our own lock's mtime (proper-lockfile's default for a 10 s stale limit). */
const UPDATE_MS = 5_000;
/** proper-lockfile never judges a lock stale itself: takeovers are ours (see above). */
const NEVER_STALE_MS = 2 ** 31 - 1;

interface Holder extends ProcessId {
  /** Inode of the lock dir this holder created. */
  lock: number;
}

function holderFile(lockDir: string): string {
  return `${lockDir}.holder`;
}

/** `<lock>.holder.<inode>-<pid>-<hex start>-<random>`: names its process even while empty. */
function namedHolder(lockDir: string, ino: number, me: ProcessId, random: string): string {
  return `${holderFile(lockDir)}.${ino}-${me.pid}-${Buffer.from(me.procStart).toString('hex')}-${random}`;
}

interface NamedHolder extends ProcessId {
  path: string;
  lock: number;
}

/** The named holder files beside `lockDir` (being written, or left by a release). */
function namedHolders(lockDir: string): NamedHolder[] {
  const prefix = `${basename(holderFile(lockDir))}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(lockDir));
  } catch {
    return [];
  }
  const out: NamedHolder[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-(\d+)-([0-9a-f]+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (!m) continue;
    out.push({ path: join(dirname(lockDir), name), lock: Number(m[1]), pid: Number(m[2]), procStart: Buffer.from(m[3] as string, 'hex').toString() });
  }
  return out;
}

/** Named holder files whose process is gone: debris of a kill, safe to remove (they hold no secret). */
export function deadHolderFiles(lockDir: string): string[] {
  return namedHolders(lockDir)
    .filter((h) => !isAlive(h))
    .map((h) => h.path);
}

function holderOf(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.procStart === 'string' && typeof h.lock === 'number' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

/** What a waiter saw of an abandoned lock: its inode, and the holder file's text if any. */
interface Abandoned {
  ino: number;
  holderText?: string;
  /** Named holder files of this lock dir whose process is dead. */
  named?: string[];
}

/**
 * The lock dir when it can be taken over, else undefined: its holder of ours (the holder file
 * names the lock dir's inode) is dead, it has not been refreshed for the stale limit, or it has
 * no holder of its own for `holderlessMs`. A holder file of another lock dir (an earlier one, or one of
 * an older version without the inode), or one that does not parse, says nothing about this one.
 */
function abandoned(lockDir: string, holderlessMs: number): Abandoned | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(lockDir);
  } catch {
    return undefined; // gone already: the next attempt will tell
  }
  let text: string | undefined;
  try {
    text = readFileSync(holderFile(lockDir), 'utf8');
  } catch {
    // no holder file: Claude Code's lock, or ours killed before writing it: the age decides
  }
  const ownHolder = text !== undefined && holderOf(text)?.lock === st.ino;
  if (text !== undefined) {
    const holder = holderOf(text);
    if (holder?.lock === st.ino && !isAlive(holder)) return { ino: st.ino, holderText: text };
  }
  if (!ownHolder) {
    // Killed while writing its holder, or while releasing: the holder's name says who it was.
    const named = namedHolders(lockDir).filter((h) => h.lock === st.ino);
    if (named.length > 0 && named.every((h) => !isAlive(h))) return { ino: st.ino, ...(text === undefined ? {} : { holderText: text }), named: named.map((h) => h.path) };
  }
  // Not refreshed for the stale limit: abandoned, whoever holds it (proper-lockfile's rule).
  const age = Date.now() - st.mtimeMs;
  return age > STALE_MS || (!ownHolder && age > holderlessMs) ? { ino: st.ino, ...(text === undefined ? {} : { holderText: text }) } : undefined;
}

/** A takeover holds this for microseconds; one older than this was left by a killed process. */
const TAKEOVER_STALE_MS = 2000;

/**
 * Take over an abandoned lock dir: under a second, takeover-only lock (`<lock>.takeover`, a
 * plain mkdir), judge it afresh and rename it away. Serialising takeovers is what keeps a waiter
 * that judged the old lock from moving the new one its rival just made (whose inode may even be
 * the old one's, reused). Returns false when another waiter is taking over: wait and retry.
 */
function takeOver(lockDir: string, holderlessMs: number): boolean {
  const mutex = `${lockDir}.takeover`;
  try {
    mkdirSync(mutex);
  } catch {
    try {
      if (Date.now() - statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) rmdirSync(mutex);
    } catch {
      // gone already
    }
    return false;
  }
  try {
    const seen = abandoned(lockDir, holderlessMs);
    if (!seen) return true;
    const grave = `${lockDir}.stale-${nodeCrypto().randomBytes(6).toString('hex')}`;
    try {
      renameSync(lockDir, grave);
    } catch {
      return true; // released meanwhile
    }
    // Only a holder that was hung, not dead, can have released and a new lock been made between
    // the judgement and the rename: then put the new one back.
    const moved = statSync(grave, { throwIfNoEntry: false })?.ino;
    if (moved !== seen.ino) {
      try {
        renameSync(grave, lockDir);
        return true;
      } catch {
        // taken again meanwhile: the one we moved is lost, as with proper-lockfile's own takeover
      }
    }
    if (seen.holderText !== undefined) {
      try {
        if (readFileSync(holderFile(lockDir), 'utf8') === seen.holderText) rmSync(holderFile(lockDir), { force: true });
      } catch {
        // already gone
      }
    }
    for (const f of seen.named ?? []) removeFile(f);
    rmSync(grave, { recursive: true, force: true });
    return true;
  } finally {
    try {
      rmdirSync(mutex);
    } catch {
      // removed as stale by a waiter: nothing to do
    }
  }
}

/** Who we are and two random suffixes, worked out before the lock is taken to keep the unnamed window short. */
interface Me {
  id: ProcessId;
  random: [string, string];
}

function prepareHolder(): Me | undefined {
  const id = identify(process.pid);
  if (!id) return undefined;
  const bytes = nodeCrypto().randomBytes(16).toString('hex');
  return { id, random: [bytes.slice(0, 16), bytes.slice(16)] };
}

/** Returns the lock dir's inode, or undefined when no holder could be written. */
function writeHolder(lockDir: string, me: Me): number | undefined {
  let lock: number;
  try {
    lock = statSync(lockDir).ino;
  } catch {
    return undefined;
  }
  const record: Holder = { ...me.id, lock };
  // An unpredictable name, created exclusively: a planted file or symlink is never written through.
  const named = namedHolder(lockDir, lock, me.id, me.random[0]);
  writeFileSync(named, JSON.stringify(record), { mode: 0o600, flag: 'wx' });
  renameSync(named, holderFile(lockDir));
  return lock;
}

/** unlink, already gone is fine (rmSync would load its recursive-removal module into every hook). */
function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Rename our holder back to a name that says who we are, release, then remove it. */
async function releaseHolder(lockDir: string, me: Me | undefined, lock: number | undefined, release: () => Promise<void>): Promise<void> {
  let named: string | undefined;
  if (me && lock !== undefined) {
    named = namedHolder(lockDir, lock, me.id, me.random[1]);
    try {
      renameSync(holderFile(lockDir), named);
    } catch {
      named = undefined;
    }
  } else {
    removeFile(holderFile(lockDir));
  }
  await release().catch(() => undefined);
  if (named) removeFile(named);
}

/**
 * The calls proper-lockfile's sync API makes (it copies the fs object it is given: a copy of
 * the whole node:fs would load fs/promises and its streams through their getters).
 */
const LOCK_FS = { mkdirSync, realpathSync, statSync, rmdirSync, utimesSync };

export async function withFileLock<T>(file: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + opts.waitMs;
  const me = prepareHolder();
  let release: (() => Promise<void>) | undefined;
  for (;;) {
    try {
      // Synchronous: mkdir and the mtime probe without thread-pool round trips (the refresh
      // timer still runs between our calls).
      const releaseSync = lockfile.lockSync(file, {
        realpath: false,
        lockfilePath: lockDir,
        stale: NEVER_STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // The lock dir was removed under us (by a stale takeover): what we write is verified anyway.
        onCompromised: () => undefined,
        fs: LOCK_FS,
      });
      release = async () => releaseSync();
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new KiError('file-io', `cannot create the lock ${lockDir} (${code}): its directory is not writable; fix the permissions`, { cause: err });
      }
      if (code !== 'ELOCKED') throw new KiError('file-io', `${opts.busy} (${oneLine((err as Error).message)})`, { cause: err });
      const holderlessMs = opts.holderlessMs ?? STALE_MS;
      if (abandoned(lockDir, holderlessMs) && takeOver(lockDir, holderlessMs)) continue;
      if (Date.now() >= deadline) throw new KiError('lock-timeout', `${opts.busy} (held by another process for over ${opts.waitMs} ms)`);
      await new Promise((r) => setTimeout(r, opts.pollMs));
    }
  }
  let lock: number | undefined;
  try {
    lock = me ? writeHolder(lockDir, me) : undefined;
    return await fn();
  } finally {
    // Holder first, while the lock is still ours: touching it after the release could hit the
    // next holder's file.
    await releaseHolder(lockDir, me, lock, release);
  }
}
