// Reading a hook's stdin: the JSON Claude Code sends to the session hooks and the guards.
import type { Readable } from 'node:stream';
import { KiError } from './errors.js';

export type Stdin = Readable & { isTTY?: boolean };

/**
 * All of stdin as text, bounded in size and time: a hook must never hang on a stdin that does
 * not close, nor buffer a flood. `label` starts the error messages ("hook", "guard X").
 *
 * Through the stdin stream, although plain fs.read calls on descriptor 0 start ~3 ms faster:
 * such a read blocks a thread-pool thread, and Node cannot exit while one is blocked, so a
 * stdin that never closes would hang the hook past its deadline.
 */
export function readStdinBounded(ctx: { stdin: Stdin }, label: string, maxBytes: number, timeoutMs: number, tail = ''): Promise<string> {
  const end = tail ? `; ${tail}` : '';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => done(new KiError('input-invalid', `${label}: no input on stdin within ${timeoutMs / 1000} s${end}`)), timeoutMs);
    timer.unref();
    const onData = (c: Buffer | string) => {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      size += b.length;
      if (size > maxBytes) return done(new KiError('input-invalid', `${label}: stdin is larger than ${Math.round(maxBytes / 1024)} KiB, which is not what Claude Code sends${end}`));
      chunks.push(b);
    };
    const onEnd = () => done();
    const done = (err?: Error) => {
      clearTimeout(timer);
      ctx.stdin.removeListener('data', onData);
      ctx.stdin.removeListener('end', onEnd);
      ctx.stdin.removeListener('error', done);
      if (err) {
        ctx.stdin.destroy?.();
        reject(err);
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.on('end', onEnd);
    ctx.stdin.on('error', done);
  });
}
