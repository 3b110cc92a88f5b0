// The JSON Claude Code sends to the guard hooks. Unlike the session hooks' input, it carries
// the user's prompt or a whole tool output, so the size limit is much larger; values in it are
// only ever held in memory.
import { isRecord } from '../core/is-record.js';
import type { Stdin } from '../core/stdin.js';
import { parseHookJson, readHookJson, stringField } from '../claude/hook-input.js';

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
  return guardInputOf(parseHookJson(text, expected, { who: `guard ${expected}` }), expected);
}

export async function readGuardInput(ctx: { stdin: Stdin }, expected: GuardEvent): Promise<GuardInput> {
  const data = await readHookJson(ctx, expected, { who: `guard ${expected}`, readLabel: `guard ${expected}`, maxBytes: MAX_INPUT_BYTES, timeoutMs: READ_TIMEOUT_MS });
  return guardInputOf(data, expected);
}

function guardInputOf(data: Record<string, unknown> & { session_id: string }, expected: GuardEvent): GuardInput {
  const input: GuardInput = { session_id: data.session_id, hook_event_name: expected };
  const str = (k: 'cwd' | 'transcript_path' | 'prompt' | 'tool_name') => {
    const v = stringField(data, k);
    if (v !== undefined) input[k] = v;
  };
  str('cwd');
  str('transcript_path');
  str('prompt');
  str('tool_name');
  if (isRecord(data.tool_input)) input.tool_input = data.tool_input;
  if ('tool_response' in data) input.tool_response = data.tool_response;
  return input;
}
