// The injection engine: put keyring values into Claude Code's config for live sessions, take
// them out when the last session ends, and clean up after sessions that died.
//
// Order of work in every operation: keyring reads first (slow, no locks held), then our state
// lock, then Claude's config lock for the read-modify-write only. Injection records are written
// to our state BEFORE the config, so a crash between the two leaves a record of something that
// is not there (harmless), never a value that nothing remembers.
import { KiError } from '../core/errors.js';
import type { ClaudePaths, Env } from '../core/paths.js';
import type { SecretBackend } from '../keyring/backend.js';
import { describeProblem, requestFor, resolveRequests, sourceContext } from '../sources/resolver.js';
import type { Registry, Target } from '../registry/registry.js';
import { editConfig, readConfigText, withConfigLock } from '../claude/config-file.js';
import { applyInjections, ConfigParseError, ConfigShapeError, readEnvValues, type InjectOutcome, type InjectRequest, type IsOurs } from './config-patch.js';
import { macOf, newSalt } from './value-mac.js';
import { isAlive, liveClaudeProcesses, type ProcessId } from '../core/process-info.js';
import { orphanTempFiles, removeFiles, scrubCopies, stripText, type FileFinding, type KnownValue } from './config-copies.js';
import { addNotice, isOursIn, readStateForReport, sessionAlive, withState, type InjectionRecord, type RecoverReason, type SessionRecord, type State } from './state.js';
import { describeEnv, envAddressOf, sameEnv, type EnvAddress } from '../claude/address.js';

export interface EngineContext {
  paths: ClaudePaths;
  now: () => Date;
  /** Starts the detached watchdog and returns its identity; absent in in-process tests. */
  spawnWatchdog?: () => ProcessId | undefined;
  /** How long a strip waits for the config lock (default 2 s; cleanup waits out a stale lock). */
  configLockWaitMs?: number;
}

/**
 * Read every registered key's value (outside all locks: a source may take seconds), each from its
 * source (the keyring unless the key names another: see src/sources/). All keyring keys are read
 * in ONE getMany round trip, as before sources existed. A keyring failure throws, as it always
 * did (callers report "could not read the keyring"); a key whose other source fails is listed
 * in `missing`, with the one-line reason in `failures`, and the other keys are still injected.
 */
export async function resolveValues(
  registry: Registry,
  backend: SecretBackend,
  only?: ReadonlySet<string>,
  options: { env?: Env } = {},
): Promise<{ known: KnownValue[]; missing: string[]; failures?: string[] }> {
  const known: KnownValue[] = [];
  const missing: string[] = [];
  const failures: string[] = [];
  // Zero-disk targets ('wrap') get their value at spawn time from `keyring-inject exec`: never injected.
  const wanted = Object.entries(registry.keys)
    .map(([key, rec]) => [key, rec.targets.filter((t) => t.mode !== 'wrap'), rec.source] as const)
    .filter(([key, targets]) => targets.length > 0 && (!only || only.has(key)));
  if (wanted.length === 0) return { known, missing, failures };
  const res = await resolveRequests(
    wanted.map(([key, , source]) => requestFor(key, source)),
    sourceContext(backend, options.env ?? process.env),
  );
  const keyringFailure = res.failed.find((f) => f.request.ref.source === 'keyring');
  if (keyringFailure) throw keyringFailure.error ?? new KiError('source-failed', keyringFailure.reason);
  for (const f of res.failed) failures.push(describeProblem(f.request, f.reason));
  for (const m of res.missing) if (m.request.ref.source !== 'keyring') failures.push(describeProblem(m.request, m.reason));
  for (const [key, targets] of wanted) {
    const value = res.values.get(key);
    if (value === undefined) missing.push(key);
    else for (const target of targets) known.push({ key, target: envAddressOf(target), value });
  }
  return { known, missing, failures };
}

