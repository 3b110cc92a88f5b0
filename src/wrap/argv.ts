// Arguments of commands that run another command: our options, then `--`, then the command.
import { UsageError } from '../core/errors.js';

/** Split at the first `--`; the command after it is required. */
export function splitCommand(argv: readonly string[], usage: string): { head: string[]; command: string; args: string[] } {
  const i = argv.indexOf('--');
  const head = i === -1 ? [...argv] : argv.slice(0, i);
  const rest = i === -1 ? [] : argv.slice(i + 1);
  const [command, ...args] = rest;
  if (command === undefined || command === '') throw new UsageError(`missing the command to run after '--': ${usage}`);
  return { head, command, args };
}

/** True when `--help`/`-h` comes before `--` (after it, it belongs to the command). */
export function wantsHelp(argv: readonly string[]): boolean {
  const i = argv.indexOf('--');
  const head = i === -1 ? argv : argv.slice(0, i);
  return head.includes('--help') || head.includes('-h');
}
