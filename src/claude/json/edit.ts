// The one minimal-edit API for JSON text (~/.claude.json, its copies, settings.json): insert or
// remove a member of an object, replace a value, append or remove an element of an array, insert
// or remove a prefix of an array. Every edit touches only the bytes it must and copies the layout
// around it (indentation, line endings, the colon, key order), so a pretty file stays pretty;
// each insertion has an exact inverse. Offsets come from the validating scanner (scanner.ts).
// Removals also work on text scanned with JsoncScanner: a comment next to the removed child stays
// unless it sits inside the removed separator (see removeChildEdit), and a trailing comma after
// an only child goes with it. Insertions are for strict JSON.
//
// Nothing here ever puts file content into an error message: the file may hold secrets.
import { isJsonWhitespace, skipTrivia, type ArrayInfo, type Member, type ObjectInfo } from './scanner.js';

// Whitespace and layout.

/** Whitespace directly before `pos`. */
export function wsBefore(text: string, pos: number): string {
  let k = pos;
  while (k > 0 && isJsonWhitespace(text.charCodeAt(k - 1))) k--;
  return text.slice(k, pos);
}

/** Indentation after the last line break in a whitespace run, or undefined if it has none. */
export function indentAfterBreak(ws: string): string | undefined {
  const nl = Math.max(ws.lastIndexOf('\n'), ws.lastIndexOf('\r'));
  return nl === -1 ? undefined : ws.slice(nl + 1);
}

/** The line ending a whitespace run uses. */
export function eolOf(ws: string): string {
  return ws.includes('\r\n') ? '\r\n' : ws.includes('\r') ? '\r' : '\n';
}

export function startsWithBreak(s: string): boolean {
  const c = s.charCodeAt(0);
  return c === 10 || c === 13;
}

/** One text edit: replace [start, end) by text. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Apply non-overlapping edits (any order given). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new Error('internal: overlapping edits');
    out += text.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + text.slice(pos);
}

// ---------------------------------------------------------------------------------------------
// Layout

export interface Style {
  /** Members are on their own lines. */
  pretty: boolean;
  eol: string;
  /** One indentation level. */
  unit: string;
  /** Text between a key and its value, e.g. `: `. */
  colon: string;
  /** The edited text is a piece of a bigger one whose first line is indented by this much there. */
  baseIndent?: string;
}

export const DEFAULT_STYLE: Style = { pretty: true, eol: '\n', unit: '  ', colon: ': ' };

/**
 * Leading whitespace of the line containing `pos` (bounded look-back: compact files are one long
 * line). `lineZero`: `text` is a piece cut from a bigger text, and its first line is indented by
 * that much there.
 */
export function lineIndent(text: string, pos: number, lineZero?: string): string {
  let ls = pos;
  while (ls > 0 && text.charCodeAt(ls - 1) !== 10 && text.charCodeAt(ls - 1) !== 13 && pos - ls < 4096) ls--;
  if (ls > 0 && text.charCodeAt(ls - 1) !== 10 && text.charCodeAt(ls - 1) !== 13) return '';
  if (ls === 0 && lineZero !== undefined) return lineZero;
  let le = ls;
  while (le < pos && (text.charCodeAt(le) === 32 || text.charCodeAt(le) === 9)) le++;
  return text.slice(ls, le);
}

/** The layout of `obj`'s members (falls back to `fallback` for an empty object); `lineZero` as for lineIndent. */
export function styleOf(text: string, obj: ObjectInfo, fallback: Style = DEFAULT_STYLE, lineZero?: string): Style {
  const first = obj.members[0];
  if (first === undefined) return fallback;
  return childStyle(text, obj.start, first.keyStart, text.slice(first.keyEnd, first.valueStart), fallback, lineZero);
}

/** The layout of `arr`'s elements (falls back to `fallback` for an empty array; the colon is always the fallback's). */
export function arrayStyleOf(text: string, arr: ArrayInfo, fallback: Style = DEFAULT_STYLE): Style {
  const first = arr.elements[0];
  return first === undefined ? fallback : childStyle(text, arr.start, first.start, fallback.colon, fallback);
}

function childStyle(text: string, open: number, firstChild: number, colon: string, fallback: Style, lineZero?: string): Style {
  const ws = wsBefore(text, firstChild);
  const childIndent = indentAfterBreak(ws);
  const base = lineIndent(text, open, lineZero);
  let unit = fallback.unit;
  if (childIndent !== undefined && childIndent.length > base.length && childIndent.startsWith(base)) unit = childIndent.slice(base.length);
  return { pretty: childIndent !== undefined, eol: childIndent !== undefined ? eolOf(ws) : fallback.eol, unit, colon };
}