export interface InjectReport {
  injected: string[];
  unchanged: string[];
  conflicts: string[];
  missingServers: string[];
  unsupported: string[];
  /** Config file does not exist. */
  noConfig: boolean;
  /** What needs the user's attention (state.notices), handed over once. Never a value. */
  notices: string[];
}

function sameProcess(a: ProcessId, b: ProcessId): boolean {
  return a.pid === b.pid && a.procStart === b.procStart;
}

/** Forget dead sessions. */
function sweepSessions(state: State): SessionRecord[] {
  const dead = state.sessions.filter((s) => !sessionAlive(s));
  state.sessions = state.sessions.filter(sessionAlive);
  return dead;
}

export interface SessionUpdate extends ProcessId {
  sessionId?: string;
  launcher?: boolean;
  claude?: ProcessId;
}

function register(state: State, who: SessionUpdate, now: Date): void {
  const existing = state.sessions.find((s) => sameProcess(s, who));
  if (existing) {
    if (who.sessionId) existing.sessionId = who.sessionId;
    if (who.claude) existing.claude = who.claude;
    return;
  }
  state.sessions.push({
    pid: who.pid,
    procStart: who.procStart,
    startedAt: now.toISOString(),
    ...(who.sessionId ? { sessionId: who.sessionId } : {}),
    ...(who.launcher ? { launcher: true } : {}),
    ...(who.claude ? { claude: who.claude } : {}),
  });
}

function ensureWatchdog(state: State, ctx: EngineContext): boolean {
  if (!ctx.spawnWatchdog || (state.watchdog && isAlive(state.watchdog))) return false;
  const wd = ctx.spawnWatchdog();
  if (!wd) return false;
  state.watchdog = wd;
  return true;
}

const MAX_ATTEMPTS = 6;
/**
 * Lock holds per edit (see editConfig's rounds), 20–80 ms apart: under a storm of Claude Code
 * writes (16 writers, ~30 writes/s, all going without the lock while we hold it) three holds
 * were still lost 2 times in 3,379 session-starts; eight stay well inside the hooks' timeouts.
 */
const MAX_ROUNDS = 8;

