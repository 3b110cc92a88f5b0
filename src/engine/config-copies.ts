// Removes our values from the copies Claude Code makes of its config (backups, corrupted
// copies) and the temp files a killed writer leaves beside it. Values are recognised by their
// HMAC records (also in files that no longer parse, next to the variable names we inject); where
// the caller has the keyring values in memory (cleanup, session start) by value too.
import { readFileSync, realpathSync, type Stats, statSync, unlinkSync } from 'node:fs';
import { listDir } from '../core/list-dir.js';
import { rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../core/atomic-write.js';
import type { ClaudePaths } from '../core/paths.js';
import { isPidRunning } from '../core/process-info.js';
import type { Target } from '../registry/registry.js';
import { applyStrips, type StripRequest } from './config-patch.js';
import { macMatches } from './value-mac.js';
import { isOursIn, type InjectionRecord, type State } from './state.js';
import { describeEnv, sameEnv } from '../claude/address.js';

/** Known values by target: only in memory, only when the caller read the keyring. */
export interface KnownValue {
  key: string;
  target: Target;
  value: string;
}

export interface FileFinding {
  file: string;
  /** "KEY: server.env.VAR (user)" for each value found, or "KEY: raw occurrence" in an unparseable copy. */
  found: string[];
}

/** What a value left in a copy becomes when it cannot be removed cleanly (import writes it too). */
export const REMOVED_PLACEHOLDER = '[removed by keyring-inject]';

// Synchronous file calls on the hooks' path (session-end scrubs under the config lock): each
// asynchronous call would cost a thread-pool round trip.
function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function realpathOr(file: string): string {
  try {
    return realpathSync.native(file);
  } catch {
    return file;
  }
}

/** Every copy of the config Claude Code may have made. */
export async function configCopies(paths: ClaudePaths): Promise<string[]> {
  const base = basename(paths.configFile);
  const dirs = [...new Set([paths.backupsDir, dirname(paths.configFile)])];
  const out: string[] = [];
  for (const dir of dirs) {
    for (const name of listDir(dir)) {
      if (name === `${base}.backup` || name.startsWith(`${base}.backup.`) || name.startsWith(`${base}.corrupted.`)) out.push(join(dir, name));
    }
  }
  return out.sort();
}

export function stripRequestsFor(records: readonly InjectionRecord[], known: readonly KnownValue[]): (StripRequest & { key: string })[] {
  const reqs: (StripRequest & { key: string })[] = [];
  const add = (key: string, t: Target, createdEnv: boolean) => {
    const existing = reqs.find((r) => sameEnv(r, t));
    if (existing) existing.removeEnvIfEmpty ||= createdEnv;
    else reqs.push({ key, server: t.server, env: t.env, scope: t.scope, ...(t.project ? { project: t.project } : {}), removeEnvIfEmpty: createdEnv });
  };
  for (const r of records) add(r.key, r, r.createdEnv);
  // A value found by value alone (no record: our state was lost): whether we created its env
  // object is unknown; removing it only when it ends up empty changes nothing for Claude Code.
  for (const k of known) if (!reqs.some((r) => sameEnv(r, k.target))) add(k.key, k.target, true);
  return reqs;
}

export function isOursFn(records: readonly InjectionRecord[], known: readonly KnownValue[]) {
  return (target: Target, value: string) => isOursIn(records, target, value) || known.some((k) => k.value === value && sameEnv(k.target, target));
}

/** Strip our values from one config-shaped text. Returns undefined when the text does not parse. */
export function stripText(text: string, records: readonly InjectionRecord[], known: readonly KnownValue[]): { text: string; found: string[] } | undefined {
  const reqs = stripRequestsFor(records, known);
  if (reqs.length === 0) return { text, found: [] };
  try {
    const { text: out, outcomes } = applyStrips(text, reqs, isOursFn(records, known));
    const found = outcomes.flatMap((o, i) => (o.kind === 'stripped' ? [`${reqs[i]?.key}: ${describeEnv(o.target)}`] : []));
    return { text: out, found };
  } catch {
    return undefined;
  }
}

/**
 * The values our records stand for that sit in a text too broken to parse (a `.corrupted.*`
 * copy): every string literal right after `"<env var of a record>":` is tested against the
 * records for that variable. No keyring needed, and only a few HMACs per record.
 */
export function recordedValuesIn(text: string, records: readonly InjectionRecord[]): { key: string; value: string }[] {
  const found = new Map<string, string>();
  for (const env of new Set(records.map((r) => r.env))) {
    const forEnv = records.filter((r) => r.env === env);
    const name = JSON.stringify(env).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const m of text.matchAll(new RegExp(`${name}\\s*:\\s*("(?:[^"\\\\\\n]|\\\\.)*")`, 'g'))) {
      let value: string;
      try {
        value = JSON.parse(m[1] as string) as string;
      } catch {
        continue;
      }
      if (found.has(value)) continue;
      const r = forEnv.find((rec) => macMatches(value, rec.salt, rec.mac));
      if (r) found.set(value, r.key);
    }
  }
  return [...found].map(([value, key]) => ({ key, value }));
}

