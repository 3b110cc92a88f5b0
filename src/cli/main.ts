// The CLI shell: picks the command, prints help, turns errors into one line and an exit code.
import { EXIT_USAGE } from '../core/errors.js';
import { chooseBackendId } from '../keyring/select.js';
import { COMMAND_TABLE, type CommandGroup } from './command-table.js';
import { output, type CliContext } from './context.js';
import { helpText, reportError, runCommand } from './run-command.js';
import { VERSION } from './version.js';

// The first example: the main job.
const START_EXAMPLE = 'setup   # first run: shows the plan, asks, then protects every MCP server';

const GROUPS: readonly { group: CommandGroup; heading: string }[] = [
  { group: 'start', heading: 'Start here:' },
  { group: 'keys', heading: 'Keys:' },
  { group: 'sessions', heading: 'Sessions (keys in the config only while Claude Code runs):' },
  { group: 'zero-disk', heading: 'Zero-disk (keys never written to a file):' },
  { group: 'plumbing', heading: 'Plumbing (run by Claude Code and by wrapped servers, not by you):' },
];

function mainHelp(): string {
  const width = Math.max(...COMMAND_TABLE.map((c) => c.name.length));
  const sections = GROUPS.map(({ group, heading }) => {
    const rows = COMMAND_TABLE.filter((c) => c.group === group).map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
    return rows.length ? `${heading}\n${rows.join('\n')}` : '';
  }).filter(Boolean);
  return `Usage: keyring-inject COMMAND [OPTIONS]

Keeps the API keys of Claude Code's MCP servers in the OS keyring instead of plaintext in
~/.claude.json, and out of the model's context.

${sections.join('\n\n')}

Examples:
  keyring-inject ${START_EXAMPLE}
  keyring-inject add stripe --server stripe   # a new key: hidden prompt, the env var the server reads

Run 'keyring-inject COMMAND --help' for a command's options and an example.

Exit codes: 0 success, 1 error, 2 usage error (doctor: 3 when it finds a problem).
Environment: KEYRING_INJECT_BACKEND (os | secret-service | keychain | wincred | keyutils),
  CLAUDE_CONFIG_DIR (as Claude Code), NO_COLOR.`;
}

export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const out = output(ctx);
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? COMMAND_TABLE.find((c) => c.name === rest[0]) : undefined;
      out.line(topic ? helpText(await topic.load()) : mainHelp());
      return name === undefined ? EXIT_USAGE : 0;
    }
    if (name === '--version' || name === '-V') {
      out.line(VERSION);
      return 0;
    }
    const entry = COMMAND_TABLE.find((c) => c.name === name);
    if (!entry) {
      out.error(`unknown command ${/^[a-z-]{1,32}$/.test(name) ? name : '…'}: run 'keyring-inject --help'`);
      return EXIT_USAGE;
    }
    // A misspelt backend must stop every command, not only those that happen to open the
    // keyring: `list` quietly working would hide that the hooks will fail.
    chooseBackendId(ctx.env);
    return await runCommand(await entry.load(), rest, ctx);
  } catch (err) {
    return reportError(ctx, err);
  }
}
