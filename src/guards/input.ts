// The JSON Claude Code sends to the guard hooks. Unlike the session hooks' input, it carries
// the user's prompt or a whole tool output, so the size limit is much larger; values in it are
// only ever held in memory.
import { KiError } from '../core/errors.js';
import { readStdinBounded, type Stdin } from '../core/stdin.js';
import { isRecord } from '../core/is-record.js';
import { parseJson } from '../core/parse-json.js';

export type GuardEvent = 'UserPromptSubmit' | 'PreToolUse' | 'PostToolUse';

export interface GuardInput {
  session_id: string;
  hook_event_name: GuardEvent;
  cwd?: string;
  /** The session's transcript (where the client writes the prompt, blocked or not). */
  transcript_path?: string;
  /** UserPromptSubmit */
  prompt?: string;
  /** PreToolUse / PostToolUse */
  tool_name?: string;
  tool_input?: Record<string, unknown>;
  /** PostToolUse: the tool's output as Claude Code holds it (its shape depends on the tool). */
  tool_response?: unknown;
}

/** Tool output can be large (a Read of a big file); past this we refuse rather than buffer without bound. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
const READ_TIMEOUT_MS = 10_000;

/** Parse and check one guard input. Error messages never quote the input. */
export function parseGuardInput(text: string, expected: GuardEvent): GuardInput {
  const data = parseJson(text, () => new KiError('input-invalid', `guard ${expected}: stdin is not the JSON Claude Code sends (${text.trim() === '' ? 'it was empty' : 'not valid JSON'})`));
  if (!isRecord(data)) throw new KiError('input-invalid', `guard ${expected}: stdin is not a JSON object`);
  if (typeof data.session_id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(data.session_id)) {
    throw new KiError('input-invalid', `guard ${expected}: stdin has no valid session_id`);
  }
  if (data.hook_event_name !== undefined && data.hook_event_name !== expected) {
    throw new KiError('input-invalid', `guard ${expected}: stdin is for another event; check the hook configuration ('keyring-inject install')`);
  }
  const input: GuardInput = { session_id: data.session_id, hook_event_name: expected };
  if (typeof data.cwd === 'string') input.cwd = data.cwd;
  if (typeof data.transcript_path === 'string') input.transcript_path = data.transcript_path;
  if (typeof data.prompt === 'string') input.prompt = data.prompt;
  if (typeof data.tool_name === 'string') input.tool_name = data.tool_name;
  if (isRecord(data.tool_input)) input.tool_input = data.tool_input;
  if ('tool_response' in data) input.tool_response = data.tool_response;
  return input;
}

export async function readGuardInput(ctx: { stdin: Stdin }, expected: GuardEvent): Promise<GuardInput> {
  if (ctx.stdin.isTTY) throw new KiError('input-invalid', `guard ${expected} reads the JSON Claude Code sends on stdin; it is not meant to be run by hand`);
  return parseGuardInput(await readStdinBounded(ctx, `guard ${expected}`, MAX_INPUT_BYTES, READ_TIMEOUT_MS), expected);
}
