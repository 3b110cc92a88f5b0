import { UsageError } from '../../core/errors.js';
import { execServer } from '../../ops/exec-server.js';
import { splitCommand, wantsHelp } from '../../wrap/argv.js';
import { parseArgs, positionals, str } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

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
    return execServer(ctx, { server, scope: str(p, 'scope'), project: str(p, 'project'), command, args, terminal: ctx.stdin.isTTY === true, warn: out.warn });
  },
};
