import { UsageError } from '../../core/errors.js';
import { runImport, planRow } from '../../import/import-keys.js';
import { bool, list, parseArgs, positionals, str } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { describeServer } from '../../claude/address.js';

export const importCommand: Command = {
  name: 'import',
  example: 'keyring-inject import --dry-run   # the plan: which plaintext values would move, and why the rest stays',
  help: `Usage: keyring-inject import [--dry-run] [--mode inject|wrap] [--include S.NAME] [--exclude S.NAME] [--json]

Finds plaintext values already in ~/.claude.json - the "env" of every MCP server (user scope and
every project's local scope) and the "headers" of http/sse servers - and moves each secret into
the keyring: stored under a key named SERVER.NAME (e.g. github.GITHUB_TOKEN), registered for that
server, removed from the file, then scrubbed from Claude Code's backups of the file. The plan
names servers and variables, never values.

Not moved (shown as skipped, with the rule): \${VAR} references, empty values, booleans, short
numbers (up to 6 digits), paths, URLs without credentials, plain words of up to 16 letters
unless the variable name looks secret (KEY, TOKEN, SECRET, PASSWORD, AUTH, ...), and common
public headers (Accept, Content-Type, User-Agent, ...). Values injected by keyring-inject for a
running session are not plaintext of yours and are left to the session hooks.

  --mode inject  (default) env values are delivered by the launcher / session hooks
  --mode wrap    also wrap each stdio server (zero-disk: 'keyring-inject exec')
                 http headers always move to a headersHelper ('keyring-inject headers')
  --include S.NAME  move this value although the rules skip it (repeatable)
  --exclude S.NAME  leave this value alone (repeatable)
  --dry-run      show the plan, change nothing
  --json         {"dryRun","mode","items":[{"server","scope","project","kind","name","action",
                  "reason","key","template"}],"wrapped":[...],"scrubbed":[{"file","found"}],
                  "warnings":[...]}; action: import | strip (already in the keyring) | skip

.mcp.json files are never edited: run 'keyring-inject doctor' to see plaintext there.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, {
      'dry-run': { type: 'boolean' },
      mode: { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    });
    positionals(p, []);
    const modeFlag = str(p, 'mode') ?? 'inject';
    if (modeFlag !== 'inject' && modeFlag !== 'wrap') throw new UsageError('--mode must be inject or wrap');
    const dryRun = bool(p, 'dry-run');
    const include = new Set(list(p, 'include'));
    const exclude = new Set(list(p, 'exclude'));
    const r = await runImport(ctx, { dryRun, mode: modeFlag, include, exclude });
    const out = output(ctx);
    const rows = r.items.map(planRow);
    if (bool(p, 'json')) {
      out.json({ dryRun, mode: modeFlag, items: rows, wrapped: r.wrapped, scrubbed: r.scrubbed, warnings: r.warnings });
      return 0;
    }
    if (rows.length === 0) {
      out.line('no plaintext values in any server env or headers: nothing to import');
      return 0;
    }
    let last = '';
    for (const row of rows) {
      const where = describeServer(row);
      if (where !== last) out.line(where);
      last = where;
      const what = `${row.kind} ${row.name}`;
      if (row.action === 'skip') out.line(`  ${what}: skip (${row.reason})`);
      else {
        const verb = row.action === 'import' ? (dryRun ? 'would move to key' : 'moved to key') : dryRun ? 'would remove (already stored as' : 'removed (already stored as';
        out.line(`  ${what}: ${verb} ${row.key}${row.action === 'strip' ? ')' : ''}${row.template && row.template !== '{value}' ? `, header template "${row.template}"` : ''}`);
      }
    }
    for (const w of r.wrapped) out.line(`wrapped: ${w}`);
    for (const s of r.scrubbed) out.line(`scrubbed ${s.found.join(', ')} from ${s.file}`);
    for (const w of r.warnings) out.warn(w);
    const moved = rows.filter((x) => x.action !== 'skip').length;
    if (dryRun) out.note(moved ? `run without --dry-run to move ${moved} value(s)` : 'nothing would be moved');
    else if (moved) out.note('Running Claude Code sessions keep the old server processes: reconnect them with /mcp, or restart Claude Code.');
    return 0;
  },
};
