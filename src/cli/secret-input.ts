// Reads a secret value: from standard input (--stdin) or a hidden prompt on the terminal.
// Never from argv. The value stays in memory and goes straight to the keyring.
import { createInterface } from 'node:readline';
import { KiError, UsageError } from '../core/errors.js';
import type { CliContext } from './cli-context.js';

const MAX_BYTES = 1024 * 1024;

export async function readSecret(ctx: CliContext, opts: { fromStdin: boolean; label: string }): Promise<string> {
  if (opts.fromStdin) return readSecretFromStdin(ctx);
  if (!ctx.stdin.isTTY || !ctx.stdin.setRawMode) {
    throw new UsageError('no terminal to prompt on: pipe the value in and pass --stdin');
  }
  const value = await promptHidden(ctx, `${opts.label}: `);
  if (value === '') {
    const answer = await askLine(ctx, 'The value is empty. Store an empty value? [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim())) throw new KiError('input-invalid', 'nothing stored: the value was empty');
  }
  return value;
}

async function readSecretFromStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_BYTES) throw new KiError('input-invalid', 'standard input is larger than 1 MiB: that is not an API key; pipe only the value');
    chunks.push(buf);
  }
  let value = Buffer.concat(chunks).toString('utf8');
  // Strip exactly one trailing newline, as `echo` or a here-string adds one.
  if (value.endsWith('\r\n')) value = value.slice(0, -2);
  else if (value.endsWith('\n')) value = value.slice(0, -1);
  if (value === '') throw new KiError('input-invalid', `standard input was empty: pipe the value in, e.g. \`${pasteHint(process.platform)}\`, or leave out --stdin on a terminal for a hidden prompt`);
  return value;
}

/** An example pipe from the clipboard, with the tool this platform has. */
export function pasteHint(platform: NodeJS.Platform): string {
  const tail = 'keyring-inject add NAME --stdin ...';
  if (platform === 'darwin') return `pbpaste | ${tail}`;
  if (platform === 'win32') return `Get-Clipboard | ${tail}`;
  return `wl-paste | ${tail}\` (Wayland) or \`xclip -selection clipboard -o | ${tail}`;
}

/** Hidden prompt: raw mode, nothing echoed, bracketed-paste markers removed. */
export function promptHidden(ctx: CliContext, question: string): Promise<string> {
  const input = ctx.stdin;
  const setRaw = input.setRawMode?.bind(input);
  return new Promise<string>((resolve, reject) => {
    let value = '';
    let pending = '';
    const finish = (err?: Error) => {
      input.removeListener('data', onData);
      setRaw?.(false);
      input.pause();
      ctx.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      pending = pending.replace(/\u001b\[20[01]~/g, '');
      for (const ch of pending) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new KiError('cancelled', 'cancelled'));
        if (ch === '\u0004') {
          if (value === '') return finish(new KiError('cancelled', 'cancelled'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ' || ch === '\t') value += ch;
      }
      pending = '';
    };
    ctx.stderr.write(question);
    setRaw?.(true);
    input.on('data', onData);
    input.resume();
  });
}

/** A visible one-line question (for non-secret answers such as a server name). */
export async function askLine(ctx: CliContext, question: string): Promise<string> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
  }
}
