import { describeServer } from '../../claude/address.js';
import { wrapServers } from '../../ops/wrap-servers.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { parseServerArgs } from '../server-args.js';

export const wrap: Command = {
  name: 'wrap',
  example: 'keyring-inject wrap github linear   # zero-disk: both read their keys from the keyring at start',
  help: `Usage: keyring-inject wrap S [S2 ...] [--scope user|local] [--project PATH] [--dry-run] [--json]

Zero-disk mode: rewrites MCP server S in ~/.claude.json so that its key is read from the keyring
at the moment Claude Code starts it, and is never written to any file.

  stdio server: "command"/"args" become
      <node> <keyring-inject dist/cli.js> exec --server S [...] -- <original command> <original args>
    (the original stays in the entry, after '--'; 'unwrap S' restores it byte for byte).
  http/sse server: sets "headersHelper" to '<node> <cli.js> headers S', which prints the headers
    mapped with 'add NAME --server S --header "Authorization: Bearer {value}"'.
  a project .mcp.json server (--scope local): .mcp.json is never written; a wrapped copy of the
    entry is added to the local scope (projects[PATH].mcpServers in ~/.claude.json), which Claude
    Code prefers over the project one. 'unwrap S --scope local' removes the copy.

The server's keys switch to 'wrap' mode (the session hooks and the launcher stop injecting them).
Edits are minimal, under Claude Code's config lock, atomic, and verified. Idempotent; wrapping
again after moving keyring-inject or node refreshes the paths. Running sessions keep the old
server process: reconnect it (/mcp) or restart Claude Code.

  --scope SCOPE  user (top-level mcpServers, default) or local (projects[PATH].mcpServers, or .mcp.json)
  --project PATH project for --scope local (default: the git root of the current directory)
  --dry-run      say what would change, change nothing
  --json         [{"server","scope","project","outcome","how","keys","warnings","mcpJson"}]
                 outcome: wrapped | rewrapped | unchanged`,

  async run(argv, ctx) {
    const { json, ...request } = parseServerArgs(argv, 'missing S: name the MCP server to wrap (see claude mcp list)');
    const { dryRun } = request;
    const out = output(ctx);
    const report = await wrapServers(ctx, request);
    if (json) {
      out.json(report.servers);
      return 0;
    }
    for (const r of report.servers) {
      const where = describeServer(r);
      const verb = r.outcome === 'unchanged' ? 'already wrapped' : `${dryRun ? 'would wrap' : r.outcome === 'rewrapped' ? 're-wrapped' : 'wrapped'}`;
      const how = r.how?.startsWith('mcp-json') ? ` (a local copy of ${r.mcpJson ?? '.mcp.json'}; that file is not changed)` : r.how === 'http' ? ' (headersHelper)' : '';
      out.line(`${verb}: ${where}${how}${r.keys.length ? `; keys: ${r.keys.join(', ')}` : ''}`);
      for (const w of r.warnings) out.warn(w);
    }
    if (report.reconnect) out.note('Running Claude Code sessions keep the old server process: reconnect it with /mcp, or restart Claude Code.');
    return 0;
  },
};