/** Apply `known` to the config text under the config lock, recording what we inject first. */
async function injectLocked(ctx: EngineContext, state: State, persist: () => Promise<void>, known: readonly KnownValue[], report: InjectReport): Promise<void> {
  const file = ctx.paths.configFile;
  // A value we stripped moments ago that a racing writer put back is still ours.
  // Read at each attempt: a redo after our own write must know the values it just wrote.
  const ours = () => [...state.injected, ...(state.tombstones?.records ?? [])];
  const requests: InjectRequest[] = known.map((k) => ({ ...envAddressOf(k.target), value: k.value }));
  // One salt per value for the whole edit: a retry then prepares the very records the failed
  // attempt prepared, and the write-ahead needs no second fsync inside the retry's window.
  const salts = known.map(() => newSalt());
  // A value at its registered target that equals the keyring's is ours even without a record
  // (our state was damaged or removed): taking it back is what lets the next strip remove it.
  const isOurs: IsOurs = (t, v) => isOursIn(ours(), t, v) || known.some((k) => k.value === v && sameEnv(k.target, t));
  const patch = (text: string) => {
    try {
      return applyInjections(text, requests, isOurs);
    } catch (err) {
      if (err instanceof ConfigParseError || err instanceof ConfigShapeError) {
        throw new KiError(err.code, `${file}: ${err.message}; nothing was injected: fix the file (Claude Code keeps copies in ${ctx.paths.backupsDir})`, { cause: err });
      }
      throw err;
    }
  };
  const done = await editConfig(
    file,
    (text) => {
      resetReport(report);
      const { text: out, outcomes } = patch(text);
      const fresh: InjectionRecord[] = [];
      outcomes.forEach((o, i) => {
        const k = known[i] as KnownValue;
        classify(o, k, report);
        // 'unchanged' but known only from a tombstone: record it again, or nothing would strip it.
        const unrecorded = o.kind === 'unchanged' && !isOursIn(state.injected, k.target, k.value);
        if (o.kind === 'injected' || unrecorded) {
          const salt = salts[i] as string;
          // Taken back by value (no record at all): whether we created the env object is lost;
          // strip removes it only if it ends up empty, which changes nothing for Claude Code.
          const byValue = unrecorded && !isOursIn(ours(), k.target, k.value);
          fresh.push({
            key: k.key,
            ...envAddressOf(k.target),
            file,
            createdEnv: (o.kind === 'injected' && o.createdEnv) || byValue || priorCreatedEnv(ours(), k.target),
            salt,
            mac: macOf(k.value, salt),
          });
        }
      });
      return { text: out, result: { fresh, changed: out !== text } };
    },
    {
      secret: true,
      // Write-ahead: the records reach our state before the value reaches the config.
      beforeWrite: async ({ fresh }) => {
        state.injected.push(...fresh);
        await persist();
      },
      // Nothing reached the config: forget the write-ahead records, or a later session would
      // believe the keys are injected. In memory only: a retry usually records the same again
      // (persist then finds nothing changed), and the failure path below writes it down.
      notWritten: async ({ fresh }) => {
        state.injected.splice(state.injected.length - fresh.length, fresh.length);
      },
      // Someone wrote on top of our text: fine if there is nothing left to inject.
      verify: (text) => patch(text).text === text,
      attempts: MAX_ATTEMPTS,
      // While we hold the lock Claude Code writes without it and can beat each of our renames:
      // a few holds, let go in between, before telling the user (2 of 2,925 hook runs failed in
      // the contention torture with one hold).
      rounds: MAX_ROUNDS,
      busy: `${file} kept changing while we tried to update it: start the session again (nothing was written)`,
    },
  ).catch(async (err: unknown) => {
    // The records the last failed attempt took back are still on disk: write that down.
    await persist();
    throw err;
  });
  if (!done.exists) {
    report.noConfig = true;
    return;
  }
  // Nothing to write: 'unchanged' values known only from a tombstone are recorded again.
  if (!done.result.changed) state.injected.push(...done.result.fresh);
}

function labelOf(k: KnownValue): string {
  return `${k.key} -> ${describeEnv(k.target)}`;
}

function priorCreatedEnv(records: readonly InjectionRecord[], t: Target): boolean {
  return records.some((r) => r.createdEnv && sameEnv(r, t));
}

function resetReport(r: InjectReport): void {
  for (const k of ['injected', 'unchanged', 'conflicts', 'missingServers', 'unsupported'] as const) r[k].length = 0;
}

function classify(o: InjectOutcome, k: KnownValue, report: InjectReport): void {
  const label = labelOf(k);
  if (o.kind === 'injected') report.injected.push(label);
  else if (o.kind === 'unchanged') report.unchanged.push(label);
  else if (o.kind === 'conflict') report.conflicts.push(label);
  else if (o.kind === 'missing-server') report.missingServers.push(label);
  else report.unsupported.push(`${label} (${o.reason})`);
}

function emptyReport(): InjectReport {
  return { injected: [], unchanged: [], conflicts: [], missingServers: [], unsupported: [], noConfig: false, notices: [] };
}

/**
 * SessionStart (and the launcher): register the session, forget dead ones, inject, make sure a
 * watchdog runs. Idempotent: a second call for the same process changes nothing.
 */
