import type { CliContext } from './cli-context.js';

export interface Command {
  name: string;
  /** Full --help text. */
  help: string;
  /** One typical command line (with a short # comment), printed under "Example:" after the help. */
  example: string;
  /** Arguments are passed through untouched (no --help interception): the launcher. */
  passThrough?: boolean;
  run(argv: readonly string[], ctx: CliContext): Promise<number>;
}
