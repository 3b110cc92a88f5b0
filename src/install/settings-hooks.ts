// Adds and removes our Claude Code hooks (two session hooks, three guards) in the text of a
// settings.json. Pure: text in, text out, no disk. The user's other settings, hooks and
// formatting are kept byte for byte: every change is one small edit of the JSON core
// (src/claude/json/edit.ts), which lays an insertion out in the style of its neighbours, and
// removing it again gives back the original bytes.
//
// Claude Code reads settings.json as strict JSON: with a comment or a trailing comma the whole
// file is skipped (checked with Claude Code 2.1.197: a SessionStart hook in a settings.json that
// also holds a `//` comment or a trailing comma did not run). So `addHooks` refuses such a file
// with its position instead of adding hooks that would never run; `removeHooks` tolerates
// comments and trailing commas (JsoncScanner), so that an uninstall always works.
import { bomLength } from '../core/bom.js';
import { KiError } from '../core/errors.js';
import { isGuardUrl } from '../guard-service/config.js';
import {
  appendElementEdit,
  applyEdits,
  arrayStyleOf,
  DEFAULT_STYLE,
  elementIndentOf,
  formatValue,
  insertMemberEdit,
  memberIndentOf,
  removeElementEdit,
  removeMemberEdit,
  replaceValueEdit,
  styleOf,
  type Edit,
  type Style,
} from '../claude/json/edit.js';
import {
  commentEnd,
  ConfigParseError,
  isArrayAt,
  JsoncScanner,
  JsonScanner,
  lastMember,
  positionOf,
  readArray,
  shadowsEarlier,
  stringAt,
  type ArrayInfo,
  type Member,
  type ObjectInfo,
} from '../claude/json/scanner.js';

/**
 * A guard as an http hook (the guard service, src/guard-service): Claude Code POSTs the hook
 * input to `url`; with onFailure "block" a failed request blocks the prompt or tool call.
 */
export interface HttpGuardHook {
  type: 'http';
  url: string;
  headers: Record<string, string>;
  timeout: number;
  onFailure: 'block';
}

/** A guard's handler: a shell command (marked), or an http hook to our service. */
export type GuardHandler = string | HttpGuardHook;

export interface HookCommands {
  /** Full shell command for SessionStart; should end with the marker (see markCommand). */
  sessionStart: string;
  /** Full shell command for SessionEnd; should end with the marker (see markCommand). */
  sessionEnd: string;
  /** The guards (optional): UserPromptSubmit, PreToolUse and PostToolUse commands, also marked. */
  userPromptSubmit?: GuardHandler;
  preToolUse?: GuardHandler;
  postToolUse?: GuardHandler;
}

/** Every command of ours ends with this shell comment; it is how we recognise our entries. */
export const MARKER = '# keyring-inject';

/** Timeouts (seconds) of our hooks. SessionEnd hooks get 1.5 s unless their own timeout raises it. */
export const HOOK_TIMEOUTS = { SessionStart: 30, SessionEnd: 10, UserPromptSubmit: 10, PreToolUse: 10, PostToolUse: 30 } as const;

/**
 * Tool matchers of the guard groups: every tool for both. A list of names such as
 * Read|Grep|Glob|Bash would leave MCP filesystem or shell tools, PowerShell, Edit and WebFetch
 * unchecked; with '*' a new tool that reads files is covered the day it appears.
 */
export const HOOK_MATCHERS: Partial<Record<keyof typeof HOOK_TIMEOUTS, string>> = { PreToolUse: '*', PostToolUse: '*' };

const MARKER_RE = /(?:^|\s)#\s*keyring-inject\s*$/;

/** Append the marker ` # keyring-inject` (a shell comment) unless the command already ends with it. */
export function markCommand(cmd: string): string {
  return isOurCommand(cmd) ? cmd : `${cmd.replace(/\s+$/, '')} ${MARKER}`;
}

