// The one minimal-edit API for JSON text (~/.claude.json, its copies): insert or remove a member
// of an object, replace a value, insert or remove a prefix of an array. Every edit touches only
// the bytes it must and copies the layout around it (indentation, line endings, the colon, key
// order), so a pretty file stays pretty; each insertion has an exact inverse. Offsets come from
// the validating scanner (scanner.ts).
//
// Nothing here ever puts file content into an error message: the file may hold secrets.
import { isJsonWhitespace, type ArrayInfo, type Member, type ObjectInfo } from './scanner.js';

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
  const ws = wsBefore(text, first.keyStart);
  const memberIndent = indentAfterBreak(ws);
  const base = lineIndent(text, obj.start, lineZero);
  let unit = fallback.unit;
  if (memberIndent !== undefined && memberIndent.length > base.length && memberIndent.startsWith(base)) unit = memberIndent.slice(base.length);
  return { pretty: memberIndent !== undefined, eol: memberIndent !== undefined ? eolOf(ws) : fallback.eol, unit, colon: text.slice(first.keyEnd, first.valueStart) };
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
  const last = obj.members[obj.members.length - 1];
  if (last !== undefined) return indentAfterBreak(wsBefore(text, last.keyStart)) ?? '';
  return style.pretty ? lineIndent(text, obj.start, style.baseIndent) + style.unit : '';
}

/** The edit that removes member `k` of `obj` with its separator; the inverse of insertMemberEdit. */
export function removeMemberEdit(text: string, obj: ObjectInfo, k: number): Edit {
  const m = obj.members[k];
  if (m === undefined) throw new Error('internal: no such member');
  const prev = obj.members[k - 1];
  const next = obj.members[k + 1];
  if (next !== undefined) return { start: m.keyStart, end: next.keyStart, text: '' };
  if (prev !== undefined) return { start: prev.valueEnd, end: m.valueEnd, text: '' };
  return { start: obj.start + 1, end: obj.end - 1, text: emptied(text.slice(obj.start + 1, m.keyStart), text.slice(m.valueEnd, obj.end - 1)) };
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
