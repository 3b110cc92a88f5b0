// `keyring-inject status [--json]`: the op's report, as JSON or as lines.
import { describeEnv } from '../../claude/address.js';
import { projectReportLines } from '../../doctor/team-file-report.js';
import { sessionStatus, type StatusReport } from '../../ops/session-status.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

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
    const report = await sessionStatus(ctx);
    const out = output(ctx);
    if (report.configError) out.warn(`${report.configError}; status cannot check it for leftovers`);
    if (bool(p, 'json')) {
      out.json(report);
      return 0;
    }
    const { sessions, leftovers } = report;
    out.line(`config: ${report.configFile}`);
    out.line(sessions.length ? `sessions: ${sessions.map((s) => `pid ${s.pid}${s.launcher ? ' (launcher)' : ''} ${s.alive ? 'alive' : 'DEAD'}`).join(', ')}` : 'sessions: none');
    const where = (r: StatusReport['injected'][number]) => describeEnv({ server: r.server, env: r.env, scope: r.scope, ...(r.project !== null ? { project: r.project } : {}) });
    out.line(report.injected.length ? `injected: ${report.injected.map((r) => `${r.key} -> ${where(r)}`).join(', ')}` : 'injected: nothing');
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