/** JSON text of `value` laid out in `style`, for a value that starts on a line indented by `indent`. */
export function formatValue(value: unknown, style: Style, indent: string): string {
  if (!style.pretty) return JSON.stringify(value);
  return JSON.stringify(value, null, style.unit).split('\n').join(`${style.eol}${indent}`);
}

// ---------------------------------------------------------------------------------------------
// Members

/**
 * The edit that adds `key: valueText` as the last member of `obj` (offsets in `text`), copying
 * the separator and colon of the current last member. removeMemberEdit of the result undoes it
 * exactly. `valueText` may be built with formatValue(value, style, memberIndentOf(...)).
 */
export function insertMemberEdit(text: string, obj: ObjectInfo, key: string, valueText: string, style: Style): Edit {
  const keyText = JSON.stringify(key);
  const last = obj.members[obj.members.length - 1];
  if (last !== undefined) {
    const sep = wsBefore(text, last.keyStart);
    const colon = text.slice(last.keyEnd, last.valueStart);
    return { start: last.valueEnd, end: last.valueEnd, text: `,${sep}${keyText}${colon}${valueText}` };
  }
  // Empty object: pretty files get `{<eol><indent+unit>member<eol><indent>}`. The existing inner
  // whitespace is kept as the closing part so that removal can give it back (see removeMemberEdit).
  const { open, close } = fillEmpty(text.slice(obj.start + 1, obj.end - 1), style, lineIndent(text, obj.start, style.baseIndent));
  return { start: obj.start + 1, end: obj.end - 1, text: `${open}${keyText}${style.colon}${valueText}${close}` };
}

/** Indentation of a member inserted into `obj` (for formatValue of a multi-line value). */
export function memberIndentOf(text: string, obj: ObjectInfo, style: Style): string {
  return childIndentOf(text, obj.start, obj.members[obj.members.length - 1]?.keyStart, style);
}

function childIndentOf(text: string, open: number, lastChild: number | undefined, style: Style): string {
  if (lastChild !== undefined) return indentAfterBreak(wsBefore(text, lastChild)) ?? '';
  return style.pretty ? lineIndent(text, open, style.baseIndent) + style.unit : '';
}

/** The edit that removes member `k` of `obj` with its separator; the inverse of insertMemberEdit. */
export function removeMemberEdit(text: string, obj: ObjectInfo, k: number): Edit {
  const m = obj.members[k];
  if (m === undefined) throw new Error('internal: no such member');
  return removeChildEdit(text, obj, m.keyStart, m.valueEnd, obj.members[k - 1]?.valueEnd, obj.members[k + 1]?.keyStart);
}

function hasSlash(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 47) return true;
  return false;
}

/**
 * Remove the child [start, end) of `container` (its brackets at start and end - 1) whose
 * neighbours end at `prevEnd` and start at `nextStart`. Strict JSON: the child and the separator between it and a
 * neighbour (the next one's, or for the last child the previous one's: the inverse of an
 * append). With comments (JsoncScanner), which only ever sit in a separator: a comment after
 * the comma that follows the child, or before the comma that precedes it, stays; one between
 * the child and that comma goes with the child.
 */
function removeChildEdit(text: string, container: { start: number; end: number }, start: number, end: number, prevEnd: number | undefined, nextStart: number | undefined): Edit {
  if (nextStart !== undefined) {
    let to = nextStart;
    if (hasSlash(text, end, nextStart)) {
      to = skipTrivia(text, end) + 1; // just after the comma
      while (to < nextStart && isJsonWhitespace(text.charCodeAt(to))) to++;
    }
    return { start, end: to, text: '' };
  }
  if (prevEnd !== undefined) {
    let from = prevEnd;
    if (hasSlash(text, prevEnd, start)) {
      const comma = skipTrivia(text, prevEnd);
      if (hasSlash(text, prevEnd, comma)) from = comma;
    }
    return { start: from, end, text: '' };
  }
  return { start: container.start + 1, end: container.end - 1, text: emptied(text.slice(container.start + 1, start), text.slice(end, container.end - 1)) };
}

/**
 * The whitespace before the first and after the last child put into an empty container whose
 * inner whitespace was `inner`. Pretty files get `<eol><indent+unit>child<eol><indent>`. The
 * existing inner whitespace is kept as the closing part so that `emptied` can give it back: it
 * collapses the closing part to nothing iff it starts with a line break and the opening part
 * extends it; when the original inner whitespace would trigger that rule, the opening part gets
 * a leading space so it does not.
 */
