// What `cleanup` does, shared by the cleanup command and `uninstall --all` (which strips
// through it too).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { oneLine } from '../core/errors.js';
import { deadHolderFiles, STALE_MS } from '../core/file-lock.js';
import { stripAllLocked } from '../engine/engine.js';
import { removeFiles, removeLockDir, staleConfigLock, type FileFinding, type KnownValue } from '../engine/config-copies.js';
import { sessionAlive, withState } from '../engine/state.js';
import { engineContext, type OpsContext } from './ops-context.js';
import { readSessionValues } from './session-values.js';

export interface CleanupReport {
  dryRun: boolean;
  stripped: string[];
  copies: FileFinding[];
  tempFiles: string[];
  staleLock: string | null;
  deadSessions: number;
  liveSessions: number;
  /** The keyring was read, so values no record remembers were found too. */
  keyringChecked: boolean;
}

export async function cleanupAll(ctx: OpsContext, dryRun: boolean): Promise<{ report: CleanupReport; warnings: string[] }> {
  const warnings: string[] = [];
  // With the keyring we also find values that no record remembers (a lost state file).
  let known: KnownValue[] = [];
  const values = await readSessionValues(ctx).catch((err: Error) => ({ keyringError: err, known: [] }));
  if (values.keyringError) warnings.push(`keyring not readable, so only recorded injections are found: ${oneLine(values.keyringError.message)}`);
  else known = values.known;
  const keyringChecked = values.keyringError === undefined;
  // A config lock left by a writer killed in its first milliseconds has no holder file: wait it out.
  const engine = { ...engineContext({ ...ctx, spawnWatchdog: undefined }), configLockWaitMs: STALE_MS + 2000 };
  const report = await withState(ctx.paths, async (state): Promise<CleanupReport> => {
    const dead = state.sessions.filter((s) => !sessionAlive(s)).length;
    const live = state.sessions.length - dead;
    const stripped = await stripAllLocked(engine, state, known, dryRun);
    const staleLock = await staleConfigLock(ctx.paths);
    const ownTemps = [...(await ownTempFiles(ctx.paths.dataDir)), ...(await holderDebris(ctx.paths.dataDir, ctx.paths.configFile))];
    if (!dryRun) {
      state.sessions = state.sessions.filter(sessionAlive);
      if (staleLock) await removeLockDir(staleLock);
      await removeFiles(ownTemps);
      // With the keyring read, values were found by value: what a damaged state lost is dealt with.
      if (keyringChecked) {
        delete state.recover;
        delete state.notices;
      }
    }
    return { dryRun, ...stripped, tempFiles: [...stripped.tempFiles, ...ownTemps], staleLock: staleLock ?? null, deadSessions: dead, liveSessions: live, keyringChecked };
  });
  return { report, warnings };
}

/**
 * Temp files of our own state and registry writes left by a killed process (`<name>.json.<digits>`):
 * they never hold a value, but they are litter. A state temp file is an orphan while we hold the
 * state lock; a registry one once it is older than 30 s.
 */
async function ownTempFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names) {
    const m = /^(state|registry)\.json\.\d+$/.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    const st = await stat(file).catch(() => undefined);
    if (st?.isFile() && (m[1] === 'state' || Date.now() - st.mtimeMs > 30_000)) found.push(file);
  }
  return found;
}

/**
 * Lock holder files of processes that are gone (`<x>.lock.holder.<inode>-<pid>-…`, left by a kill
 * while a lock was being taken or released): no value in them, only litter.
 */
async function holderDebris(dataDir: string, configFile: string): Promise<string[]> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  const lockDirs = new Set([`${configFile}.lock`]);
  for (const name of names) {
    const at = name.indexOf('.lock.holder.');
    if (at > 0) lockDirs.add(join(dataDir, name.slice(0, at + '.lock'.length)));
  }
  return [...lockDirs].flatMap(deadHolderFiles);
}
