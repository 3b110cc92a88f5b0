import { readConfigView } from '../../claude/config-read.js';
import { oneLine } from '../../core/errors.js';
import { readConfigText } from '../../claude/config-file.js';
import { isAlive } from '../../core/process-info.js';
import { configCopies, orphanTempFiles, scrubText } from '../../engine/scrub.js';
import { readStateForReport, sessionAlive } from '../../engine/state.js';
import { emptyRegistry } from '../../registry/registry.js';
import { registryFile } from '../../core/paths.js';
import { loadRegistry } from '../../registry/store.js';
import { projectReport, projectReportLines } from '../../doctor/project-report.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { readFile } from 'node:fs/promises';
import { describeEnv } from '../../claude/address.js';

export const status: Command = {
  name: 'status',
  example: 'keyring-inject status --json',
  help: `Usage: keyring-inject status [--json]

Shows the Claude Code sessions we track (alive or dead), which keys are injected into which
server env vars, whether the watchdog runs, and leftovers: injected values still in the config
with no live session, or in Claude Code's backups, and orphaned temp files. Also what needs
your attention: a state file that was damaged or removed during a session, a watchdog that gave
up. Reads no value.

  --json  {"configFile", "sessions": [{"pid","sessionId","alive","launcher"}],
           "injected": [{"key","server","env","scope","project"}], "watchdog": bool,
           "leftovers": [{"file","found"}], "tempFiles": [...], "configError": string|null,
           "project": null | {"file","approval","servers":[{"server","where","wrapped","keys"}],...},
           "notices": [...], "recovering": bool}
           (project: the current project's .claude/secrets.json: approved? where each server's key comes from)

A config that cannot be read (not valid JSON, no permission) gets a warning: status cannot check
it for leftovers, and Claude Code cannot read it either.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { json: { type: 'boolean' } });
    positionals(p, []);
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
    const report = {
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
    const out = output(ctx);
    if (configError) out.warn(`${configError}; status cannot check it for leftovers`);
    if (bool(p, 'json')) {
      out.json(report);
      return 0;
    }
    out.line(`config: ${report.configFile}`);
    out.line(sessions.length ? `sessions: ${sessions.map((s) => `pid ${s.pid}${s.launcher ? ' (launcher)' : ''} ${s.alive ? 'alive' : 'DEAD'}`).join(', ')}` : 'sessions: none');
    out.line(report.injected.length ? `injected: ${state.injected.map((r) => `${r.key} -> ${describeEnv(r)}`).join(', ')}` : 'injected: nothing');
    out.line(`watchdog: ${report.watchdog ? 'running' : 'not running'}`);
    for (const l of leftovers) out.line(`leftover: ${l.found.join(', ')} in ${l.file}`);
    for (const f of report.tempFiles) out.line(`leftover temp file: ${f}`);
    if (leftovers.length || report.tempFiles.length) out.line("run 'keyring-inject cleanup' to remove leftovers");
    if (report.project) for (const l of projectReportLines(report.project)) out.line(l);
    if (report.recovering) out.line("state: damaged or removed during a session; the watchdog or the next session start finds the injected keys again (or run 'keyring-inject cleanup')");
    for (const n of report.notices) out.line(`notice: ${n}`);
    return 0;
  },
};
