// The JSON Claude Code writes to a hook's stdin. Anything else (garbage, empty, a terminal,
// a flood) is refused with one line before anything is read from or written to disk.
import { KiError } from '../core/errors.js';
import { readStdinBounded } from '../core/stdin.js';
import type { CliContext } from './context.js';
import { parseJson } from '../core/parse-json.js';

export interface HookInput {
  session_id: string;
  hook_event_name: string;
  source?: string;
  reason?: string;
  cwd?: string;
}

const MAX_BYTES = 256 * 1024;
const READ_TIMEOUT_MS = 3000;

export async function readHookInput(ctx: CliContext, expectedEvent: string): Promise<HookInput> {
  if (ctx.stdin.isTTY) throw new KiError('input-invalid', `hook ${expectedEvent} reads the JSON Claude Code sends on stdin; it is not meant to be run by hand (see 'keyring-inject status')`);
  const text = await readStdinBounded(ctx, 'hook', MAX_BYTES, READ_TIMEOUT_MS, 'nothing was changed');
  const data = parseJson(
    text,
    () => new KiError('input-invalid', `hook ${expectedEvent}: stdin is not the JSON Claude Code sends (${text.trim() === '' ? 'it was empty' : 'not valid JSON'}); nothing was changed`),
  );
  if (typeof data !== 'object' || data === null) throw new KiError('input-invalid', `hook ${expectedEvent}: stdin is not a JSON object; nothing was changed`);
  const d = data as Record<string, unknown>;
  if (typeof d.session_id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(d.session_id)) {
    throw new KiError('input-invalid', `hook ${expectedEvent}: stdin has no valid session_id; nothing was changed`);
  }
  if (d.hook_event_name !== undefined && d.hook_event_name !== expectedEvent) {
    throw new KiError('input-invalid', `hook ${expectedEvent}: stdin is for another event; check the hook configuration ('keyring-inject install')`);
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const input: HookInput = { session_id: d.session_id, hook_event_name: expectedEvent };
  for (const [k, v] of [
    ['source', str(d.source)],
    ['reason', str(d.reason)],
    ['cwd', str(d.cwd)],
  ] as const)
    if (v !== undefined) input[k] = v;
  return input;
}
