import { EXIT_PROBLEMS } from '../../core/errors.js';
import { scrubLeaks, scrubPendingPrompts } from '../../ops/scrub-leaks.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

export const scrub: Command = {
  name: 'scrub',
  example: 'keyring-inject scrub --dry-run   # what would be replaced, file by file',
  help: `Usage: keyring-inject scrub [--dry-run] [--json]

Finds every stored key in Claude Code's files, as 'keyring-inject scan' does, and replaces each
occurrence with [keyring-inject:NAME], written in the occurrence's own encoding (percent-encoded
inside a URL, base64 inside base64...), so that every line of a transcript stays valid JSON and
'claude --resume' still works. Each file is rewritten atomically and keeps its mode; lines the
client appends to a live session's transcript meanwhile are kept. A line that is not JSON is
reported and left as it is, but for the values in it. Then it names the keys that were exposed:
rotate them ('keyring-inject rotate NAME'): a copy may have left this machine already.

  --dry-run  only say what would be replaced
  --pending  (run by the SessionEnd hook) only the files a blocked prompt was written to
  --json     {"dryRun","files":[{"file","keys","occurrences","written","notJson","appendedDuring",
              "refused"}],"exposed","problems"}

Exit status: 0 nothing left (or nothing found), 3 a value could not be removed (or, with
--dry-run, values were found), 1 when it could not run.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, pending: { type: 'boolean' } });
    positionals(p, []);
    if (bool(p, 'pending')) {
      await scrubPendingPrompts(ctx);
      return 0;
    }
    const out = output(ctx);
    const dryRun = bool(p, 'dry-run');
    const { files, exposed, problems, looked } = await scrubLeaks(ctx, { dryRun });
    const left = files.filter((f) => f.refused);
    const code = left.length > 0 || (dryRun && exposed.length > 0) ? EXIT_PROBLEMS : 0;
    if (bool(p, 'json')) {
      out.json({ dryRun, files, exposed, problems });
      return code;
    }
    for (const pr of problems) out.warn(pr);
    for (const f of files) {
      if (f.refused) out.line(`! ${f.file}: left as it is: ${f.refused}${f.keys.length ? ` (holds ${f.keys.join(', ')})` : ''}`);
      else if (f.occurrences > 0)
        out.line(`${dryRun ? 'would scrub' : 'scrubbed'} ${f.file}: ${f.keys.join(', ')} (${f.occurrences} line(s))${f.appendedDuring ? `; kept ${f.appendedDuring} line(s) appended meanwhile` : ''}`);
      if (f.notJson.length > 0)
        out.line(`  note: line(s) ${f.notJson.slice(0, 10).join(', ')}${f.notJson.length > 10 ? ', ...' : ''} of ${f.file} are not JSON: left as they are, but for the values in them`);
    }
    if (exposed.length === 0) {
      out.line(looked === 0 ? 'no stored key to look for' : "ok: no stored key found in Claude Code's files");
      return code;
    }
    out.line(
      `${dryRun ? 'found' : 'exposed'}: ${exposed.join(', ')}. ${dryRun ? "Run 'keyring-inject scrub' to remove them; then rotate" : 'These keys sat in plain files; rotate'} each one (a copy may have left this machine):`,
    );
    for (const k of exposed) out.line(`  keyring-inject rotate ${k}`);
    return code;
  },
};
