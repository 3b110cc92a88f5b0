import { EXIT_PROBLEMS, oneLine } from '../../core/errors.js';
import { projectReportLines } from '../../doctor/team-file-report.js';
import { runDoctor } from '../../ops/run-doctor.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { describeServer } from '../../claude/address.js';
import { HTTP_TYPES } from '../../claude/config-servers.js';

const MODE_TEXT = {
  wrapped: 'wrapped (zero-disk: keys read from the keyring when the server starts)',
  inject: 'inject (keys written into the config while a session needs them)',
  plaintext: 'PLAINTEXT',
  none: 'no keys',
} as const;
const HTTP_WRAPPED = 'wrapped (zero-disk: the key is sent as a header when Claude Code connects, printed by our headersHelper from the keyring)';

function modeText(s: { mode: keyof typeof MODE_TEXT; type: string }): string {
  return s.mode === 'wrapped' && HTTP_TYPES.has(s.type) ? HTTP_WRAPPED : MODE_TEXT[s.mode];
}

export const doctor: Command = {
  name: 'doctor',
  example: 'keyring-inject doctor --values   # exit 0: every server protected, no value in any file',
  help: `Usage: keyring-inject doctor [--values] [--json]

Read-only check of every MCP server in ~/.claude.json (user scope and every project's local
scope) and of the current project's .mcp.json: which mode each server is in - wrapped (zero-disk),
inject, PLAINTEXT (a secret-looking value sits in its env or headers) or no keys - and what is
wrong (a wrapper whose node or cli.js moved, keys in wrap mode on a server that is not wrapped,
headers mapped without our headersHelper). Checks our hooks in <config dir>/settings.json too:
all five there, and the runtime they run still in place. Checks that the secret store answers
and that every key a wrapped or injected server needs resolves (read, never printed). Also lists plaintext secrets and
not-yet-scrubbed injected values in Claude Code's backups of the config, and orphaned temp files.
In a project with a .claude/secrets.json: whether it is approved as it is ('keyring-inject
allow'), and per project server it maps keys to, where each key comes from and whether the
server reads it at spawn. Never prints a value; never changes anything.

  --values  also read every stored key from the keyring and look for it verbatim in the config,
            its backups and temp files (a value that is injected for a running session is fine),
            and in every form in Claude Code's transcripts, logs and caches ('keyring-inject scan')
  --json    {"configFile","servers":[{"server","scope","project","source","type","mode","keys",
             "plaintext","problems"}],"copies":[{"file","plaintext","injected"}],"tempFiles",
             "orphanTargets","values":{"checked","found":[{"key","file"}]},"liveSessions",
             "leaks":{"findings":[{"file","store","line","key","form"}],"problems"}|null,
             "project":{"file","root","approval","servers":[{"server","where","wrapped","copy",
             "keys":[{"name","env","source","yours"}]}],"problems"}|null,
             "hooks":{"settingsFile","events","runtime","problems"},
             "store":{"store","needed","unreachable":{"reason","fix","servers"}?,"keys":[{"key","problem"}]},"placeholderKeys":[{"name","hosts"}],"ok"}

Exit status: 0 no problem found, 3 problems found (the "!" lines; "ok": false in --json),
1 when it could not run, 2 usage error.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { values: { type: 'boolean' }, json: { type: 'boolean' } });
    positionals(p, []);
    const out = output(ctx);
    const report = await runDoctor(ctx, { values: bool(p, 'values') });
    const { leaks, placeholderKeys, project, hooks, store } = report;
    const code = report.ok ? 0 : EXIT_PROBLEMS;
    if (bool(p, 'json')) {
      out.json(report);
      return code;
    }
    out.line(`config: ${report.configFile}`);
    if (report.servers.length === 0) out.line('no MCP servers configured');
    for (const s of report.servers) {
      const where = s.server === '(config)' ? s.server : describeServer(s);
      const src = s.source === 'mcp.json' ? ' [.mcp.json]' : '';
      out.line(`${where}${src}: ${modeText(s)}${s.keys.length ? `; keys: ${s.keys.join(', ')}` : ''}`);
      for (const problem of s.problems) out.line(`  ! ${oneLine(problem)}`);
    }
    for (const c of report.copies) {
      if (c.plaintext.length) out.line(`! plaintext in ${c.file}: ${c.plaintext.join(', ')} ('keyring-inject setup' moves and scrubs them)`);
      if (c.injected.length) out.line(`! injected values in ${c.file}: ${c.injected.join(', ')} ('keyring-inject cleanup' removes them)`);
    }
    for (const f of report.tempFiles) out.line(`! leftover temp file: ${f} ('keyring-inject cleanup' removes it)`);
    for (const t of report.orphanTargets) out.line(`note: ${t} has no configured server`);
    if (report.values.checked) {
      for (const v of report.values.found) out.line(`! the value of key ${v.key} is in ${v.file}`);
      if (report.values.found.length === 0) out.line('values: no stored value found in the config, its backups or temp files');
    }
    if (leaks) {
      for (const pr of leaks.problems) out.line(`note: ${pr}`);
      for (const f of leaks.findings) out.line(`! the value of key ${f.key} is in ${f.file}:${f.line} (${f.form}, ${f.store}): 'keyring-inject scrub' removes it; then rotate the key`);
    }
    for (const k of placeholderKeys) out.line(`placeholder key ${k.name}: 'keyring-inject run' sends its value only to ${k.hosts.join(', ')}`);
    if (project) for (const l of projectReportLines(project)) out.line(l);
    if (hooks.events.length > 0) out.line(`hooks: ${hooks.events.join(', ')} in ${hooks.settingsFile}${hooks.runtime ? ` (runtime ${hooks.runtime})` : ''}`);
    for (const problem of hooks.problems) out.line(`  ! ${oneLine(problem)}`);
    if (store.unreachable) {
      const u = store.unreachable;
      out.line(`! secret store ${store.store} does not answer: ${u.reason}; ${u.servers.length} server(s) cannot get their keys: ${u.servers.join(', ')}`);
      out.line(`  fix: ${u.fix}`);
    } else if (store.needed > 0) {
      const bad = store.keys.length;
      out.line(`secret store: ${store.store} answers; ${store.needed - bad} of ${store.needed} keys that servers need resolve`);
    }
    out.line(report.ok ? 'ok: no plaintext secret and no problem found' : 'problems found (see "!" lines above)');
    return code;
  },
};
