// Small, byte-exact edits of JSON text for zero-disk mode: insert or remove one member of an
// object, replace one value, insert or remove a prefix of an array. Every edit touches only the
// bytes it must, copies the layout around it (so a pretty file stays pretty), and each insertion
// has an exact inverse. Offsets come from the validating scanner of src/engine/json-locate.ts.
//
// Nothing here ever puts file content into an error message: the file may hold secrets.
import { JsonScanner, eolOf, indentAfterBreak, lastMember, startsWithBreak, wsBefore, type Member, type ObjectInfo } from '../engine/json-locate.js';

export { JsonScanner, lastMember, wsBefore, type Member, type ObjectInfo };

export interface ArrayInfo {
  /** Offset of `[`. */
  start: number;
  /** Offset just after `]`. */
  end: number;
  elements: { start: number; end: number }[];
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

/** The array at `i` (must be `[`), elements validated and located. */
export function readArray(s: JsonScanner, i: number): ArrayInfo {
  const t = s.text;
  if (t.charCodeAt(i) !== 91) s.fail(i, "expected '['");
  const elements: { start: number; end: number }[] = [];
  let j = s.skipWs(i + 1);
  if (t.charCodeAt(j) === 93) return { start: i, end: j + 1, elements };
  for (;;) {
    const start = s.skipWs(j);
    const end = s.skipValue(start);
    elements.push({ start, end });
    j = s.skipWs(end);
    const c = t.charCodeAt(j);
    if (c === 93) return { start: i, end: j + 1, elements };
    if (c !== 44) s.fail(j, "expected ',' or ']'");
    j++;
  }
}

export function isArrayAt(s: JsonScanner, i: number): boolean {
  return s.text.charCodeAt(i) === 91;
}

/** The decoded string at a value, or undefined if it is not a string. */
export function stringAt(s: JsonScanner, start: number, end: number): string | undefined {
  return s.text.charCodeAt(start) === 34 ? s.decodeString(start, end) : undefined;
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
}

export const DEFAULT_STYLE: Style = { pretty: true, eol: '\n', unit: '  ', colon: ': ' };



/** Leading whitespace of the line containing `pos` (bounded look-back: compact files are one long line). */
export function lineIndent(text: string, pos: number): string {
  let ls = pos;
  while (ls > 0 && text.charCodeAt(ls - 1) !== 10 && text.charCodeAt(ls - 1) !== 13 && pos - ls < 4096) ls--;
  if (ls > 0 && text.charCodeAt(ls - 1) !== 10 && text.charCodeAt(ls - 1) !== 13) return '';
  let le = ls;
  while (le < pos && (text.charCodeAt(le) === 32 || text.charCodeAt(le) === 9)) le++;
  return text.slice(ls, le);
}


/** The layout of `obj`'s members (falls back to `fallback` for an empty object). */
export function styleOf(text: string, obj: ObjectInfo, fallback: Style = DEFAULT_STYLE): Style {
  const first = obj.members[0];
  if (first === undefined) return fallback;
  const ws = wsBefore(text, first.keyStart);
  const memberIndent = indentAfterBreak(ws);
  const base = lineIndent(text, obj.start);
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
  const inner = text.slice(obj.start + 1, obj.end - 1);
  let open = '';
  let close = inner;
  if (style.pretty) {
    const p = style.eol + lineIndent(text, obj.start);
    open = p + style.unit;
    if (inner === '') close = p;
    else if (startsWithBreak(inner) && open.startsWith(inner) && open.length > inner.length) open = ` ${open}`;
  }
  return { start: obj.start + 1, end: obj.end - 1, text: `${open}${keyText}${style.colon}${valueText}${close}` };
}

/** Indentation of a member inserted into `obj` (for formatValue of a multi-line value). */
export function memberIndentOf(text: string, obj: ObjectInfo, style: Style): string {
  const last = obj.members[obj.members.length - 1];
  if (last !== undefined) return indentAfterBreak(wsBefore(text, last.keyStart)) ?? '';
  return style.pretty ? lineIndent(text, obj.start) + style.unit : '';
}

/** The edit that removes member `k` of `obj` with its separator; the inverse of insertMemberEdit. */
export function removeMemberEdit(text: string, obj: ObjectInfo, k: number): Edit {
  const m = obj.members[k];
  if (m === undefined) throw new Error('internal: no such member');
  const prev = obj.members[k - 1];
  const next = obj.members[k + 1];
  if (next !== undefined) return { start: m.keyStart, end: next.keyStart, text: '' };
  if (prev !== undefined) return { start: prev.valueEnd, end: m.valueEnd, text: '' };
  const open = text.slice(obj.start + 1, m.keyStart);
  const close = text.slice(m.valueEnd, obj.end - 1);
  const collapse = startsWithBreak(close) && open.startsWith(close) && open.length > close.length;
  return { start: obj.start + 1, end: obj.end - 1, text: collapse ? '' : close };
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
  if (!style.pretty) return { start: arr.start, end: arr.end, text: `[${items.join(',')}]` };
  const inner = style.eol + indent + style.unit;
  return { start: arr.start, end: arr.end, text: `[${items.map((i) => inner + i).join(',')}${style.eol}${indent}]` };
}

/** The edit that removes the first `count` elements of `arr` (all of them: the array becomes `[]`). */
export function removeArrayPrefixEdit(arr: ArrayInfo, count: number): Edit {
  const rest = arr.elements[count];
  const first = arr.elements[0];
  if (first === undefined || count <= 0) return { start: arr.start, end: arr.start, text: '' };
  if (rest === undefined) return { start: arr.start, end: arr.end, text: '[]' };
  return { start: first.start, end: rest.start, text: '' };
}
