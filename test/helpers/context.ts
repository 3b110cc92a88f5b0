// A CliContext for calling one command's run() directly (without main()), with a memory
// keyring and output captured synchronously.
import { Readable, Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
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

export function makeContext(env: Record<string, string>, cwd: string, stdinText?: string, backend = new MemoryBackend()): TestContext {
  let out = '';
  let err = '';
  let clock = Date.parse('2026-01-02T03:04:05.000Z');
  const ctx: CliContext = {
    env,
    cwd,
    stdin: Readable.from(stdinText === undefined ? [] : [Buffer.from(stdinText)]),
    stdout: sink((t) => (out += t)),
    stderr: sink((t) => (err += t)),
    paths: claudePaths(env),
    backend: () => backend,
    now: () => new Date((clock += 1000)),
  };
  return { ctx, stdout: () => out, stderr: () => err, backend };
}
