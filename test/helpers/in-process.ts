// Runs CLI commands in-process with a memory keyring and captured output.
import { PassThrough, Readable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { claudePaths } from '../../src/core/paths.js';
import { MemoryBackend } from '../../src/keyring/memory.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function inProcessCli(env: Record<string, string>, cwd: string, backend = new MemoryBackend()) {
  let clock = Date.parse('2026-01-02T03:04:05.000Z');
  const run = async (argv: string[], stdinText?: string): Promise<RunResult> => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const stdin = Readable.from(stdinText === undefined ? [] : [Buffer.from(stdinText)]);
    const ctx: CliContext = {
      env,
      cwd,
      stdin,
      stdout,
      stderr,
      paths: claudePaths(env),
      backend: () => backend,
      now: () => new Date((clock += 1000)),
    };
    const code = await main(argv, ctx);
    return { code, stdout: out, stderr: err };
  };
  return { run, backend };
}
