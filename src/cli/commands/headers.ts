import { audit } from '../../core/audit.js';
import { UsageError } from '../../core/errors.js';
import { checkServerName } from '../../core/names.js';
import { registryFile } from '../../core/paths.js';
import { loadRegistry } from '../../registry/store.js';
import { headersForServer, headerTargetsFor } from '../../wrap/values.js';
import { checkHeadersUrl } from '../../wrap/record.js';
import { parseArgs, str } from '../args.js';
import type { Command } from '../command.js';
import { serverFromFlags } from '../../claude/address.js';

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
    const ref = serverFromFlags(ctx.cwd, checkServerName(server), str(p, 'scope'), str(p, 'project'));
    // Only for the URL 'wrap' wrapped (a project's .mcp.json can name this helper with its own URL).
    await checkHeadersUrl(ctx.paths, ref, ctx.env);
    const reg = await loadRegistry(registryFile(ctx.paths));
    const result = await headersForServer(reg, ctx.backend(), ref);
    audit(ctx.paths, { event: 'headers', keys: headerTargetsFor(reg, ref).map((t) => t.key), server: ref.server }, ctx.env);
    ctx.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  },
};
