import { oneLine } from '../../core/errors.js';
import { deadHolderFiles, STALE_MS } from '../../core/file-lock.js';
import { registryFile } from '../../core/paths.js';
import { resolveValues, stripAllLocked } from '../../engine/engine.js';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeFiles, removeLockDir, staleConfigLock, type KnownValue } from '../../engine/scrub.js';
import { sessionAlive, withState } from '../../engine/state.js';
import { loadRegistry } from '../../registry/store.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { engineContext, output, type CliContext } from '../context.js';

export const cleanup: Command = {
  name: 'cleanup',
  example: 'keyring-inject cleanup --dry-run   # what a crash left behind, without touching it',
  help: `Usage: keyring-inject cleanup [--dry-run] [--json]

Removes everything of ours that a crashed session may have left: injected values in the Claude
Code config and in its backups and corrupted copies, orphaned temp files beside the config, a
stale config lock, and records of dead sessions. Values are recognised by our records and, when
the keyring can be read, by value as well. Live sessions lose their injected keys too (their
running servers keep what they already have). Idempotent.

  --dry-run  report what would be removed, change nothing
  --json     {"dryRun", "stripped": [...], "copies": [{"file","found"}], "tempFiles": [...],
              "staleLock": path|null, "deadSessions": n, "liveSessions": n, "keyringChecked": bool}

Exit status: 0 when everything was cleaned (or nothing was found), 1 when it could not finish.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
    positionals(p, []);
    const dryRun = bool(p, 'dry-run');
    const out = output(ctx);
    const report = await cleanupAll(ctx, dryRun);
    if (bool(p, 'json')) {
      out.json(report);
      return 0;
    }
    const verb = dryRun ? 'would remove' : 'removed';
    const lines = [
      ...report.stripped.map((s) => `${verb} ${s} from ${ctx.paths.configFile}`),
      ...report.copies.flatMap((c) => c.found.map((f) => `${verb} ${f} from ${c.file}`)),
      ...report.tempFiles.map((f) => `${verb} orphaned temp file ${f}`),
      ...(report.staleLock ? [`${verb} stale lock ${report.staleLock}`] : []),
      ...(report.deadSessions > 0 ? [`${verb} ${report.deadSessions} dead session record(s)`] : []),
    ];
    for (const l of lines) out.line(l);
    if (lines.length === 0) out.line('nothing to clean up');
    if (report.liveSessions > 0 && report.stripped.length > 0) out.warn(`${report.liveSessions} live session(s): their servers keep the keys they have, but restarted servers will not get them until the next session start`);
    return 0;
  },
};

/** What 'cleanup' does, importable ('uninstall --all' strips through it too). */
export async function cleanupAll(ctx: CliContext, dryRun: boolean) {
  const out = output(ctx);
  // With the keyring we also find values that no record remembers (a lost state file).
  let known: KnownValue[] = [];
  let keyringChecked = true;
  try {
    known = (await resolveValues(await loadRegistry(registryFile(ctx.paths)), ctx.backend())).known;
  } catch (err) {
    keyringChecked = false;
    out.warn(`keyring not readable, so only recorded injections are found: ${oneLine((err as Error).message)}`);
  }
  // A config lock left by a writer killed in its first milliseconds has no holder file: wait it out.
  const engine = { ...engineContext({ ...ctx, spawnWatchdog: undefined }), configLockWaitMs: STALE_MS + 2000 };
  const report = await withState(ctx.paths, async (state) => {
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
  return report;
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
