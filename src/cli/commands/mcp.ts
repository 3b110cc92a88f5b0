import { UsageError } from '../../core/errors.js';
import { serveMcp } from '../../ops/serve-mcp.js';
import type { Command } from '../command.js';

export const mcp: Command = {
  name: 'mcp',
  example: "keyring-inject mcp   # Claude Code starts it: 'keyring-inject install' registers it in ~/.claude.json",
  help: `Usage: keyring-inject mcp

A stdio MCP server for Claude Code ('keyring-inject install' registers it). Its tools:

  list_secrets             the secrets of this project's .claude/secrets.json and of your
                           registry: names, sources, stored or not; never a value
  request_secret(name, purpose)
                           Claude asks you for a key: a one-time page on 127.0.0.1 opens (Claude
                           Code shows its link), you paste the key there, it goes into the OS
                           keyring and the project file gains a reference
                           {"NAME": {"source": "built-in", "id": "name"}}; the value never
                           enters the conversation

Claude then uses the key with 'keyring-inject run --only NAME -- COMMAND'. See docs/claude-asks.md.`,

  async run(argv, ctx) {
    if (argv.length > 0) throw new UsageError('usage: keyring-inject mcp (it takes no arguments; Claude Code starts it)');
    // stdout is the MCP channel from here on: nothing else may write to it.
    await serveMcp(ctx, { input: ctx.stdin, output: ctx.stdout });
    return 0;
  },
};
