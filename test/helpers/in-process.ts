// Runs CLI commands in-process through main(), on the fake context of context.ts (memory keyring,
// captured output); successive runs share the keyring and the clock.
import { main } from '../../src/cli/main.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { makeContext, testClock } from './context.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function inProcessCli(env: Record<string, string>, cwd: string, backend = new MemoryBackend()) {
  const now = testClock();
  const run = async (argv: string[], stdinText?: string): Promise<RunResult> => {
    const t = makeContext(env, cwd, stdinText, backend, now);
    const code = await main(argv, t.ctx);
    return { code, stdout: t.stdout(), stderr: t.stderr() };
  };
  return { run, backend };
}
