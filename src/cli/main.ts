// The CLI shell: picks the command, prints help, turns errors into one line and an exit code.
import { EXIT_USAGE } from '../core/errors.js';
import { chooseBackendId } from '../keyring/select.js';
import { COMMAND_TABLE } from './command-table.js';
import { output, type CliContext } from './context.js';
import { reportError, runCommand } from './run-command.js';

export const VERSION = '0.1.0';

function mainHelp(): string {
  const width = Math.max(...COMMAND_TABLE.map((c) => c.name.length));
  return `Usage: keyring-inject COMMAND [OPTIONS]

Keeps MCP server API keys in the OS keyring instead of plaintext in ~/.claude.json.

Commands:
${COMMAND_TABLE.filter((c) => c.name !== 'watchdog').map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'keyring-inject COMMAND --help' for a command's options.

Exit codes: 0 success, 1 error, 2 usage error.
Environment: KEYRING_INJECT_BACKEND (os | secret-service | keychain | wincred | keyutils),
  CLAUDE_CONFIG_DIR (as Claude Code), NO_COLOR.`;
}

export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const out = output(ctx);
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = name === 'help' ? COMMAND_TABLE.find((c) => c.name === rest[0]) : undefined;
      out.line(topic ? (await topic.load()).help : mainHelp());
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
