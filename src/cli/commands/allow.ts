import { resolve } from 'node:path';
import { KiError } from '../../core/errors.js';
import { registryFile } from '../../core/paths.js';
import { loadRegistry } from '../../registry/store.js';
import { approvalState, approve, describeEntry, diffEntries, revoke, summarizeAll } from '../../sources/approval.js';
import { findProjectFile, mergeProject } from '../../sources/project.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';

export const allow: Command = {
  name: 'allow',
  example: 'keyring-inject allow   # in a fresh clone: read what .claude/secrets.json asks for, then approve it',
  help: `Usage: keyring-inject allow [DIR] [--revoke] [--json]

Approves the project's .claude/secrets.json (the nearest one from DIR, default the current
directory, up to the top of the git work tree) exactly as it is now, on this machine. The file
comes with the repository, i.e. from other people: nothing uses it ('run', 'keyring-inject
claude', the wrapped servers) until you approve it, and any change to it needs approval again.
The approval (a sha256 of the file) is kept in keyring-inject's data directory, never in the
repository. Prints what the file does: names, sources, targets (it never holds a value).

  --revoke   forget the approval: the file is refused again until the next 'allow'
  --json     {"file","root","sha256","approved","entries"}`,

  async run(argv, ctx) {
    const out = output(ctx);
    const p = parseArgs(argv, { revoke: { type: 'boolean' }, json: { type: 'boolean' } });
    const [dir] = positionals(p, [], '');
    const where = findProjectFile(resolve(ctx.cwd, dir ?? '.'), ctx.paths.configDir);
    if (!where) throw new KiError(`no .claude/secrets.json in ${resolve(ctx.cwd, dir ?? '.')} or above it (up to the top of the git work tree): nothing to approve`);
    if (bool(p, 'revoke')) {
      const had = await revoke(ctx.paths, where.file);
      if (bool(p, 'json')) out.json({ file: where.file, root: where.root, approved: false });
      else out.line(had ? `revoked the approval of ${where.file}: it is refused until you run 'keyring-inject allow' again` : `${where.file} was not approved`);
      return 0;
    }
    const st = await approvalState(ctx.paths, where);
    if (st.state === 'none') throw new KiError(`${where.file} disappeared: nothing to approve`);
    // The checks that do not depend on approval are made now, so that a file no command would use is not approved.
    mergeProject(await loadRegistry(registryFile(ctx.paths)), st.project, ctx.backend().id);
    const entries = summarizeAll(st.project);
    if (st.state !== 'approved') await approve(ctx.paths, st.project, ctx.now());
    if (bool(p, 'json')) {
      out.json({ file: where.file, root: where.root, sha256: st.project.sha256, approved: true, entries });
      return 0;
    }
    if (st.state === 'changed') {
      out.line(`changes since your last approval:`);
      for (const l of diffEntries(st.previous.entries, entries)) out.line(`  ${l}`);
    }
    out.line(`${st.state === 'approved' ? 'already approved' : 'approved'}: ${where.file} (this exact content, on this machine)`);
    for (const [name, e] of Object.entries(entries)) out.line(`  ${describeEntry(name, e)}`);
    return 0;
  },
};
