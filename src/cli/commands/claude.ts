// `keyring-inject claude [ARGS...]`: the launcher. The op injects, runs Claude Code and strips;
// this adapter asks for a project's values on the terminal and shows the op's lines.
import { launchClaude } from '../../ops/launch-claude.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { readSecret } from '../secret-input.js';

export const claude: Command = {
  name: 'claude',
  passThrough: true,
  example: "keyring-inject claude --continue   # or once: alias claude='keyring-inject claude'",
  help: `Usage: keyring-inject claude [CLAUDE ARGUMENTS...]

Claude Code starts its MCP servers before SessionStart hooks run, so keys injected by the hook
reach servers only when they restart. The launcher injects first, then runs 'claude' with the
same terminal, arguments, signals and exit code, and strips the keys after it exits if no other
session needs them. Every argument goes to claude unchanged (see 'help claude' for this text).

In a project with a .claude/secrets.json (approved with 'keyring-inject allow'), the launcher
first asks, on the terminal and hidden, for each keyring value of that file this machine does not
hold yet (once: it is stored in the keyring), and makes the project's MCP servers the file maps
keys to read them at spawn (zero-disk; a .mcp.json server gets a wrapped local-scope copy,
.mcp.json is never written). An unapproved or changed file stops it before Claude Code starts.

Environment: KEYRING_INJECT_CLAUDE_BIN (path of the claude binary; default: 'claude' on PATH).`,

  async run(argv, ctx) {
    const out = output(ctx);
    const canAsk = ctx.stdin.isTTY === true && ctx.stdin.setRawMode !== undefined;
    return launchClaude(ctx, {
      argv,
      ...(canAsk ? { askSecret: (label: string) => readSecret(ctx, { fromStdin: false, label }) } : {}),
      tell: (kind, text) => out[kind](text),
    });
  },
};
