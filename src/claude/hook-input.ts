// Claude Code's hook protocol: the JSON it writes to a hook's stdin. One check for the session
// hooks and the guards: garbage, empty input, a non-object, a bad session_id, another event's
// input, a terminal or a flood is refused with one line before anything is read from or written
// to disk. The messages never quote the input.
import { KiError } from '../core/errors.js';
import { isRecord } from '../core/is-record.js';
import { parseJson } from '../core/parse-json.js';
import { readStdinBounded, type Stdin } from '../core/stdin.js';

/** How one kind of hook reads its input. */
export interface HookInputRules {
  /** Starts the messages about the input: "hook SessionStart", "guard PreToolUse". */
  who: string;
  /** Starts the messages of the read itself (size, time). */
  readLabel: string;
  maxBytes: number;
  timeoutMs: number;
  /** Ends the messages about the input ("nothing was changed"). */
  tail?: string;
  /** Added to the refusal of a terminal. */
  byHandHint?: string;
}

/** The checked input: a valid session_id, the expected event, every other member as sent. */
export type HookJson = Record<string, unknown> & { session_id: string; hook_event_name: string };

export function parseHookJson(text: string, expectedEvent: string, rules: Pick<HookInputRules, 'who' | 'tail'>): HookJson {
  const end = rules.tail ? `; ${rules.tail}` : '';
  const data = parseJson(text, () => new KiError('input-invalid', `${rules.who}: stdin is not the JSON Claude Code sends (${text.trim() === '' ? 'it was empty' : 'not valid JSON'})${end}`));
  if (!isRecord(data)) throw new KiError('input-invalid', `${rules.who}: stdin is not a JSON object${end}`);
  if (typeof data.session_id !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(data.session_id)) {
    throw new KiError('input-invalid', `${rules.who}: stdin has no valid session_id${end}`);
  }
  if (data.hook_event_name !== undefined && data.hook_event_name !== expectedEvent) {
    throw new KiError('input-invalid', `${rules.who}: stdin is for another event; check the hook configuration ('keyring-inject install')`);
  }
  return { ...data, session_id: data.session_id, hook_event_name: expectedEvent };
}

export async function readHookJson(ctx: { stdin: Stdin }, expectedEvent: string, rules: HookInputRules): Promise<HookJson> {
  if (ctx.stdin.isTTY) {
    throw new KiError('input-invalid', `${rules.who} reads the JSON Claude Code sends on stdin; it is not meant to be run by hand${rules.byHandHint ? ` ${rules.byHandHint}` : ''}`);
  }
  const text = await readStdinBounded(ctx, rules.readLabel, rules.maxBytes, rules.timeoutMs, rules.tail);
  return parseHookJson(text, expectedEvent, rules);
}

/** A string member, or undefined. */
export function stringField(input: Record<string, unknown>, name: string): string | undefined {
  const v = input[name];
  return typeof v === 'string' ? v : undefined;
}

/** What the session hooks read of their input. */
export interface SessionHookInput {
  session_id: string;
  hook_event_name: string;
  source?: string;
  reason?: string;
  cwd?: string;
}

const SESSION_MAX_BYTES = 256 * 1024;
const SESSION_READ_TIMEOUT_MS = 3000;

export async function readSessionHookInput(ctx: { stdin: Stdin }, expectedEvent: 'SessionStart' | 'SessionEnd'): Promise<SessionHookInput> {
  const data = await readHookJson(ctx, expectedEvent, {
    who: `hook ${expectedEvent}`,
    readLabel: 'hook',
    maxBytes: SESSION_MAX_BYTES,
    timeoutMs: SESSION_READ_TIMEOUT_MS,
    tail: 'nothing was changed',
    byHandHint: "(see 'keyring-inject status')",
  });
  const input: SessionHookInput = { session_id: data.session_id, hook_event_name: expectedEvent };
  for (const k of ['source', 'reason', 'cwd'] as const) {
    const v = stringField(data, k);
    if (v !== undefined) input[k] = v;
  }
  return input;
}
