import { cleanupAll } from '../../ops/cleanup-all.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

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
    const { report, warnings } = await cleanupAll(ctx, dryRun);
    for (const w of warnings) out.warn(w);
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
    if (report.liveSessions > 0 && report.stripped.length > 0)
      out.warn(`${report.liveSessions} live session(s): their servers keep the keys they have, but restarted servers will not get them until the next session start`);
    return 0;
  },
};
