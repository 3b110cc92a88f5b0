// What main() does around a command (help, one-line errors, exit codes), for calling a
// command's run() in-process. No other imports: the test bundle entry uses it too.
import type { Command } from '../../src/cli/command.js';
import { output, type CliContext } from '../../src/cli/context.js';
import { KiError, oneLine } from '../../src/core/errors.js';

export async function runCommand(cmd: Command, argv: readonly string[], ctx: CliContext): Promise<number> {
  const out = output(ctx);
  try {
    if (!cmd.passThrough && (argv.includes('--help') || argv.includes('-h'))) {
      out.line(cmd.help);
      return 0;
    }
    return await cmd.run(argv, ctx);
  } catch (err) {
    if (err instanceof KiError) {
      out.error(oneLine(err.message));
      return err.exitCode;
    }
    out.error(`unexpected error: ${oneLine(err instanceof Error ? err.message : String(err)).slice(0, 300)}`);
    return 1;
  }
}
