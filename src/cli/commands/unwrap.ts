import { describeServer } from '../../claude/address.js';
import { unwrapServers } from '../../ops/unwrap-servers.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { parseServerArgs } from '../server-args.js';

export const unwrap: Command = {
  name: 'unwrap',
  example: 'keyring-inject unwrap github   # back to the original entry; its keys go back to inject mode',
  help: `Usage: keyring-inject unwrap S [S2 ...] [--scope user|local] [--project PATH] [--dry-run] [--json]

Undoes 'wrap S': restores the server's original command and args (byte for byte), removes our
headersHelper, or deletes the local copy wrap made of a .mcp.json server. The server's keys go
back to 'inject' mode (the launcher and session hooks put them into ~/.claude.json while a
session needs them). A server that is not wrapped is left alone.

  --scope SCOPE  user (default) or local
  --project PATH project for --scope local (default: the git root of the current directory)
  --dry-run      say what would change, change nothing
  --json         [{"server","scope","project","outcome","how"}]; outcome: unwrapped | not-wrapped`,

  async run(argv, ctx) {
    const { json, ...request } = parseServerArgs(argv, 'missing S: name the MCP server to unwrap');
    const { dryRun } = request;
    const out = output(ctx);
    const reports = await unwrapServers(ctx, request);
    if (json) {
      out.json(reports);
      return 0;
    }
    for (const r of reports) {
      const where = describeServer(r);
      if (r.outcome === 'not-wrapped') out.line(`not wrapped: ${where}`);
      else out.line(`${dryRun ? 'would unwrap' : 'unwrapped'}: ${where}${r.how === 'mcp-json' ? ' (removed the local copy of the .mcp.json server)' : ''}`);
    }
    return 0;
  },
};