export function isOurCommand(cmd: unknown): boolean {
  return typeof cmd === 'string' && MARKER_RE.test(cmd);
}

/** The settings text cannot be edited safely. The message names a position, never content; settingsError names the file. */
export class SettingsFormatError extends KiError {
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(message: string, line?: number, column?: number) {
    super('settings-invalid', message);
    this.name = 'SettingsFormatError';
    this.line = line;
    this.column = column;
  }
}

type EventName = keyof typeof HOOK_TIMEOUTS;

interface Doc {
  text: string;
  s: JsonScanner;
  root: ObjectInfo;
  /** The file's layout, for what is inserted into an empty object or array. */
  style: Style;
}

// ---------------------------------------------------------------------------------------------
// Public API

export function addHooks(text: string, commands: HookCommands): { text: string; changed: boolean } {
  const { bom, body } = splitBom(text);
  const wanted: Array<[EventName, GuardHandler]> = [
    ['SessionStart', commands.sessionStart],
    ['SessionEnd', commands.sessionEnd],
  ];
  if (commands.userPromptSubmit !== undefined) wanted.push(['UserPromptSubmit', commands.userPromptSubmit]);
  if (commands.preToolUse !== undefined) wanted.push(['PreToolUse', commands.preToolUse]);
  if (commands.postToolUse !== undefined) wanted.push(['PostToolUse', commands.postToolUse]);
  let current = body.trim() === '' ? `{}${detectEol(body)}` : body;
  // One edit per round, re-scanned each time; a bounded loop guards against a bug ever spinning.
  for (let round = 0; round < 1000; round++) {
    const doc = load(current, false);
    let edit: Edit | undefined;
    for (const [event, command] of wanted) {
      edit = ensureEvent(doc, event, command);
      if (edit !== undefined) break;
    }
    if (edit === undefined) {
      const changed = current !== body;
      return { text: changed ? bom + current : text, changed };
    }
    current = applyEdits(current, [edit]);
  }
  throw new Error('internal error: settings edit did not converge');
}

export function removeHooks(text: string): { text: string; changed: boolean; removed: number } {
  const { bom, body } = splitBom(text);
  if (body.trim() === '') return { text, changed: false, removed: 0 };
  let current = body;
  let removed = 0;
  for (let round = 0; round < 10_000; round++) {
    const step = removeOne(load(current, true));
    if (!step) {
      const changed = removed > 0;
      return { text: changed ? bom + current : text, changed, removed };
    }
    current = applyEdits(current, [step.edit]);
    removed += step.removed;
  }
  throw new Error('internal error: settings edit did not converge');
}

