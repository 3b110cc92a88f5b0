// Adds and removes our Claude Code hooks (two session hooks, three guards) in the text of a
// settings.json. Pure: text in, text out, no disk. The user's other settings, hooks and
// formatting are kept byte for byte: every change is one small text edit at a position found
// with jsonc-parser's parseTree.
//
// Why not jsonc-parser's `modify` for insertions and removals: with formattingOptions it
// re-formats the whole line range around the edit (a sibling written as `"allow": ["a", "b"]`
// comes back exploded over several lines), and without them removing the last element of an
// array leaves `1 ]` and drops the `\r` of a CRLF file. Our own edits below insert exactly
// `,<eol><indent><entry>` after the last child and remove exactly that again, so add followed
// by remove gives back the original bytes.
//
// Claude Code reads settings.json as strict JSON: with a comment or a trailing comma the whole
// file is skipped (checked with Claude Code 2.1.197: a SessionStart hook in a settings.json that
// also holds a `//` comment or a trailing comma did not run). So `addHooks` refuses such a file
// with its position instead of adding hooks that would never run; `removeHooks` tolerates
// comments and trailing commas, so that an uninstall always works.
import { applyEdits, parseTree, printParseErrorCode, type Edit, type Node, type ParseError } from 'jsonc-parser';

export interface HookCommands {
  /** Full shell command for SessionStart; should end with the marker (see markCommand). */
  sessionStart: string;
  /** Full shell command for SessionEnd; should end with the marker (see markCommand). */
  sessionEnd: string;
  /** The guards (optional): UserPromptSubmit, PreToolUse and PostToolUse commands, also marked. */
  userPromptSubmit?: string;
  preToolUse?: string;
  postToolUse?: string;
}

/** Every command of ours ends with this shell comment; it is how we recognise our entries. */
export const MARKER = '# keyring-inject';

/** Timeouts (seconds) of our hooks. SessionEnd hooks get 1.5 s unless their own timeout raises it. */
export const HOOK_TIMEOUTS = { SessionStart: 30, SessionEnd: 10, UserPromptSubmit: 10, PreToolUse: 10, PostToolUse: 30 } as const;

/**
 * Tool matchers of the guard groups: every tool for both. PreToolUse once matched only
 * Read|Grep|Glob|Bash, and MCP filesystem or shell tools, PowerShell, Edit and WebFetch went
 * unchecked (issue 14.9); a new tool that reads files is covered the day it appears.
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

/** The settings text cannot be edited safely. The message names a position, never content. */
export class SettingsFormatError extends Error {
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(message: string, line?: number, column?: number) {
    super(message);
    this.name = 'SettingsFormatError';
    this.line = line;
    this.column = column;
  }
}

type EventName = keyof typeof HOOK_TIMEOUTS;

interface Fmt {
  eol: string;
  /** One level of indentation: spaces or a tab, detected from the file. */
  unit: string;
}

interface Doc {
  text: string;
  root: Node;
  fmt: Fmt;
}

// ---------------------------------------------------------------------------------------------
// Public API

export function addHooks(text: string, commands: HookCommands): { text: string; changed: boolean } {
  const { bom, body } = splitBom(text);
  const wanted: Array<[EventName, string]> = [
    ['SessionStart', commands.sessionStart],
    ['SessionEnd', commands.sessionEnd],
  ];
  if (commands.userPromptSubmit !== undefined) wanted.push(['UserPromptSubmit', commands.userPromptSubmit]);
  if (commands.preToolUse !== undefined) wanted.push(['PreToolUse', commands.preToolUse]);
  if (commands.postToolUse !== undefined) wanted.push(['PostToolUse', commands.postToolUse]);
  let current = body.trim() === '' ? `{}${detectEol(body)}` : body;
  // One edit per round, re-parsed each time; a bounded loop guards against a bug ever spinning.
  for (let round = 0; round < 1000; round++) {
    const doc = load(current, false);
    let next: string | undefined;
    for (const [event, command] of wanted) {
      next = ensureEvent(doc, event, command);
      if (next !== undefined) break;
    }
    if (next === undefined) {
      const changed = current !== body;
      return { text: changed ? bom + current : text, changed };
    }
    current = next;
  }
  throw new Error('internal error: settings edit did not converge');
}