export async function startSession(ctx: EngineContext, who: SessionUpdate, known: readonly KnownValue[]): Promise<InjectReport> {
  const report = emptyReport();
  await withState(ctx.paths, async (state, persist) => {
    sweepSessions(state);
    register(state, who, ctx.now());
    ensureWatchdog(state, ctx);
    if (known.length > 0) await injectLocked(ctx, state, persist, known, report);
    // Values stripped moments ago are this session's responsibility now: if a racing writer put
    // one back, the end of this session strips it (the watchdog's re-check must not strip under
    // a live session).
    if (state.tombstones) {
      for (const r of state.tombstones.records) if (!state.injected.some((i) => i.salt === r.salt)) state.injected.push(r);
      delete state.tombstones;
    }
    // With the values in hand, injectLocked has recorded ours again; the live sessions remain.
    if (state.recover && known.length > 0) recovered(ctx, state, state.recover, undefined);
    // Copies Claude Code made while a key was in the file: we know the values now, scrub them.
    if (state.injected.length > 0) await withConfigLock(ctx.paths.configFile, () => scrubCopies(ctx.paths, state, known, false));
    report.notices = state.notices ?? [];
    delete state.notices;
  });
  return report;
}

/** Live Claude Code processes the state does not know (it lost them), registered again. */
function recoverSessions(ctx: EngineContext, state: State): void {
  for (const p of liveClaudeProcesses(ctx.paths.sessionsDir)) {
    if (!state.sessions.some((s) => sameProcess(s, p) || (s.claude !== undefined && sameProcess(s.claude, p)))) state.sessions.push({ ...p, startedAt: ctx.now().toISOString() });
  }
}

function recovered(ctx: EngineContext, state: State, reason: RecoverReason, adopted: number | undefined): void {
  recoverSessions(ctx, state);
  delete state.recover;
  if (reason === 'unrecorded' && !adopted) return;
  const what = reason === 'removed' ? 'removed' : reason === 'damaged' ? 'damaged' : 'missing a session';
  const found = adopted === undefined ? 'the injected keys were found again by their keyring value' : `${adopted} injected key(s) were found again by their keyring value`;
  addNotice(state, `our state file was ${what} during a session (something deleted or overwrote it); ${found} and are stripped as usual when the last session ends`);
}

/**
 * The watchdog's repair of a state marked `recover`, with the keyring values it read (off the
 * session-end path): live sessions from Claude Code's session files, and a record for each of
 * our values found at its target. Without values (the keyring could not be read) the user is
 * told to run cleanup.
 */
export async function recoverState(ctx: EngineContext, known: readonly KnownValue[] | undefined, keyringError?: string): Promise<void> {
  await withState(ctx.paths, async (state) => {
    const reason = state.recover;
    if (!reason) return;
    if (known === undefined) {
      recoverSessions(ctx, state);
      delete state.recover;
      if (reason !== 'unrecorded')
        addNotice(
          state,
          `our state file was ${reason} during a session and the keyring could not be read (${keyringError ?? 'unknown error'}): keys injected then may stay in ${ctx.paths.configFile}; run 'keyring-inject cleanup'`,
        );
      return;
    }
    const file = ctx.paths.configFile;
    recovered(ctx, state, reason, adoptByValue(state, known, file, await readConfigText(file).catch(() => undefined)));
  });
}

/** The value at each target in the config `text`, or undefined when there is no text or it is not a config we can read. */
function valuesAt(text: string | undefined, targets: readonly EnvAddress[]): (string | undefined)[] | undefined {
  if (text === undefined) return undefined;
  try {
    return readEnvValues(text, targets);
  } catch {
    return undefined;
  }
}

/** Record each of `known` that sits at its target in the config `text` and has no record. Returns how many. */
function adoptByValue(state: State, known: readonly KnownValue[], file: string, text: string | undefined): number {
  if (known.length === 0) return 0;
  const values = valuesAt(
    text,
    known.map((k) => envAddressOf(k.target)),
  );
  if (!values) return 0;
  let adopted = 0;
  known.forEach((k, i) => {
    if (values[i] !== k.value || isOursIn(state.injected, k.target, k.value)) return;
    const salt = newSalt();
    // Whether we created the env object is lost with the record: strip removes it only if empty.
    state.injected.push({ key: k.key, ...envAddressOf(k.target), file, createdEnv: true, salt, mac: macOf(k.value, salt) });
    adopted++;
  });
  return adopted;
}

