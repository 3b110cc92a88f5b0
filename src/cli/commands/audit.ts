import type { AuditLine } from '../../core/audit-trail.js';
import { UsageError } from '../../core/errors.js';
import { readAuditTrail } from '../../ops/read-audit-trail.js';
import { bool, parseArgs, positionals, str } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/** "1d", "12h", "30m", or a date: the start of the window. */
export function parseSince(text: string, now: Date): Date {
  const m = /^(\d{1,6})([smhdw])$/.exec(text);
  if (m) return new Date(now.getTime() - Number(m[1]) * (UNITS[m[2] as string] as number));
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`--since ${text}: give a duration (30m, 12h, 1d, 2w) or a date (2026-12-01)`);
  return new Date(t);
}

function describe(l: AuditLine): string {
  const parts = [l.ts, l.event, l.keys.length > 0 ? l.keys.join(',') : '-'];
  if (l.server) parts.push(`server=${l.server}`);
  if (l.program) parts.push(`program=${l.program}`);
  if (l.outcome) parts.push(`outcome=${l.outcome}`);
  if (l.where) parts.push(`where=${l.where}`);
  parts.push(`by=${l.by}`);
  return parts.join('  ');
}

export const audit: Command = {
  name: 'audit',
  example: 'keyring-inject audit --since 1d   # every use of a key in the last day',
  help: `Usage: keyring-inject audit [--since DURATION|DATE] [--json]

Shows the audit trail: a line for each use of a key, by NAME only (never a value, never a command
line): a wrapped server's start (exec), a header (headers), a 'run' (and whether Claude Code or you
started it), an injection or strip, a request_secret outcome, an approval, a guard's block or
mask, a scrub. The trail is <data dir>/audit.jsonl (0600), rotated past 1 MiB (3 files kept).
Its settings live only in your own <data dir>/settings.json, e.g.
{"audit": {"enabled": true, "maxBytes": 1048576, "keep": 3}}: a repository cannot change them.

  --since D  only lines from the last D (30m, 12h, 1d, 2w) or since a date
  --json     {"file","lines":[{"ts","event","keys","server","program","outcome","where","by","pid"}]}`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { since: { type: 'string' }, json: { type: 'boolean' } });
    positionals(p, []);
    const out = output(ctx);
    const since = str(p, 'since');
    const report = readAuditTrail(ctx, since === undefined ? {} : { since: parseSince(since, ctx.now()) });
    const { file, lines } = report;
    if (bool(p, 'json')) {
      out.json(report);
      return 0;
    }
    if (lines.length === 0) out.line(`no use of a key recorded${since ? ` since ${since}` : ''} (${file})`);
    for (const l of lines) out.line(describe(l));
    return 0;
  },
};
