// Runs one command with the CLI's contract: --help, errors as one line, exit codes. Shared by
// the full CLI (main.ts) and the single-command hook bundles, which must not load the others.
import { EXIT_ERROR, KiError, oneLine } from '../core/errors.js';
import { SecretArgumentError } from './args.js';
import type { Command } from './command.js';
import { output, type CliContext } from './cli-context.js';

export async function runCommand(command: Command, argv: readonly string[], ctx: CliContext): Promise<number> {
  const out = output(ctx);
  try {
    if (!command.passThrough && (argv.includes('--help') || argv.includes('-h'))) {
      out.line(helpText(command));
      return 0;
    }
    return await command.run(argv, ctx);
  } catch (err) {
    const code = reportError(ctx, err);
    // For scripts: a failing --json run also says what failed on stdout, with the stable code.
    if (err instanceof KiError && acceptsJson(command) && argv.includes('--json')) out.json({ error: { code: err.code, message: oneLine(err.message) } });
    return code;
  }
}

/** The commands with a --json output name it in their usage line. */
function acceptsJson(command: Command): boolean {
  return !command.passThrough && (command.help.split('\n', 1)[0] ?? '').includes('--json');
}

/** A command's --help: its text, then its example. */
export function helpText(command: Command): string {
  return `${command.help}\n\nExample:\n  ${command.example}`;
}

export function reportError(ctx: CliContext, err: unknown): number {
  const out = output(ctx);
  if (err instanceof KiError) {
    // Run through npx / npm exec / npm run, npm has already logged the whole command line.
    const npm =
      err instanceof SecretArgumentError && ctx.env.npm_command !== undefined
        ? " npm has also written this command line to ~/.npm/_logs/*-debug-0.log: delete those logs, and run 'keyring-inject' itself rather than through npm (docs/npx-and-argv.md)."
        : '';
    out.error(oneLine(err.message + npm));
    // Lines that explain a refusal (e.g. what an unapproved project file would do); never a value.
    for (const line of err.details ?? []) out.note(`  ${oneLine(line)}`);
    return err.exitCode;
  }
  // Unexpected: still one line, and only the message (a stack could carry arguments).
  out.error(`unexpected error: ${oneLine(err instanceof Error ? err.message : String(err)).slice(0, 300)}`);
  return EXIT_ERROR;
}

/** The process side of an entry point: run, let the output drain, exit with the code. */
export function runAsProcess(ctx: CliContext, run: (ctx: CliContext) => Promise<number>): void {
  // A failure that escapes the command (a throw in a timer or callback) still ends as one line:
  // Node's own report would print the stack and every `cause`, which may quote file content.
  const crash = (err: unknown) => process.exit(reportError(ctx, err));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  void run(ctx).then(async (code) => {
    process.exitCode = code;
    // Bounded: a reader that never drains the pipe must not hold the hook past its deadline.
    await Promise.race([ctx.flush?.(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    // Exit explicitly: an open stdin stream or a pending timer must not keep the process alive.
    // (A call blocked in the thread pool still would: Node joins those threads on exit, which
    // is why stdin is read through a stream; see claude/hook-input.ts.)
    process.exit(code);
  });
}
