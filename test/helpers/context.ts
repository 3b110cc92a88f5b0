// The one fake CliContext: a memory keyring, output captured synchronously, a clock that moves
// one second a call. For calling one command's run() directly; in-process.ts runs main() on it.
import { Readable, Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/cli-context.js';
import { claudePaths } from '../../src/core/paths.js';
import { MemoryBackend } from '../../src/keyring/memory.js';

export interface TestContext {
  ctx: CliContext;
  stdout(): string;
  stderr(): string;
  backend: MemoryBackend;
}

function sink(onChunk: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      onChunk(chunk.toString());
      cb();
    },
  });
}

/** A fixed start (2026-01-02T03:04:05Z) that moves one second at each call. */
export function testClock(): () => Date {
  let clock = Date.parse('2026-01-02T03:04:05.000Z');
  return () => new Date((clock += 1000));
}

export function makeContext(env: Record<string, string>, cwd: string, stdinText?: string, backend = new MemoryBackend(), now = testClock()): TestContext {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    env,
    cwd,
    stdin: Readable.from(stdinText === undefined ? [] : [Buffer.from(stdinText)]),
    stdout: sink((t) => (out += t)),
    stderr: sink((t) => (err += t)),
    paths: claudePaths(env),
    backend: () => backend,
    now,
  };
  return { ctx, stdout: () => out, stderr: () => err, backend };
}