export function removeHooks(text: string): { text: string; changed: boolean; removed: number } {
  const { bom, body } = splitBom(text);
  if (body.trim() === '') return { text, changed: false, removed: 0 };
  let current = body;
  let removed = 0;
  for (let round = 0; round < 10_000; round++) {
    const doc = load(current, true);
    const step = removeOne(doc);
    if (!step) {
      const changed = removed > 0;
      return { text: changed ? bom + current : text, changed, removed };
    }
    current = step.text;
    removed += step.removed;
  }
  throw new Error('internal error: settings edit did not converge');
}

// ---------------------------------------------------------------------------------------------
// add

/** One edit that brings `event` closer to holding exactly one up-to-date entry of ours, or undefined when it already does. */
function ensureEvent(doc: Doc, event: EventName, command: string): string | undefined {
  const timeout = HOOK_TIMEOUTS[event];
  const handler = { type: 'command', command, timeout };
  const matcher = HOOK_MATCHERS[event];
  const group = matcher === undefined ? { hooks: [handler] } : { matcher, hooks: [handler] };

  const hooksProp = property(doc.root, 'hooks');
  if (!hooksProp) return insertChild(doc, doc.root, 'hooks', { [event]: [group] });
  const hooks = valueOf(hooksProp);
  if (hooks.type !== 'object') throw shapeError(doc, hooks, '"hooks" is not a JSON object');

  const eventProp = property(hooks, event);
  if (!eventProp) return insertChild(doc, hooks, event, [group]);
  const groups = valueOf(eventProp);
  if (groups.type !== 'array') throw shapeError(doc, groups, `"hooks.${event}" is not a JSON array`);

  const ours = ourHandlers(groups);
  const first = ours[0];
  if (!first) return insertChild(doc, groups, undefined, group);

  // Bring the first entry of ours up to date, in place; other keys on it are left alone.
  const cmdNode = valueOf(property(first.handler, 'command') as Node);
  if (cmdNode.value !== command) return replaceNode(doc, cmdNode, command);
  const typeProp = property(first.handler, 'type');
  if (!typeProp) return insertChild(doc, first.handler, 'type', 'command');
  if (valueOf(typeProp).value !== 'command') return replaceNode(doc, valueOf(typeProp), 'command');
  const timeoutProp = property(first.handler, 'timeout');
  if (!timeoutProp) return insertChild(doc, first.handler, 'timeout', timeout);
  if (valueOf(timeoutProp).value !== timeout) return replaceNode(doc, valueOf(timeoutProp), timeout);
  // The group's tool matcher, where we want one; only in a group of ours alone (a user's group keeps its matcher).
  if (matcher !== undefined && (first.list.children ?? []).every(isOurHandler)) {
    const matcherProp = property(first.group, 'matcher');
    if (!matcherProp) return insertChild(doc, first.group, 'matcher', matcher);
    if (valueOf(matcherProp).value !== matcher) return replaceNode(doc, valueOf(matcherProp), matcher);
  }

  // Any further entry of ours in this event is a duplicate: drop it (and a group it empties).
  const dup = ours[1];
  if (dup) return removeHandler(doc, groups, dup).text;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// remove

function removeOne(doc: Doc): { text: string; removed: number } | undefined {
  const hooksProp = property(doc.root, 'hooks');
  if (!hooksProp) return undefined;
  const hooks = valueOf(hooksProp);
  if (hooks.type !== 'object') return undefined;
  for (const eventProp of hooks.children ?? []) {
    const groups = eventProp.children?.[1];
    if (groups?.type !== 'array') continue;
    const found = ourHandlers(groups)[0];
    if (!found) continue;
    const step = removeHandler(doc, groups, found);
    if (step.groupRemoved && (groups.children?.length ?? 0) === 1) {
      // We emptied this event's array: remove the event, and `hooks` too if we emptied it.
      if ((hooks.children?.length ?? 0) === 1) return { text: removeChild(doc, doc.root, hooksProp), removed: step.removed };
      return { text: removeChild(doc, hooks, eventProp), removed: step.removed };
    }
    return step;
  }
  return undefined;
}

interface Found {
  group: Node;
  /** The group's `hooks` array. */
  list: Node;
  handler: Node;
}

/** Remove one handler of ours; when every handler of its group is ours, remove the whole group. */
function removeHandler(doc: Doc, groups: Node, found: Found): { text: string; removed: number; groupRemoved: boolean } {
  const handlers = found.list.children ?? [];
  const oursInGroup = handlers.filter(isOurHandler).length;
  if (oursInGroup === handlers.length) {
    return { text: removeChild(doc, groups, found.group), removed: oursInGroup, groupRemoved: true };
  }
  return { text: removeChild(doc, found.list, found.handler), removed: 1, groupRemoved: false };
}

// ---------------------------------------------------------------------------------------------
// finding things

function ourHandlers(groups: Node): Found[] {
  const found: Found[] = [];
  for (const group of groups.children ?? []) {
    if (group.type !== 'object') continue;
    const listProp = property(group, 'hooks');
    const list = listProp ? valueOf(listProp) : undefined;
    if (list?.type !== 'array') continue;
    for (const handler of list.children ?? []) {
      if (isOurHandler(handler)) found.push({ group, list, handler });
    }
  }
  return found;
}

function isOurHandler(handler: Node): boolean {
  if (handler.type !== 'object') return false;
  const cmd = property(handler, 'command');
  return cmd !== undefined && isOurCommand(valueOf(cmd).value);
}

/** The property node for `key` (the last one, as JSON.parse lets a duplicate key win). */
function property(obj: Node, key: string): Node | undefined {
  if (obj.type !== 'object') return undefined;
  let hit: Node | undefined;
  for (const p of obj.children ?? []) if (p.children?.[0]?.value === key && p.children[1]) hit = p;
  return hit;
}

function valueOf(prop: Node): Node {
  return prop.children?.[1] as Node;
}

// ---------------------------------------------------------------------------------------------
// parsing

function load(text: string, lenient: boolean): Doc {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: !lenient, allowTrailingComma: lenient, allowEmptyContent: false });
  const err = errors[0];
  if (err) {
    const { line, column } = position(text, err.offset);
    const code = printParseErrorCode(err.error);
    if (!lenient && code === 'InvalidCommentToken') {
      throw new SettingsFormatError(
        `comment at line ${line}, column ${column}: Claude Code ignores a settings.json that is not plain JSON, so hooks added there would never run; remove the comments and retry`,
        line,
        column,
      );
    }
    throw new SettingsFormatError(
      `invalid JSON at line ${line}, column ${column} (${code})${lenient ? '' : ': Claude Code ignores a settings.json that is not plain JSON; fix it and retry'}`,
      line,
      column,
    );
  }
  if (!root) throw new SettingsFormatError('invalid JSON at line 1, column 1 (ValueExpected)', 1, 1);
  const doc: Doc = { text, root, fmt: { eol: detectEol(text), unit: detectUnit(text) } };
  if (root.type !== 'object') throw shapeError(doc, root, 'the top level is not a JSON object');
  return doc;
}