/**
 * Our values out of one copy of the config: by target where it parses; where it does not, every
 * occurrence of a value we know (from the keyring, or found by recordedValuesIn) as a JSON
 * string. Undefined when nothing could be checked (a broken copy, and neither records nor values).
 */
export function scrubText(text: string, records: readonly InjectionRecord[], known: readonly KnownValue[]): { text: string; found: string[] } | undefined {
  const parsed = stripText(text, records, known);
  if (parsed !== undefined) return parsed;
  if (records.length === 0 && known.length === 0) return undefined;
  let out = text;
  const found: string[] = [];
  for (const k of [...known, ...recordedValuesIn(text, records)]) {
    const needle = JSON.stringify(k.value);
    if (out.includes(needle)) {
      out = out.split(needle).join(JSON.stringify(REMOVED_PLACEHOLDER));
      found.push(`${k.key}: raw occurrence`);
    }
  }
  return { text: out, found };
}

/**
 * Scrub our values out of every copy of the config. Copies already checked (state.copiesSeen,
 * same size and mtime) are skipped unless `full`: a 20 MB config can have five 20 MB backups.
 */
export async function scrubCopies(paths: ClaudePaths, state: State, known: readonly KnownValue[], dryRun: boolean, full = false): Promise<{ cleaned: FileFinding[]; unreadable: string[] }> {
  const records = [...state.injected, ...(state.tombstones?.records ?? [])];
  const cleaned: FileFinding[] = [];
  const unreadable: string[] = [];
  const seen: Record<string, string> = {};
  const signature = async (f: string) => {
    const st = statOrUndefined(f);
    return st ? `${st.size}:${st.mtimeMs}` : undefined;
  };
  for (const file of await configCopies(paths)) {
    const sig = await signature(file);
    if (sig === undefined) continue;
    if (!full && state.copiesSeen?.[file] === sig) {
      seen[file] = sig;
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      unreadable.push(file);
      continue;
    }
    const result = scrubText(text, records, known);
    if (result === undefined) {
      unreadable.push(file);
      seen[file] = sig;
      continue;
    }
    if (result.found.length > 0) {
      cleaned.push({ file, found: [...new Set(result.found)] });
      if (!dryRun) {
        const st = statSync(file);
        const target = realpathOr(file);
        writeFileAtomicSync(target, result.text, { mode: st.mode & 0o7777, ...(process.getuid?.() === 0 ? { owner: { uid: st.uid, gid: st.gid } } : {}) });
      }
    }
    const after = dryRun ? undefined : await signature(file);
    if (after) seen[file] = after;
  }
  if (!dryRun) state.copiesSeen = seen;
  return { cleaned, unreadable };
}

const STALE_MS = 30_000;

/**
 * Temp files a killed writer left beside the config: `<file>.<digits>` (ours, core/atomic-write.ts:
 * we only write the config under its lock, so with `configLockHeld` any such file is an orphan)
 * and Claude Code's `<file>.tmp.<pid>.<12 hex>` (an orphan once its writer is dead). Otherwise
 * only files older than 30 s count: a fresh one may be a write in progress.
 */
export async function orphanTempFiles(paths: ClaudePaths, configLockHeld = false, now: number = Date.now()): Promise<string[]> {
  const targets = new Set([paths.configFile, realpathOr(paths.configFile)]);
  const found: string[] = [];
  for (const target of targets) {
    const dir = dirname(target);
    const base = basename(target);
    for (const name of listDir(dir)) {
      if (!name.startsWith(`${base}.`)) continue;
      const rest = name.slice(base.length + 1);
      const ours = /^\d+$/.test(rest);
      const claude = /^tmp\.(\d+)\.[0-9a-f]{12}$/.exec(rest);
      if (!ours && !claude) continue;
      const file = join(dir, name);
      const st = statOrUndefined(file);
      if (!st?.isFile()) continue;
      const old = now - st.mtimeMs > STALE_MS;
      const writerDead = claude ? !isPidRunning(Number(claude[1])) : configLockHeld;
      if (old || writerDead) found.push(file);
    }
  }
  return found;
}

export async function removeFiles(files: readonly string[]): Promise<void> {
  for (const f of files) {
    try {
      unlinkSync(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** A lock directory left by a dead holder: proper-lockfile refreshes its mtime while held. */
export async function staleConfigLock(paths: ClaudePaths, now: number = Date.now()): Promise<string | undefined> {
  const lock = `${paths.configFile}.lock`;
  const st = await stat(lock).catch(() => undefined);
  return st?.isDirectory() && now - st.mtimeMs > STALE_MS ? lock : undefined;
}

export async function removeLockDir(dir: string): Promise<void> {
  await rmdir(dir).catch(() => rm(dir, { recursive: true, force: true }));
}
