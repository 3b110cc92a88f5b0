import type { CliContext } from './context.js';

export interface Command {
  name: string;
  summary: string;
  /** Full --help text. */
  help: string;
  run(argv: readonly string[], ctx: CliContext): Promise<number>;
}