function shapeError(doc: Doc, node: Node, what: string): SettingsFormatError {
  const { line, column } = position(doc.text, node.offset);
  return new SettingsFormatError(`${what} (line ${line}, column ${column}); fix it by hand and retry`, line, column);
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function splitBom(text: string): { bom: string; body: string } {
  return text.charCodeAt(0) === 0xfeff ? { bom: '\uFEFF', body: text.slice(1) } : { bom: '', body: text };
}

function detectEol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function detectUnit(text: string): string {
  const m = /\n([ \t]+)["{[\]}]/.exec(text);
  const ws = m?.[1];
  if (!ws) return '  ';
  if (ws.startsWith('\t')) return '\t';
  return ' '.repeat(Math.min(ws.length, 8));
}

// ---------------------------------------------------------------------------------------------
// edits

function apply(doc: Doc, edit: Edit): string {
  return applyEdits(doc.text, [edit]);
}

/** The leading whitespace of the line that holds `offset`, and whether only whitespace precedes `offset` on it. */
function lineIndent(text: string, offset: number): { indent: string; startsLine: boolean } {
  let start = offset;
  while (start > 0 && text[start - 1] !== '\n') start--;
  const before = text.slice(start, offset);
  const indent = /^[ \t]*/.exec(before)?.[0] ?? '';
  return { indent, startsLine: indent.length === before.length };
}

function render(value: unknown, fmt: Fmt, baseIndent: string): string {
  return JSON.stringify(value, null, fmt.unit).split('\n').join(fmt.eol + baseIndent);
}

function replaceNode(doc: Doc, node: Node, value: string | number): string {
  return apply(doc, { offset: node.offset, length: node.length, content: JSON.stringify(value) });
}

/** Append a child (a property when `key` is given) to an object or array, in the container's own layout. */
function insertChild(doc: Doc, container: Node, key: string | undefined, value: unknown): string {
  const { fmt, text } = doc;
  const prefix = key === undefined ? '' : `${JSON.stringify(key)}: `;
  const children = container.children ?? [];
  const last = children[children.length - 1];
  if (last) {
    const at = lineIndent(text, last.offset);
    const end = last.offset + last.length;
    if (at.startsLine) {
      return apply(doc, { offset: end, length: 0, content: `,${fmt.eol}${at.indent}${prefix}${render(value, fmt, at.indent)}` });
    }
    // Children share a line with something else (`{"a": 1}`): stay on that line.
    return apply(doc, { offset: end, length: 0, content: `, ${prefix}${JSON.stringify(value)}` });
  }
  // Empty container: lay it out over several lines, indented one level deeper than its own line.
  const outer = lineIndent(text, container.offset).indent;
  const inner = outer + fmt.unit;
  return apply(doc, {
    offset: container.offset + 1,
    length: container.length - 2,
    content: `${fmt.eol}${inner}${prefix}${render(value, fmt, inner)}${fmt.eol}${outer}`,
  });
}

/** Remove one child (a property node of an object, or an element of an array): the exact inverse of insertChild. */
function removeChild(doc: Doc, container: Node, child: Node): string {
  const children = container.children ?? [];
  const i = children.indexOf(child);
  if (i < 0) throw new Error('internal error: child not found');
  if (children.length === 1) {
    return apply(doc, { offset: container.offset + 1, length: container.length - 2, content: '' });
  }
  const prev = children[i - 1];
  const next = children[i + 1];
  const { text } = doc;
  if (!next && prev) {
    // Last child: from the comma after the previous child (a comment before that comma stays)
    // to the end of this one.
    const prevEnd = prev.offset + prev.length;
    const comma = skipTrivia(text, prevEnd);
    const from = text[comma] === ',' ? comma : prevEnd;
    return apply(doc, { offset: from, length: child.offset + child.length - from, content: '' });
  }
  // Otherwise: this child, its comma, and the whitespace after it (a comment there stays).
  const nextNode = next as Node;
  const comma = skipTrivia(text, child.offset + child.length);
  let to = text[comma] === ',' ? comma + 1 : nextNode.offset;
  while (to < nextNode.offset && /[ \t\r\n]/.test(text[to] as string)) to++;
  return apply(doc, { offset: child.offset, length: to - child.offset, content: '' });
}

/** The index of the first character at or after `i` that is neither whitespace nor inside a comment. */
function skipTrivia(text: string, i: number): number {
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') i++;
    else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else break;
  }
  return i;
}
