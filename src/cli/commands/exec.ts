import { audit } from '../../core/audit.js';
import { UsageError } from '../../core/errors.js';
import { checkServerName } from '../../core/names.js';
import { registryFile } from '../../core/paths.js';
import { loadRegistry } from '../../registry/store.js';
import { approvedProjectFileFor } from '../../sources/approval.js';
import { mergeProject } from '../../sources/project.js';
import { splitCommand, wantsHelp } from '../../wrap/argv.js';
import { envForServer, envTargetsFor } from '../../wrap/values.js';
import { spawnWithPlaceholders } from '../placeholder-spawn.js';
import { checkExecCommand } from '../../wrap/record.js';
import { parseArgs, positionals, str } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { describeServer, serverFromFlags } from '../../claude/address.js';

const USAGE = 'keyring-inject exec --server S [--scope user|local] [--project PATH] -- COMMAND [ARGS...]';

export const exec: Command = {
  name: 'exec',
  passThrough: true,
  example: "keyring-inject exec --server github -- npx -y @modelcontextprotocol/server-github   # what 'wrap' writes",
  help: `Usage: ${USAGE}

Zero-disk mode for stdio MCP servers (what 'keyring-inject wrap S' puts into ~/.claude.json).
Reads the keys mapped to server S from the keyring and starts COMMAND with them added to its
environment (a key's value overrides a variable of the same name). Nothing is written to disk,
and values never appear in arguments.

Then it gets out of the way: COMMAND's stdin, stdout and stderr are this process's own (the MCP
channel passes through untouched, byte for byte; exec prints nothing on stdout, ever), SIGTERM,
SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on, and the exit code is COMMAND's
(128+n when a signal n ended it). A key that is not in the keyring, or a locked keyring, ends
exec with exit code 1 and one line on stderr BEFORE COMMAND starts; 127/126 when COMMAND cannot
be started. A server with no key mapped starts anyway, with a warning on stderr.

A local-scope server (or a local copy of a .mcp.json server) also gets the keys the project's
.claude/secrets.json maps to it, if you approved that file as it is ('keyring-inject allow');
a file that maps keys to it but is not approved, or changed since, stops exec (exit 1).
A key with hosts (a placeholder key) reaches COMMAND as a placeholder, with a proxy of its own
that puts the value into HTTP(S) requests to those hosts only (docs/placeholder-keys.md).

  --server S     MCP server name (as in the registry: 'keyring-inject list')
  --scope SCOPE  user (default) or local: which registry targets of S apply
  --project PATH project of a local-scope server (default: the git root of the current directory)`,

  async run(argv, ctx) {
    const out = output(ctx);
    if (wantsHelp(argv)) {
      out.line(exec.help);
      return 0;
    }
    const { head, command, args } = splitCommand(argv, USAGE);
    // --no-args-key and --mcp-json are bookkeeping for unwrap (see wrap/format.ts); ignored here.
    const p = parseArgs(head, {
      server: { type: 'string' },
      scope: { type: 'string' },
      project: { type: 'string' },
      'no-args-key': { type: 'boolean' },
      'mcp-json': { type: 'boolean' },
    });
    positionals(p, [], "put the command after '--'");
    const server = str(p, 'server');
    if (server === undefined) throw new UsageError(`missing --server: ${USAGE}`);
    const ref = serverFromFlags(ctx.cwd, checkServerName(server), str(p, 'scope'), str(p, 'project'));
    // Only the command 'wrap' wrapped gets the keys (a project's .mcp.json can name exec too).
    await checkExecCommand(ctx.paths, ref, [command, ...args]);
    let reg = await loadRegistry(registryFile(ctx.paths));
    // A server of a project: the keys its approved .claude/secrets.json maps to it, too.
    const project = ref.scope === 'local' ? await approvedProjectFileFor(ctx.paths, ref.project as string, ref.server) : undefined;
    if (project) reg = mergeProject(reg, project, ctx.backend().id).registry;
    const { env, keys } = await envForServer(reg, ctx.backend(), ref, ctx.env);
    audit(ctx.paths, { event: 'exec', keys, server: ref.server, program: command }, ctx.env);
    if (keys.length === 0) out.warn(`no key is mapped to MCP server ${describeServer(ref)}: starting it without keys (map one with 'keyring-inject add NAME --server ${ref.server} --env VAR')`);
    // Keys with hosts are placeholder keys here too: the server gets placeholders and a proxy of its own.
    const keyOf: Record<string, string> = {};
    for (const { key, target } of envTargetsFor(reg, ref)) keyOf[target.env] ??= key;
    return spawnWithPlaceholders(ctx, reg, { command, args, values: env, keyOf });
  },
};