/** Our hook commands in a settings.json text (comments and trailing commas tolerated), by event. */
export function ourHookCommands(text: string): Array<{ event: string; command: string }> {
  const { body } = splitBom(text);
  if (body.trim() === '') return [];
  const doc = load(body, true);
  const hooks = objectAt(doc, lastMember(doc.root.members, 'hooks'));
  const found: Array<{ event: string; command: string }> = [];
  const seen = new Set<string>();
  for (const { key: event } of hooks?.members ?? []) {
    if (seen.has(event)) continue;
    seen.add(event);
    const groups = arrayAt(doc, lastMember((hooks as ObjectInfo).members, event));
    for (const f of groups ? ourHandlers(doc, groups) : []) {
      const url = lastMember(f.handler.members, 'url');
      found.push({ event, command: commandOf(doc, f.handler) ?? (url ? (stringAt(doc.s, url.valueStart, url.valueEnd) ?? '') : '') });
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// add

/** One edit that brings `event` closer to holding exactly one up-to-date entry of ours, or undefined when it already does. */
function ensureEvent(doc: Doc, event: EventName, spec: GuardHandler): Edit | undefined {
  const timeout = HOOK_TIMEOUTS[event];
  const handler = typeof spec === 'string' ? { type: 'command', command: spec, timeout } : spec;
  const matcher = HOOK_MATCHERS[event];
  const group = matcher === undefined ? { hooks: [handler] } : { matcher, hooks: [handler] };

  const hooksProp = lastMember(doc.root.members, 'hooks');
  if (!hooksProp) return insertMember(doc, doc.root, 'hooks', { [event]: [group] });
  const hooks = objectAt(doc, hooksProp);
  if (!hooks) throw shapeError(doc.text, hooksProp.valueStart, '"hooks" is not a JSON object');

  const eventProp = lastMember(hooks.members, event);
  if (!eventProp) return insertMember(doc, hooks, event, [group]);
  const groups = arrayAt(doc, eventProp);
  if (!groups) throw shapeError(doc.text, eventProp.valueStart, `"hooks.${event}" is not a JSON array`);

  const ours = ourHandlers(doc, groups);
  const first = ours[0];
  if (!first) return appendElement(doc, groups, group);

  if (typeof spec !== 'string' || commandOf(doc, first.handler) === undefined) {
    // An http hook, or a command where an http hook of ours was: the entry is ours alone and
    // small, so one that differs is replaced whole (removed now, appended in the next round).
    const current: unknown = JSON.parse(doc.text.slice(first.handler.start, first.handler.end));
    if (JSON.stringify(current) !== JSON.stringify(handler)) return removeHandler(doc, groups, first).edit;
    const dupHttp = ours[1];
    if (dupHttp) return removeHandler(doc, groups, dupHttp).edit;
    return matcherEdit(doc, first, matcher);
  }

  // Bring the first entry of ours up to date, in place; other keys on it are left alone.
  const command = spec;
  const cmdProp = lastMember(first.handler.members, 'command') as Member;
  if (commandOf(doc, first.handler) !== command) return replaceValueEdit(cmdProp, JSON.stringify(command));
  for (const [key, want] of [
    ['type', 'command'],
    ['timeout', timeout],
  ] as const) {
    const prop = lastMember(first.handler.members, key);
    if (!prop) return insertMember(doc, first.handler, key, want);
    if (scalarAt(doc, prop) !== want) return replaceValueEdit(prop, JSON.stringify(want));
  }
  const m = matcherEdit(doc, first, matcher);
  if (m) return m;

  // Any further entry of ours in this event is a duplicate: drop it (and a group it empties).
  const dup = ours[1];
  if (dup) return removeHandler(doc, groups, dup).edit;
  return undefined;
}

/** The group's tool matcher, where we want one; only in a group of ours alone (a user's group keeps its matcher). */
function matcherEdit(doc: Doc, first: Found, matcher: string | undefined): Edit | undefined {
  if (matcher === undefined || !first.list.elements.every((e) => isOurHandler(doc, e.start))) return undefined;
  const matcherProp = lastMember(first.group.members, 'matcher');
  if (!matcherProp) return insertMember(doc, first.group, 'matcher', matcher);
  if (scalarAt(doc, matcherProp) !== matcher) return replaceValueEdit(matcherProp, JSON.stringify(matcher));
  return undefined;
}

function insertMember(doc: Doc, obj: ObjectInfo, key: string, value: unknown): Edit {
  const style = styleOf(doc.text, obj, doc.style);
  return insertMemberEdit(doc.text, obj, key, formatValue(value, style, memberIndentOf(doc.text, obj, style)), style);
}

function appendElement(doc: Doc, arr: ArrayInfo, value: unknown): Edit {
  const style = arrayStyleOf(doc.text, arr, doc.style);
  return appendElementEdit(doc.text, arr, formatValue(value, style, elementIndentOf(doc.text, arr, style)), style);
}

// ---------------------------------------------------------------------------------------------
// remove

function removeOne(doc: Doc): { edit: Edit; removed: number } | undefined {
  const hooksProp = lastMember(doc.root.members, 'hooks');
  const hooks = objectAt(doc, hooksProp);
  if (!hooksProp || !hooks) return undefined;
  for (const [k, eventProp] of hooks.members.entries()) {
    const groups = arrayAt(doc, eventProp);
    const found = groups ? ourHandlers(doc, groups)[0] : undefined;
    if (!groups || !found) continue;
    const step = removeHandler(doc, groups, found);
    // We emptied this event's array: remove the event, and `hooks` too if we emptied it, but never
    // a member that hides an earlier duplicate (that one, e.g. an old hook, would be back).
    if (step.groupRemoved && groups.elements.length === 1 && !shadowsEarlier(hooks.members, k)) {
      const root = doc.root.members;
      const hooksAt = root.indexOf(hooksProp);
      if (hooks.members.length === 1 && !shadowsEarlier(root, hooksAt)) return { edit: removeMemberEdit(doc.text, doc.root, hooksAt), removed: step.removed };
      return { edit: removeMemberEdit(doc.text, hooks, k), removed: step.removed };
    }
    return step;
  }
  return undefined;
}

interface Found {
  group: ObjectInfo;
  groupIndex: number;
  /** The group's `hooks` array. */
  list: ArrayInfo;
  handler: ObjectInfo;
  handlerIndex: number;
}

/** Remove one handler of ours; when every handler of its group is ours, remove the whole group. */
function removeHandler(doc: Doc, groups: ArrayInfo, found: Found): { edit: Edit; removed: number; groupRemoved: boolean } {
  const handlers = found.list.elements;
  const oursInGroup = handlers.filter((e) => isOurHandler(doc, e.start)).length;
  if (oursInGroup === handlers.length) {
    return { edit: removeElementEdit(doc.text, groups, found.groupIndex), removed: oursInGroup, groupRemoved: true };
  }
  return { edit: removeElementEdit(doc.text, found.list, found.handlerIndex), removed: 1, groupRemoved: false };
}

// ---------------------------------------------------------------------------------------------
// finding things

function ourHandlers(doc: Doc, groups: ArrayInfo): Found[] {
  const found: Found[] = [];
  for (const [groupIndex, g] of groups.elements.entries()) {
    if (!doc.s.isObjectAt(g.start)) continue;
    const group = doc.s.readObject(g.start);
    const list = arrayAt(doc, lastMember(group.members, 'hooks'));
    if (!list) continue;
    for (const [handlerIndex, h] of list.elements.entries()) {
      if (isOurHandler(doc, h.start)) found.push({ group, groupIndex, list, handler: doc.s.readObject(h.start), handlerIndex });
    }
  }
  return found;
}

function isOurHandler(doc: Doc, at: number): boolean {
  if (!doc.s.isObjectAt(at)) return false;
  const h = doc.s.readObject(at);
  if (isOurCommand(commandOf(doc, h))) return true;
  const url = lastMember(h.members, 'url');
  return url !== undefined && isGuardUrl(stringAt(doc.s, url.valueStart, url.valueEnd));
}

/** The handler's command, if it is a string (the last `command`, as JSON.parse lets a duplicate key win). */
function commandOf(doc: Doc, handler: ObjectInfo): string | undefined {
  const cmd = lastMember(handler.members, 'command');
  return cmd && stringAt(doc.s, cmd.valueStart, cmd.valueEnd);
}

function objectAt(doc: Doc, m: Member | undefined): ObjectInfo | undefined {
  return m && doc.s.isObjectAt(m.valueStart) ? doc.s.readObject(m.valueStart) : undefined;
}

function arrayAt(doc: Doc, m: Member | undefined): ArrayInfo | undefined {
  return m && isArrayAt(doc.s, m.valueStart) ? readArray(doc.s, m.valueStart) : undefined;
}

/** A string, number or literal member value; undefined for an object or array. */
function scalarAt(doc: Doc, m: Member): unknown {
  const c = doc.text.charCodeAt(m.valueStart);
  return c === 123 || c === 91 ? undefined : JSON.parse(doc.text.slice(m.valueStart, m.valueEnd));
}

// ---------------------------------------------------------------------------------------------
// parsing

/** Scans the whole text (strict JSON, or with comments and trailing commas when `lenient`); the top level must be an object. */
function load(text: string, lenient: boolean): Doc {
  const s = lenient ? new JsoncScanner(text) : new JsonScanner(text);
  let root: ObjectInfo | undefined;
  let start = 0;
  try {
    start = s.skipWs(0);
    if (start >= text.length) s.fail(start, 'empty text');
    let end: number;
    if (s.isObjectAt(start)) {
      root = s.readObject(start);
      end = root.end;
    } else {
      end = s.skipValue(start);
    }
    end = s.skipWs(end);
    if (end < text.length) s.fail(end, 'unexpected text after the JSON value');
  } catch (err) {
    throw err instanceof ConfigParseError ? syntaxError(text, err, lenient) : err;
  }
  if (!root) throw shapeError(text, start, 'the top level is not a JSON object');
  const base: Style = { ...DEFAULT_STYLE, eol: detectEol(text) };
  return { text, s, root, style: styleOf(text, root, base) };
}

function syntaxError(text: string, err: ConfigParseError, lenient: boolean): SettingsFormatError {
  const { line, column } = err;
  if (!lenient && commentEnd(text, err.offset) !== -1) {
    return new SettingsFormatError(
      `comment at line ${line}, column ${column}: Claude Code ignores a settings.json that is not plain JSON, so hooks added there would never run; remove the comments and retry`,
      line,
      column,
    );
  }
  return new SettingsFormatError(
    `invalid JSON at line ${line}, column ${column} (${errorName(text, err)})${lenient ? '' : ': Claude Code ignores a settings.json that is not plain JSON; fix it and retry'}`,
    line,
    column,
  );
}

/**
 * The name of a syntax error as these messages have always given it (the names of jsonc-parser's
 * error codes, which this file used before the JSON core replaced it).
 */
function errorName(text: string, err: ConfigParseError): string {
  const at = err.offset;
  const eof = at >= text.length;
  switch (err.reason) {
    case 'unterminated string':
      return 'UnexpectedEndOfString';
    case 'control character in string':
      return 'InvalidCharacter';
    case 'bad \\u escape':
      return 'InvalidUnicode';
    case 'bad escape':
      return 'InvalidEscapeCharacter';
    case 'unterminated comment':
      return 'UnexpectedEndOfComment';
  }
  if (!eof && !startsToken(text, at)) return 'InvalidSymbol';
  switch (err.reason) {
    case 'expected a property name':
      return 'PropertyNameExpected';
    case "expected ':'":
      return 'ColonExpected';
    case "expected ',' or '}'":
      return eof ? 'CloseBraceExpected' : 'CommaExpected';
    case "expected ',' or ']'":
      return eof ? 'CloseBracketExpected' : 'CommaExpected';
    case 'unexpected text after the JSON value':
      return 'EndOfFileExpected';
    default:
      return 'ValueExpected';
  }
}

/** Whether a JSON token starts at `at` (a character that starts none is an "invalid symbol"). */
function startsToken(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if ('{}[],:"'.includes(text.charAt(at)) || (c >= 48 && c <= 57)) return true;
  if (c === 45) return text.charCodeAt(at + 1) >= 48 && text.charCodeAt(at + 1) <= 57;
  return text.startsWith('true', at) || text.startsWith('false', at) || text.startsWith('null', at);
}

function shapeError(text: string, offset: number, what: string): SettingsFormatError {
  const { line, column } = positionOf(text, offset);
  return new SettingsFormatError(`${what} (line ${line}, column ${column}); fix it by hand and retry`, line, column);
}

function detectEol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function splitBom(text: string): { bom: string; body: string } {
  const n = bomLength(text);
  return { bom: text.slice(0, n), body: text.slice(n) };
}
