import { describeEnv, describeHeader, describeServer } from '../../claude/address.js';
import { UsageError } from '../../core/errors.js';
import { checkKeyName } from '../../core/names.js';
import { describeRef, type SourceRef } from '../../registry/source-ref.js';
import { addKey, type AddKeyReport } from '../../ops/add-key.js';
import { addProjectKey, type AddProjectKeyReport } from '../../ops/add-team-secret.js';
import { storedKeyringValues } from '../../ops/stored-values.js';
import { HOST_HELP, hostsFromFlags, keyInput, metadataFromFlags, sourceKindFromFlags, SOURCE_FLAGS, SOURCE_HELP, userSourceFromFlags } from '../add-flags.js';
import { bool, list, parseArgs, positionals, refuseStoredValues, str, type Parsed } from '../args.js';
import type { Command } from '../command.js';
import { output, type CliContext } from '../cli-context.js';

export const add: Command = {
  name: 'add',
  example: 'keyring-inject add github --server github   # asks for the value (hidden); the env var is the one the server reads',
  help: `Usage: keyring-inject add NAME --server S [--server S2 ...] (--env VAR | --header 'NAME: TEMPLATE') [--mode inject|wrap] [--scope user|local] [--project PATH] [--source KIND [--id ID] [--meta K=V ...]] [--host HOST ...] [--stdin] [--json]

Stores a value in the OS keyring under NAME and records (without the value) that env var VAR
of MCP server S receives it. On a terminal the value is read from a hidden prompt; with
--stdin it is read from standard input (one trailing newline is removed). A value is never
accepted as an argument: arguments are visible in 'ps' and shell history.

If NAME is already stored, add only adds the new targets and asks for no value; with --stdin
the value piped in must be the stored one (use 'rotate' to change the value).
A vault key's token goes only to the address recorded by add (VAULT_ADDR, VAULT_CACERT): add
it again with its --source, --id and --meta and no --server to record a new one.
Without --env, add uses the variable the server reads when it can tell (a key-like variable in
the server's config entry, or the documented one of a well-known server such as GitHub's
GITHUB_PERSONAL_ACCESS_TOKEN) and says so; otherwise it asks on a terminal. A missing --server
is asked for on a terminal.

  --server S     MCP server name as in 'claude mcp list' (repeat for several servers)
  --env VAR      environment variable the server reads
  --header 'NAME: TEMPLATE'
                 for an http/sse server: the header that carries the key, e.g.
                 'Authorization: Bearer {value}' ({value} is where the key goes). Delivered by
                 Claude Code's headersHelper ('keyring-inject headers'), so always zero-disk
  --mode MODE    inject (default): written into the server's env in ~/.claude.json while a
                 session needs it; wrap: zero-disk, the server is wrapped ('keyring-inject wrap')
                 and reads the key from the keyring when it starts
  --scope SCOPE  user (top-level mcpServers, default) or local (projects[PATH].mcpServers)
  --project PATH with --scope local: the project whose local servers get the key (default: the
                 git root of the current directory). Without --scope: a team reference instead
                 (never a value) in PATH's .claude/secrets.json (the nearest one up to the git
                 top, else created there) for 'keyring-inject run' in that project;
                 --source keyring still puts the value into your keyring, under --id.
                 Without --server and --env (and not on a terminal, or Enter at the
                 prompt) the entry has no targets: 'run' gives it as the variable NAME
${SOURCE_HELP}
${HOST_HELP}
  --stdin        read the value from standard input
  --json         print the result as JSON`,

  async run(argv, ctx) {
    const p = parseArgs(argv, {
      server: { type: 'string', multiple: true },
      env: { type: 'string' },
      header: { type: 'string' },
      mode: { type: 'string' },
      scope: { type: 'string' },
      project: { type: 'string' },
      stdin: { type: 'boolean' },
      json: { type: 'boolean' },
      host: { type: 'string', multiple: true },
      ...SOURCE_FLAGS,
    });
    // Every argument here may end up in the registry: none may hold a stored value.
    refuseStoredValues(p, await storedKeyringValues(ctx));
    const [rawName] = positionals(p, ['NAME'], 'values are never taken from the command line (visible in ps and shell history); use the prompt or --stdin');
    const name = checkKeyName(rawName as string);
    const hosts = hostsFromFlags(p);
    const common = { ...keyInput(ctx, p), name, servers: list(p, 'server'), hosts, env: str(p, 'env') };
    const project = str(p, 'project');
    // --project without --scope: a reference in the project's .claude/secrets.json.
    if (project !== undefined && str(p, 'scope') === undefined) {
      if (str(p, 'header') !== undefined) throw new UsageError('--header does not go with --project: a project file maps keys to env variables only');
      if (str(p, 'mode') !== undefined) throw new UsageError('--mode does not go with --project: project references are read by keyring-inject run');
      return renderProject(ctx, p, await addProjectKey(ctx, { ...common, project, kind: sourceKindFromFlags(p), id: str(p, 'id'), metadata: metadataFromFlags(p) }));
    }
    const source = userSourceFromFlags(p, name, ctx.cwd);
    const flags = { header: str(p, 'header'), mode: str(p, 'mode'), scope: str(p, 'scope'), project, source, sourceGiven: str(p, 'source') !== undefined };
    return render(ctx, p, await addKey(ctx, { ...common, ...flags }));
  },
};

