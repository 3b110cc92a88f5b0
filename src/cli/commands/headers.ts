import { UsageError } from '../../core/errors.js';
import { serverHeaders } from '../../ops/server-headers.js';
import { parseArgs, str } from '../args.js';
import type { Command } from '../command.js';

export const headers: Command = {
  name: 'headers',
  example: 'keyring-inject headers linear >/dev/null && echo ok   # what headersHelper runs: it prints keys, so never to a screen',
  help: `Usage: keyring-inject headers [S] [--scope user|local] [--project PATH]

Zero-disk mode for http/sse MCP servers: Claude Code runs this as the server's headersHelper
(what 'keyring-inject wrap S' sets) and merges the headers it prints over the static ones.
Prints ONLY one JSON object of headers on stdout, e.g. {"Authorization":"Bearer ..."}, built
from the header templates mapped to server S ('keyring-inject add NAME --server S --header
"Authorization: Bearer {value}"') and the values in the keyring. Errors: one line on stderr,
exit 1, nothing on stdout.

  S              the server (default: $CLAUDE_CODE_MCP_SERVER_NAME, which Claude Code sets)
  --scope SCOPE  user (default) or local
  --project PATH project of a local-scope server`,

  async run(argv, ctx) {
    // --mcp-json is bookkeeping for unwrap (see wrap/format.ts); ignored here.
    const p = parseArgs(argv, { scope: { type: 'string' }, project: { type: 'string' }, server: { type: 'string' }, 'mcp-json': { type: 'boolean' } });
    if (p.positionals.length > 1) throw new UsageError('unexpected extra argument: see --help');
    const server = p.positionals[0] ?? str(p, 'server') ?? ctx.env.CLAUDE_CODE_MCP_SERVER_NAME;
    if (server === undefined || server === '') throw new UsageError('missing the server name: keyring-inject headers S');
    const result = await serverHeaders(ctx, { server, scope: str(p, 'scope'), project: str(p, 'project') });
    ctx.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  },
};