/**
 * Another live session injected every inject-mode target of the registry, and the config holds
 * our values there (a failed or interrupted write leaves records only): a session that starts now
 * had them at spawn and only needs registering, with no keyring round trip. Reads, locks nothing.
 */
export async function injectedByLiveSession(paths: ClaudePaths, registry: Registry): Promise<boolean> {
  const state = await readStateForReport(paths);
  if (!state.sessions.some(sessionAlive)) return false;
  const targets = Object.entries(registry.keys).flatMap(([key, rec]) => rec.targets.filter((t) => t.mode !== 'wrap').map((t) => ({ key, t })));
  if (targets.length === 0 || !targets.every(({ key, t }) => state.injected.some((r) => r.key === key && sameEnv(r, t)))) return false;
  const values = valuesAt(
    await readConfigText(paths.configFile).catch(() => undefined),
    targets.map(({ t }) => t),
  );
  return values !== undefined && targets.every(({ t }, i) => values[i] !== undefined && isOursIn(state.injected, t, values[i] as string));
}

/** Replace injected copies of some keys (after rotate) while sessions are live. No session is registered. */
export async function refreshInjected(ctx: EngineContext, known: readonly KnownValue[]): Promise<InjectReport> {
  const report = emptyReport();
  await withState(ctx.paths, async (state, persist) => {
    sweepSessions(state);
    const keys = new Set(known.map((k) => k.key));
    if (state.sessions.length === 0 || !state.injected.some((r) => keys.has(r.key))) return;
    await injectLocked(ctx, state, persist, known, report);
  });
  return report;
}

export interface StripReport {
  stripped: string[];
  copies: FileFinding[];
  tempFiles: string[];
  liveSessions: number;
  skipped: boolean;
}

/**
 * SessionEnd / launcher exit: forget this session; when no live session remains, strip
 * everything we injected. Never touches the keyring.
 */
export async function endSession(ctx: EngineContext, who: ProcessId): Promise<StripReport> {
  return withState(ctx.paths, async (state) => {
    const mine = (s: SessionRecord) => sameProcess(s, who) || (s.claude !== undefined && sameProcess(s.claude, who));
    // A session we never heard of, in a state that remembers nothing: it was removed.
    if (!state.recover && !state.sessions.some(mine) && state.sessions.length === 0 && state.injected.length === 0 && !state.tombstones) state.recover = 'unrecorded';
    // Our records may be gone: the watchdog (which may read the keyring; this path must not)
    // finds our values again, and strips once the last session is gone.
    if (state.recover) ensureWatchdog(state, ctx);
    state.sessions = state.sessions.filter((s) => !mine(s));
    sweepSessions(state);
    const report: StripReport = { stripped: [], copies: [], tempFiles: [], liveSessions: state.sessions.length, skipped: true };
    if (state.sessions.length === 0 && state.injected.length > 0) Object.assign(report, await stripAllLocked(ctx, state, [], false), { skipped: false });
    else if (state.sessions.length === 0) report.skipped = false;
    return report;
  });
}

/** Watchdog / sweeper: if every recorded session is dead, strip. */
export async function sweepDead(ctx: EngineContext): Promise<StripReport | undefined> {
  return withState(ctx.paths, async (state) => {
    sweepSessions(state);
    if (state.sessions.length > 0) return undefined;
    if (state.injected.length === 0) return { stripped: [], copies: [], tempFiles: [], liveSessions: 0, skipped: false };
    return { ...(await stripAllLocked(ctx, state, [], false)), liveSessions: 0, skipped: false };
  });
}

/**
 * Strip every value of ours (by HMAC record, and by value where `known` is given) from the
 * config and its copies, remove orphaned temp files, and forget the records. Caller holds the
 * state lock.
 */
