import { UsageError } from '../../core/errors.js';
import { importFromLegacyPlugin, type ImportLegacyReport } from '../../ops/import-legacy-plugin.js';
import { importPlaintext } from '../../ops/import-plaintext.js';
import { bool, list, parseArgs, positionals, str } from '../args.js';
import type { Command } from '../command.js';
import { output, type CliContext } from '../cli-context.js';
import { describeServer } from '../../claude/address.js';

export const importCommand: Command = {
  name: 'import',
  example: 'keyring-inject import --dry-run   # the plan: which plaintext values would move, and why the rest stays',
  help: `Usage: keyring-inject import [--dry-run] [--mode inject|wrap] [--include S.NAME] [--exclude S.NAME] [--json]
       keyring-inject import --from mcp-keyring-injector [--dry-run] [--json]

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

.mcp.json files are never edited: run 'keyring-inject doctor' to see plaintext there.

--from mcp-keyring-injector: the move from the older plugin. Each entry of its
~/.claude/config/mcp-credentials.json becomes a key that reads the plugin's own keyring item
(service/account; nothing is copied, no value is written) for its server's variable, and each
stdio server is made zero-disk ('wrap'). Then remove the older plugin (shown how): its hooks
would keep writing the keys into ~/.claude.json. --json: {"dryRun","file","items":[{"entry",
"server","env","service","account","action","key","reason"}],"problems","wrapped","removedFromConfig","warnings"};
action: register | already | skip.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, {
      'dry-run': { type: 'boolean' },
      mode: { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      from: { type: 'string' },
    });
    positionals(p, []);
    const [dryRun, json] = [bool(p, 'dry-run'), bool(p, 'json')];
    const from = str(p, 'from');
    if (from !== undefined) {
      if (from !== 'mcp-keyring-injector') throw new UsageError('--from takes mcp-keyring-injector (the older keyring plugin)');
      for (const f of ['mode', 'include', 'exclude'] as const)
        if (p.flags[f] !== undefined && !(Array.isArray(p.flags[f]) && (p.flags[f] as string[]).length === 0)) throw new UsageError(`--${f} does not go with --from`);
      return renderLegacy(ctx, await importFromLegacyPlugin(ctx, { dryRun }), dryRun, json);
    }
    const mode = str(p, 'mode') ?? 'inject';
    if (mode !== 'inject' && mode !== 'wrap') throw new UsageError('--mode must be inject or wrap');
    const r = await importPlaintext(ctx, { dryRun, mode, include: new Set(list(p, 'include')), exclude: new Set(list(p, 'exclude')) });
    const out = output(ctx);
    if (json) {
      out.json({ dryRun, mode, items: r.rows, wrapped: r.wrapped, scrubbed: r.scrubbed, warnings: r.warnings });
      return 0;
    }
    if (r.rows.length === 0) {
      out.line('no plaintext values in any server env or headers: nothing to import');
      return 0;
    }
    let last = '';
    for (const row of r.rows) {
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
    if (dryRun) out.note(r.moved ? `run without --dry-run to move ${r.moved} value(s)` : 'nothing would be moved');
    else if (r.moved) out.note('Running Claude Code sessions keep the old server processes: reconnect them with /mcp, or restart Claude Code.');
    return 0;
  },
};

function renderLegacy(ctx: CliContext, r: ImportLegacyReport, dryRun: boolean, json: boolean): number {
  const out = output(ctx);
  if (json) {
    out.json({ dryRun, file: r.file, items: r.rows, problems: r.problems, wrapped: r.wrapped, removedFromConfig: r.leftovers, warnings: r.warnings });
    return 0;
  }
  out.line(`mcp-keyring-injector (${r.file}):`);
  for (const i of r.rows) {
    const what = `  ${i.server}.env.${i.env}`;
    if (i.action === 'register') out.line(`${what}: ${dryRun ? 'would become' : 'now'} key ${i.key} (${i.reason})`);
    else if (i.action === 'already') out.line(`${what}: already key ${i.key}`);
    else out.line(`${what}: skip (${i.reason})`);
  }
  for (const pr of r.problems) out.warn(pr);
  for (const l of r.leftovers) out.line(`${dryRun ? 'would remove' : 'removed'} the value the older plugin left in ${l} of ${ctx.paths.configFile}`);
  for (const w of r.wrapped) out.line(`wrapped: ${w} (zero-disk)`);
  for (const w of r.warnings) out.warn(w);
  if (dryRun) out.note('nothing changed: run without --dry-run to move them');
  if (r.anyMoved && !dryRun) for (const line of r.removal) out.line(line);
  else if (dryRun) out.note(r.removal[0] as string);
  return 0;
}
