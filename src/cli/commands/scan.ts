import { EXIT_PROBLEMS } from '../../core/errors.js';
import { scanForLeaks } from '../../ops/scan-for-leaks.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

export const scan: Command = {
  name: 'scan',
  example: 'keyring-inject scan   # exit 3: a stored key sits in a transcript, a log or a backup',
  help: `Usage: keyring-inject scan [--json]

Looks for every stored key (your registry's, and those of the current project's approved
.claude/secrets.json) in the files Claude Code keeps on this machine: session transcripts,
prompt history, file-history snapshots, paste cache, shell snapshots, todos, tasks, plans, debug
logs, the config's backups, its MCP logs (~/.cache/claude-cli-nodejs), npm's debug logs
(~/.npm/_logs, where npx command lines land) and the Bash tool's task outputs. A value is found as
it is and in the forms a tool writes it in: JSON-escaped, percent-encoded, XML-escaped, hex and
base64. Symbolic links are not followed. Reads the values from their sources into memory only
and never prints one: each finding is a file, a line, a key NAME and the form.

'keyring-inject scrub' removes what it finds; see docs/leaks.md for what is and is not covered.

  --json  {"keys","findings":[{"file","store","line","key","form"}],"files","bytes",
           "skipped":[{"file","reason"}],"unreadable":[{"file","reason"}],"problems","found"}

Exit status: 0 nothing found, 3 found, 1 when it could not run, 2 usage error.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { json: { type: 'boolean' } });
    positionals(p, []);
    const out = output(ctx);
    const report = await scanForLeaks(ctx);
    const { problems, found: keys } = report;
    const code = keys.length > 0 ? EXIT_PROBLEMS : 0;
    if (bool(p, 'json')) {
      out.json(report);
      return code;
    }
    for (const pr of problems) out.warn(pr);
    for (const f of report.findings) out.line(`${f.file}:${f.line}: ${f.key} (${f.form}) [${f.store}]`);
    for (const s of report.unreadable) out.warn(`${s.file} ${s.reason}`);
    const mb = (report.bytes / 1e6).toFixed(1);
    const checked = `${report.keys.length} key(s) in ${report.files} file(s), ${mb} MB`;
    if (report.keys.length === 0) out.line('no stored key to look for');
    else if (keys.length === 0) out.line(`ok: no stored key found (checked ${checked})`);
    else {
      const files = new Set(report.findings.map((f) => f.file)).size;
      out.line(`found ${keys.join(', ')} in ${files} file(s) (checked ${checked}).`);
      out.line("Remove them with 'keyring-inject scrub' (try --dry-run first), then rotate each key that leaked:");
      for (const k of keys) out.line(`  keyring-inject rotate ${k}`);
    }
    return code;
  },
};