export async function stripAllLocked(ctx: EngineContext, state: State, known: readonly KnownValue[], dryRun: boolean): Promise<Omit<StripReport, 'liveSessions' | 'skipped'>> {
  const file = ctx.paths.configFile;
  const records = [...state.injected, ...(state.tombstones?.records ?? [])];
  const strip = (text: string) => {
    const result = stripText(text, records, known);
    if (result === undefined) throw new KiError('config-invalid', `${file} is not valid JSON: fix it (Claude Code keeps copies in ${ctx.paths.backupsDir}), then run 'keyring-inject cleanup'`);
    return result;
  };
  // Written only if nobody wrote since we read (Claude Code does not wait for the lock).
  const edit = (text: string) => {
    const r = strip(text);
    return { text: r.text, result: r.found };
  };
  let copies: Awaited<ReturnType<typeof scrubCopies>> | undefined;
  let tempFiles: string[] = [];
  const done = await editConfig(file, edit, {
    dryRun,
    verify: (text) => strip(text).found.length === 0,
    attempts: MAX_ATTEMPTS,
    rounds: MAX_ROUNDS,
    busy: `${file} kept changing while we tried to strip it: run 'keyring-inject cleanup'`,
    ...(ctx.configLockWaitMs === undefined ? {} : { lockWaitMs: ctx.configLockWaitMs }),
    // Claude Code's copies of the file, under the same lock hold.
    locked: async () => {
      copies = await scrubCopies(ctx.paths, state, known, dryRun, known.length > 0);
      tempFiles = await orphanTempFiles(ctx.paths, true);
      if (!dryRun) await removeFiles(tempFiles);
    },
  });
  if (!dryRun) {
    // The watchdog checks once more for a few seconds: a racing writer may bring a value back.
    state.tombstones = { records: [...(state.tombstones?.records ?? []), ...state.injected], until: ctx.now().getTime() + TOMBSTONE_MS };
    state.injected = [];
  }
  return { stripped: done.exists ? done.result : [], copies: copies?.cleaned ?? [], tempFiles };
}

export const TOMBSTONE_MS = 3000;

/**
 * One watchdog round, under the state lock: strip when every session is dead; while sessions
 * live, scrub new backup copies; after a strip, re-check the config and its copies for the
 * values just removed until the tombstones expire. Returns false when there is nothing left to watch.
 */
export async function watchTick(ctx: EngineContext, scrubNow: boolean, me?: ProcessId): Promise<boolean> {
  return withState(ctx.paths, async (state) => {
    sweepSessions(state);
    const now = ctx.now().getTime();
    if (state.sessions.length === 0 && state.injected.length > 0) await stripAllLocked(ctx, state, [], false);
    else if (state.sessions.length > 0 && state.injected.length > 0 && scrubNow) {
      await withConfigLock(ctx.paths.configFile, () => scrubCopies(ctx.paths, state, [], false));
    }
    if (state.tombstones && state.sessions.length === 0) {
      // A racing writer (Claude Code does not wait for the lock) may have put a value back.
      // Read without the lock; lock only to rewrite; keep watching longer when it happened.
      const records = state.tombstones.records;
      const text = await readConfigText(ctx.paths.configFile).catch(() => undefined);
      const found = text === undefined ? [] : (stripText(text, records, [])?.found ?? []);
      if (found.length > 0) {
        await stripAllLocked(ctx, state, [], false);
        state.tombstones = { records, until: now + TOMBSTONE_MS };
      } else if (now >= state.tombstones.until) delete state.tombstones;
    }
    const more = state.sessions.length > 0 || state.injected.length > 0 || state.tombstones !== undefined;
    // Deregister under the lock, so a session starting right now starts a new watchdog.
    if (!more && me && state.watchdog && sameProcess(state.watchdog, me)) delete state.watchdog;
    return more;
  });
}
