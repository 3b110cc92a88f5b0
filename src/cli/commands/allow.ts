import { allowProject, revokeProject } from '../../ops/allow-team-file.js';
import { describeEntry } from '../../sources/approval.js';
import { bool, optionalPositional, parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

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
Vault entries send your token only to the VAULT_ADDR (and VAULT_CACERT) of the 'allow' that
approved them: the file cannot name an address.

  --revoke   forget the approval: the file is refused again until the next 'allow'
  --json     {"file","root","sha256","approved","entries","servers","warnings","notSecretNames","vault"?}`,

  async run(argv, ctx) {
    const out = output(ctx);
    const p = parseArgs(argv, { revoke: { type: 'boolean' }, json: { type: 'boolean' } });
    const dir = optionalPositional(p);
    if (bool(p, 'revoke')) {
      const r = await revokeProject(ctx, { dir });
      if (bool(p, 'json')) out.json({ file: r.file, root: r.root, approved: false });
      else out.line(r.hadApproval ? `revoked the approval of ${r.file}: it is refused until you run 'keyring-inject allow' again` : `${r.file} was not approved`);
      return 0;
    }
    const r = await allowProject(ctx, { dir });
    const { file, entries } = r;
    if (bool(p, 'json')) {
      out.json({
        file,
        root: r.root,
        sha256: r.sha256,
        approved: true,
        entries,
        servers: r.servers,
        warnings: r.warnings,
        notSecretNames: r.notSecretNames,
        ...(r.vault !== undefined ? { vault: r.vault } : {}),
      });
      return 0;
    }
    if (r.before === 'changed') {
      out.line(`changes since your last approval:`);
      for (const l of r.changes) out.line(`  ${l}`);
    }
    out.line(`${r.before === 'approved' ? 'already approved' : 'approved'}: ${file} (this exact content, on this machine)`);
    for (const [name, e] of Object.entries(entries)) out.line(`  ${describeEntry(name, e)}`);
    if (r.notSecretNames.length > 0)
      out.line(
        `! ${r.notSecretNames.join(', ')}: not named like a secret (*_TOKEN, *_KEY, *_SECRET, *_PASSWORD...): a program may take a server, a file or settings from such a variable; check what this repository puts there before you run anything with it`,
      );
    if (r.vault) out.line(`vault entries: your token goes only to ${r.vault} (VAULT_ADDR here; 'keyring-inject allow' again where it is another address to change it)`);
    for (const s of r.servers) {
      if (s.outcome !== 'unchanged')
        out.line(
          `MCP server ${s.server} reads its keys at spawn${s.mcpJson ? ` (a local-scope copy of ${s.mcpJson}: Claude Code runs it without its own .mcp.json prompt; ${s.mcpJson} is not changed)` : ''}`,
        );
    }
    for (const w of r.warnings) out.warn(w);
    return 0;
  },
};
