import { resolve } from 'node:path';
import { audit } from '../../core/audit.js';
import { KiError } from '../../core/errors.js';
import { registryFile } from '../../core/paths.js';
import { loadRegistry } from '../../registry/store.js';
import { approvalState, approve, describeEntry, diffEntries, revoke, summarizeAll, variablesOf } from '../../sources/approval.js';
import { plainlySecretName } from '../../sources/project-policy.js';
import { findProjectFile, mergeProject } from '../../sources/project.js';
import { wrapProjectServers } from '../../wrap/project-servers.js';
import { bool, optionalPositional, parseArgs } from '../args.js';
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

The project's MCP servers the file maps keys to (its .mcp.json or local-scope servers) are made
to read them at spawn (zero-disk): a local-scope server is wrapped, a .mcp.json server gets a
wrapped local-scope copy in ~/.claude.json (.mcp.json is never written). Approving the file is
also approving those servers: Claude Code runs a local copy without its own .mcp.json prompt.

  --revoke   forget the approval: the file is refused again until the next 'allow'
  --json     {"file","root","sha256","approved","entries","servers","warnings","notSecretNames"}`,

  async run(argv, ctx) {
    const out = output(ctx);
    const p = parseArgs(argv, { revoke: { type: 'boolean' }, json: { type: 'boolean' } });
    const dir = optionalPositional(p);
    const where = findProjectFile(resolve(ctx.cwd, dir ?? '.'), ctx.paths.configDir);
    if (!where) throw new KiError('project-missing', `no .claude/secrets.json in ${resolve(ctx.cwd, dir ?? '.')} or above it (up to the top of the git work tree): nothing to approve`);
    if (bool(p, 'revoke')) {
      const had = await revoke(ctx.paths, where.file);
      if (bool(p, 'json')) out.json({ file: where.file, root: where.root, approved: false });
      else out.line(had ? `revoked the approval of ${where.file}: it is refused until you run 'keyring-inject allow' again` : `${where.file} was not approved`);
      return 0;
    }
    const st = await approvalState(ctx.paths, where);
    if (st.state === 'none') throw new KiError('project-missing', `${where.file} disappeared: nothing to approve`);
    // The checks that do not depend on approval are made now, so that a file no command would use is not approved.
    mergeProject(await loadRegistry(registryFile(ctx.paths)), st.project, ctx.backend().id);
    const entries = summarizeAll(st.project);
    if (st.state !== 'approved') {
      await approve(ctx.paths, st.project, ctx.now());
      audit(ctx.paths, { event: 'approval', keys: Object.keys(entries), where: st.project.root }, ctx.env);
    }
    // The servers the file maps keys to read them at spawn from now on, also under plain 'claude'.
    const { reports, warnings } = await wrapProjectServers(ctx, st.project);
    const servers = reports.map((r) => ({ server: r.server, outcome: r.outcome, mcpJson: r.mcpJson }));
    const unclear = [...new Set(Object.entries(entries).flatMap(([name, e]) => variablesOf(name, e)))].filter((v) => !plainlySecretName(v)).sort();
    if (bool(p, 'json')) {
      out.json({ file: where.file, root: where.root, sha256: st.project.sha256, approved: true, entries, servers, warnings, notSecretNames: unclear });
      return 0;
    }
    if (st.state === 'changed') {
      out.line(`changes since your last approval:`);
      for (const l of diffEntries(st.previous.entries, entries)) out.line(`  ${l}`);
    }
    out.line(`${st.state === 'approved' ? 'already approved' : 'approved'}: ${where.file} (this exact content, on this machine)`);
    for (const [name, e] of Object.entries(entries)) out.line(`  ${describeEntry(name, e)}`);
    if (unclear.length > 0)
      out.line(
        `! ${unclear.join(', ')}: not named like a secret (*_TOKEN, *_KEY, *_SECRET, *_PASSWORD...): a program may take a server, a file or settings from such a variable; check what this repository puts there before you run anything with it`,
      );
    for (const r of reports) {
      if (r.outcome !== 'unchanged')
        out.line(
          `MCP server ${r.server} reads its keys at spawn${r.mcpJson ? ` (a local-scope copy of ${r.mcpJson}: Claude Code runs it without its own .mcp.json prompt; ${r.mcpJson} is not changed)` : ''}`,
        );
    }
    for (const w of warnings) out.warn(w);
    return 0;
  },
};
