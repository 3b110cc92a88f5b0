// The CLI shell: picks the command, prints help, turns errors into one line and an exit code.
import { EXIT_USAGE } from '../core/errors.js';
import { chooseBackendId } from '../keyring/select.js';
import { COMMAND_TABLE, type CommandGroup } from './command-table.js';
import { output, type CliContext } from './cli-context.js';
import { helpText, reportError, runCommand } from './run-command.js';
import { VERSION } from '../core/version.js';

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

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The command a typo most likely meant: within 2 edits (1 for short names), else none. */
function closestCommand(name: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const c of COMMAND_TABLE) {
    const d = distance(name, c.name);
    if (d <= (c.name.length <= 4 ? 1 : 2) && (!best || d < best.d)) best = { name: c.name, d };
  }
  return best?.name;
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
    if (name === '--version' || name === '-V' || name === '-v') {
      out.line(VERSION);
      return 0;
    }
    const entry = COMMAND_TABLE.find((c) => c.name === name);
    if (!entry) {
      const shown = /^[a-z-]{1,32}$/.test(name);
      const near = shown ? closestCommand(name) : undefined;
      out.error(`unknown command ${shown ? name : '…'}: ${near ? `did you mean 'keyring-inject ${near}'? ` : ''}run 'keyring-inject --help' for the list`);
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
