// Our session state file: live sessions and what is injected where. Never a value: an
// injected value is recognised by a salted HMAC (identify.ts), with a fresh salt per injection.
// 0600, written atomically, and every read-modify-write holds its own lock (`state.json.lock`).
// Lock order everywhere: this lock first, then Claude's config lock.
import { join } from 'node:path';
import type { ClaudePaths } from '../core/paths.js';
import { readPrivateStore, withPrivateStore, type PrivateStore } from '../core/private-store.js';
import type { Target } from '../registry/registry.js';
import { sameEnv, type EnvAddress } from '../claude/address.js';
import { macMatches } from './value-mac.js';
import { isAlive, type ProcessId } from '../core/process-info.js';

export interface SessionRecord extends ProcessId {
  /** Latest Claude Code session id seen for this process (it changes on /clear). */
  sessionId?: string;
  startedAt: string;
  /** Registered by `keyring-inject claude`: pid is the launcher, `claude` the client it started. */
  launcher?: boolean;
  claude?: ProcessId;
}

export interface InjectionRecord extends Target {
  key: string;
  /** The config file we wrote into. */
  file: string;
  /** We created the server's env object, so strip removes it again once it is empty. */
  createdEnv: boolean;
  salt: string;
  mac: string;
}

export interface State {
  version: 1;
  sessions: SessionRecord[];
  injected: InjectionRecord[];
  watchdog?: ProcessId;
  /** Records of values just stripped, re-checked by the watchdog until `until` (epoch ms). */
  tombstones?: { records: InjectionRecord[]; until: number };
  /** Copies of the config already scrubbed, by path: "size:mtimeMs". Backups never change once written. */
  copiesSeen?: Record<string, string>;
  /**
   * The records may be incomplete: the file was damaged or removed during a session, or a
   * session ended that it did not know. Whoever next has the keyring values (session start, the
   * watchdog, cleanup) finds our values again by value and the live sessions by their files.
   */
  recover?: RecoverReason;
  /** For the user, shown by the next SessionStart hook (then dropped) and by `status`. Never a value. */
  notices?: string[];
}

export type RecoverReason = 'damaged' | 'removed' | 'unrecorded';

export function stateFile(paths: ClaudePaths): string {
  return join(paths.dataDir, 'state.json');
}

export function emptyState(): State {
  return { version: 1, sessions: [], injected: [] };
}

export function parseState(text: string): State {
  const data = JSON.parse(text) as Partial<State>;
  if (data.version !== 1 || !Array.isArray(data.sessions) || !Array.isArray(data.injected)) {
    throw new Error('unexpected shape');
  }
  return {
    version: 1,
    sessions: data.sessions,
    injected: data.injected,
    ...(data.watchdog ? { watchdog: data.watchdog } : {}),
    ...(data.tombstones ? { tombstones: data.tombstones } : {}),
    ...(data.copiesSeen ? { copiesSeen: data.copiesSeen } : {}),
    ...(data.recover ? { recover: data.recover } : {}),
    ...(Array.isArray(data.notices) ? { notices: data.notices } : {}),
  };
}

function damagedState(): State {
  return { ...emptyState(), recover: 'damaged' };
}

export function addNotice(state: State, text: string): void {
  state.notices = [...(state.notices ?? []).filter((n) => n !== text), text];
}

/**
 * The state store. A damaged (or unreadable) state cannot tell us what is ours: it is kept aside
 * and the state starts over, marked for recovery, so that the values are found again by value.
 */
function stateStore(paths: ClaudePaths): PrivateStore<State> {
  return { file: stateFile(paths), parse: parseState, empty: emptyState, recover: damagedState };
}

/** Read without the lock. A damaged file reads as "nothing recorded, to be recovered". */
export async function readStateForReport(paths: ClaudePaths): Promise<State> {
  return readPrivateStore(stateStore(paths));
}

/**
 * Read-modify-write under the state lock. `fn` mutates the state; it may call `persist` to
 * write it early (write-ahead, durable), and whatever changed is written when it returns.
 * Nothing is written when nothing changed; a recovered state is written even then.
 */
export async function withState<T>(paths: ClaudePaths, fn: (state: State, persist: () => Promise<void>) => Promise<T>): Promise<T> {
  return withPrivateStore(stateStore(paths), async ({ value: state, recovered, write }) => {
    let written = recovered ? '' : JSON.stringify(state);
    const save = async (durable: boolean) => {
      const now = JSON.stringify(state);
      if (now === written) return;
      await write(state, durable);
      written = now;
    };
    const result = await fn(state, () => save(true));
    // Bookkeeping only (sessions, seen copies): a lost write is re-derived by the next sweep.
    await save(false);
    return result;
  });
}

export function sessionAlive(s: SessionRecord): boolean {
  return isAlive(s) || (s.claude !== undefined && isAlive(s.claude));
}

/** Is `value` at `target` one we injected (by any injection record for that target)? */
export function isOursIn(records: readonly InjectionRecord[], target: EnvAddress, value: string): boolean {
  return records.some((r) => sameEnv(r, target) && macMatches(value, r.salt, r.mac));
}
