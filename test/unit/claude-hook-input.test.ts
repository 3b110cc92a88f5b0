// The one check of what Claude Code writes to a hook's stdin, as the session hooks and the
// guards use it: the same refusals, each worded for its hook, never quoting the input.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readSessionHookInput } from '../../src/claude/hook-input.js';
import { parseGuardInput, readGuardInput } from '../../src/guards/input.js';

const stdin = (text: string, isTTY = false) => Object.assign(Readable.from([Buffer.from(text)]), { isTTY });
const secretish = 'sk-live-not-to-be-quoted';

describe.each([
  ['session-start', (text: string, tty?: boolean) => readSessionHookInput({ stdin: stdin(text, tty) }, 'SessionStart'), 'hook SessionStart', '; nothing was changed'],
  ['guard', (text: string, tty?: boolean) => readGuardInput({ stdin: stdin(text, tty) }, 'PreToolUse'), 'guard PreToolUse', ''],
])('%s input', (_name, read, who, end) => {
  it.each([
    ['empty', '', `${who}: stdin is not the JSON Claude Code sends (it was empty)${end}`],
    ['garbage', `{${secretish}`, `${who}: stdin is not the JSON Claude Code sends (not valid JSON)${end}`],
    ['a string', JSON.stringify(secretish), `${who}: stdin is not a JSON object${end}`],
    ['an array', JSON.stringify([{ session_id: 's' }]), `${who}: stdin is not a JSON object${end}`],
    ['no session_id', JSON.stringify({ prompt: secretish }), `${who}: stdin has no valid session_id${end}`],
    ['a bad session_id', JSON.stringify({ session_id: `../${secretish}` }), `${who}: stdin has no valid session_id${end}`],
    ['another event', JSON.stringify({ session_id: 's', hook_event_name: 'Stop' }), `${who}: stdin is for another event; check the hook configuration ('keyring-inject install')`],
  ])('refuses %s with one line that quotes nothing', async (_what, text, message) => {
    const err = await read(text).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBe(message);
    expect(err).toMatchObject({ code: 'input-invalid' });
  });

  it('refuses a terminal before reading it', async () => {
    await expect(read('', true)).rejects.toThrow(`${who} reads the JSON Claude Code sends on stdin; it is not meant to be run by hand`);
  });
});

it('keeps what each hook reads, with the expected event filled in', async () => {
  const text = JSON.stringify({ session_id: 'a.b:c-1', source: 'startup', cwd: '/p', reason: 7, prompt: 'x' });
  expect(await readSessionHookInput({ stdin: stdin(text) }, 'SessionStart')).toEqual({ session_id: 'a.b:c-1', hook_event_name: 'SessionStart', source: 'startup', cwd: '/p' });
  const guard = parseGuardInput(JSON.stringify({ session_id: 's', hook_event_name: 'PostToolUse', tool_name: 'Read', tool_input: [1], tool_response: null, cwd: 3 }), 'PostToolUse');
  expect(guard).toEqual({ session_id: 's', hook_event_name: 'PostToolUse', tool_name: 'Read', tool_response: null });
});