function render(ctx: CliContext, p: Parsed, r: AddKeyReport): number {
  const out = output(ctx);
  const { name, record } = r;
  if (bool(p, 'json')) {
    const [targets, headers, hosts] = [record?.targets ?? [], record?.headers ?? [], record?.hosts ?? []];
    out.json({ name, stored: r.stored, backend: r.backend.id, targets, headers, mode: r.mode, wrapped: r.wrapped, source: refJson(r.keySource), hosts });
    return 0;
  }
  if (r.source) out.line(`added ${name}: its value is read from ${describeRef(r.source)} whenever it is needed (keyring-inject stores no copy)`);
  else if (r.sourceUpdated) out.line(`${name} now reads its value from ${describeRef(r.keySource)}`);
  else out.line(r.isNew ? `stored ${name} in the ${r.backend.label}` : `${name} was already stored; targets updated`);
  for (const t of record?.targets ?? []) out.line(`  -> ${describeEnv(t)}${t.mode === 'wrap' ? '  [wrap]' : ''}`);
  for (const t of record?.headers ?? []) out.line(`  -> ${describeHeader(t)}  [headersHelper]`);
  if (record?.hosts?.length) out.line(`  placeholder key: 'keyring-inject run' gives its command a placeholder; the value goes only into HTTP(S) requests to ${record.hosts.join(', ')}`);
  for (const w of r.wrapped) out.line(`wrapped: ${w} (zero-disk)`);
  for (const s of r.alreadyWrapped) out.line(`${describeServer(s)} is wrapped: the key is read at spawn (zero-disk)`);
  return 0;
}

function renderProject(ctx: CliContext, p: Parsed, r: AddProjectKeyReport): number {
  const out = output(ctx);
  if (r.shadowedByRegistry) out.warn(`your registry also has a key ${r.name}: on this machine it wins over the project's reference (keyring-inject run ignores the project entry)`);
  const hosts = r.hosts.length > 0 ? { hosts: r.hosts } : {};
  if (bool(p, 'json')) {
    out.json({ name: r.name, stored: r.stored, source: refJson(r.ref), projectFile: r.projectFile, targets: r.targets, ...hosts });
    return 0;
  }
  if (r.stored) out.line(`stored ${r.name} in the ${r.backendLabel} under ${r.ref.id}`);
  out.line(`${r.existed ? 'updated' : 'added'} ${r.name} -> ${describeRef(r.ref)} in ${r.projectFile} (a reference, no value: safe to commit)`);
  for (const t of r.targets) out.line(`  -> ${t.server}.env.${t.env}`);
  if (r.hosts.length > 0) out.line(`  placeholder key: 'keyring-inject run' gives its command a placeholder; the value goes only into HTTP(S) requests to ${r.hosts.join(', ')}`);
  return 0;
}

const refJson = (ref: SourceRef) => ({ source: ref.source, id: ref.id, ...(ref.metadata ? { metadata: ref.metadata } : {}) });
