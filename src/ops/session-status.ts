// `status`: the sessions we track, what is injected where, whether the watchdog runs, leftovers
// (our values with no live session, in the config or its backups; orphaned temp files), the
// current project's file, and what needs the user's attention. Reads no value.
import { readFile } from 'node:fs/promises';
import { readConfigText } from '../claude/config-file.js';
import { readConfigView } from '../claude/config-read.js';
import type { Scope } from '../claude/scope.js';
import { oneLine } from '../core/errors.js';
import { registryFile } from '../core/paths.js';
import { isAlive } from '../core/process-info.js';
import { projectReport, type ProjectReport } from '../doctor/team-file-report.js';
import { configCopies, orphanTempFiles, scrubText } from '../engine/config-copies.js';
import { readStateForReport, sessionAlive } from '../engine/state.js';
import { emptyRegistry } from '../registry/registry.js';
import { loadRegistry } from '../registry/registry-file.js';
import type { OpsContext } from './ops-context.js';

/** The shape of `status --json` (stable). */
export interface StatusReport {
  configFile: string;
  sessions: { pid: number; sessionId: string | null; alive: boolean; launcher: boolean }[];
  injected: { key: string; server: string; env: string; scope: Scope; project: string | null }[];
  watchdog: boolean;
  leftovers: { file: string; found: string[] }[];
  tempFiles: string[];
  /** The config cannot be read (not valid JSON, no permission): no leftovers could be checked in it. */
  configError: string | null;
  project: ProjectReport | null;
  notices: string[];
  recovering: boolean;
}

export async function sessionStatus(ctx: Pick<OpsContext, 'paths' | 'cwd'>): Promise<StatusReport> {
  const state = await readStateForReport(ctx.paths);
  const sessions = state.sessions.map((s) => ({ pid: s.pid, sessionId: s.sessionId ?? null, alive: sessionAlive(s), launcher: s.launcher === true }));
  const live = sessions.some((s) => s.alive);
  const leftovers: { file: string; found: string[] }[] = [];
  const files = [...(live ? [] : [ctx.paths.configFile]), ...(await configCopies(ctx.paths))];
  for (const file of files) {
    const text = file === ctx.paths.configFile ? await readConfigText(file).catch(() => undefined) : await readFile(file, 'utf8').catch(() => undefined);
    const found = text === undefined ? undefined : scrubText(text, [...state.injected, ...(state.tombstones?.records ?? [])], [])?.found;
    if (found && found.length > 0) leftovers.push({ file, found });
  }
  // A damaged config must not pass for a clean one ("injected: nothing" alone would).
  const configError = await readConfigView(ctx.paths.configFile).then(
    () => null,
    (err: unknown) => oneLine(err instanceof Error ? err.message : String(err)),
  );
  return {
    configFile: ctx.paths.configFile,
    sessions,
    injected: state.injected.map((r) => ({ key: r.key, server: r.server, env: r.env, scope: r.scope, project: r.project ?? null })),
    watchdog: state.watchdog ? isAlive(state.watchdog) : false,
    leftovers,
    tempFiles: await orphanTempFiles(ctx.paths),
    configError,
    project: await projectReport(ctx.paths, await loadRegistry(registryFile(ctx.paths)).catch(() => emptyRegistry()), ctx.cwd),
    notices: state.notices ?? [],
    recovering: state.recover !== undefined && state.recover !== 'unrecorded',
  };
}