function fillEmpty(inner: string, style: Style, indent: string): { open: string; close: string } {
  if (!style.pretty) return { open: '', close: inner };
  const p = style.eol + indent;
  const open = p + style.unit;
  if (inner === '') return { open, close: p };
  if (startsWithBreak(inner) && open.startsWith(inner) && open.length > inner.length) return { open: ` ${open}`, close: inner };
  return { open, close: inner };
}

/** The inner whitespace of a container whose last child goes (the inverse of fillEmpty). */
function emptied(open: string, close: string): string {
  // A trailing comma after the only child (JsoncScanner) goes with it.
  const comma = skipTrivia(close, 0);
  if (close.charCodeAt(comma) === 44) close = close.slice(0, comma) + close.slice(comma + 1);
  return startsWithBreak(close) && open.startsWith(close) && open.length > close.length ? '' : close;
}

// ---------------------------------------------------------------------------------------------
// Arrays

/**
 * The edit that puts `items` (JSON texts) before the first element of `arr`. With elements, the
 * separator between the first two elements (or the whitespace before the first) is copied;
 * removeArrayPrefixEdit(items.length) undoes it exactly. An empty array is laid out afresh in
 * `style` at `indent` (the indentation of the line holding `[`).
 */
export function prependElementsEdit(text: string, arr: ArrayInfo, items: readonly string[], style: Style, indent: string): Edit {
  const first = arr.elements[0];
  const second = arr.elements[1];
  if (first !== undefined) {
    let sepWs: string;
    if (second !== undefined) {
      const between = text.slice(first.end, second.start);
      sepWs = between.slice(between.indexOf(',') + 1);
    } else {
      sepWs = text.slice(arr.start + 1, first.start);
    }
    return { start: first.start, end: first.start, text: items.map((i) => `${i},${sepWs}`).join('') };
  }
  const { open, close } = fillEmpty(text.slice(arr.start + 1, arr.end - 1), style, indent);
  const sep = style.pretty ? `,${style.eol}${indent}${style.unit}` : ',';
  return { start: arr.start + 1, end: arr.end - 1, text: `${open}${items.join(sep)}${close}` };
}

/**
 * The edit that adds `itemText` (JSON text) as the last element of `arr`, copying the separator
 * before the current last element; removeElementEdit of the result undoes it exactly. An empty
 * array is laid out as insertMemberEdit lays out an empty object. `itemText` may be built with
 * formatValue(value, style, elementIndentOf(...)).
 */
export function appendElementEdit(text: string, arr: ArrayInfo, itemText: string, style: Style): Edit {
  const last = arr.elements[arr.elements.length - 1];
  if (last !== undefined) return { start: last.end, end: last.end, text: `,${wsBefore(text, last.start)}${itemText}` };
  const { open, close } = fillEmpty(text.slice(arr.start + 1, arr.end - 1), style, lineIndent(text, arr.start, style.baseIndent));
  return { start: arr.start + 1, end: arr.end - 1, text: `${open}${itemText}${close}` };
}

/** Indentation of an element appended to `arr` (for formatValue of a multi-line value). */
export function elementIndentOf(text: string, arr: ArrayInfo, style: Style): string {
  return childIndentOf(text, arr.start, arr.elements[arr.elements.length - 1]?.start, style);
}

/** The edit that removes element `k` of `arr` with its separator; the inverse of appendElementEdit. */
export function removeElementEdit(text: string, arr: ArrayInfo, k: number): Edit {
  const e = arr.elements[k];
  if (e === undefined) throw new Error('internal: no such element');
  return removeChildEdit(text, arr, e.start, e.end, arr.elements[k - 1]?.end, arr.elements[k + 1]?.start);
}

/** The edit that removes the first `count` elements of `arr` (all of them: its inner whitespace comes back as before prependElementsEdit). */
export function removeArrayPrefixEdit(text: string, arr: ArrayInfo, count: number): Edit {
  const rest = arr.elements[count];
  const first = arr.elements[0];
  const last = arr.elements[arr.elements.length - 1];
  if (first === undefined || last === undefined || count <= 0) return { start: arr.start, end: arr.start, text: '' };
  if (rest === undefined) return { start: arr.start + 1, end: arr.end - 1, text: emptied(text.slice(arr.start + 1, first.start), text.slice(last.end, arr.end - 1)) };
  return { start: first.start, end: rest.start, text: '' };
}

/** The edit that replaces the value of member `m` by `valueText`. */
export function replaceValueEdit(m: Member, valueText: string): Edit {
  return { start: m.valueStart, end: m.valueEnd, text: valueText };
}
