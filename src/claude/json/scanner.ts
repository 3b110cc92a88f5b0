// The one JSON scanner: fast and validating, for strict JSON (RFC 8259, exactly what JSON.parse
// accepts), with a comment-tolerant variant (JsoncScanner) for hand-edited settings.json files.
//
// Claude Code's ~/.claude.json reaches 5–20 MB, mostly `projects[..].history`. Building a full
// tree (jsonc-parser parseTree ~830 ms at 20 MB) or even JSON.parse (~80–170 ms) blows the hook
// budget, and we need byte offsets anyway. This scanner validates every byte once, but only
// materialises the few objects the caller asks about (their members with offsets); everything
// else is skipped without allocating.
//
// Error messages never contain any excerpt of the text: it may hold secrets. They name neither
// the file nor the fix: the caller adds both (KiError with this error as its cause).

import { KiError } from '../../core/errors.js';

/** The text is not strict JSON. `line`/`column` are 1-based; column counts UTF-16 code units. */
export class ConfigParseError extends KiError {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  /** What was wrong there, e.g. `expected ':'` (never file content). */
  readonly reason: string;
  constructor(line: number, column: number, offset: number, reason: string) {
    super('config-invalid', `not valid JSON at line ${line}, column ${column}: ${reason}`);
    this.name = 'ConfigParseError';
    this.line = line;
    this.column = column;
    this.offset = offset;
    this.reason = reason;
  }
}

/** The text is valid JSON, but a part we must walk through has the wrong type. */
export class ConfigShapeError extends KiError {
  /** Where, e.g. `mcpServers` or `projects["/abs/path"].mcpServers`; never file content. */
  readonly path: string;
  constructor(path: string, problem: string) {
    super('config-shape', `${path === '' ? 'top level' : path} ${problem}`);
    this.name = 'ConfigShapeError';
    this.path = path;
  }
}

/** One `"key": value` member of an object; offsets index the scanned text. */
export interface Member {
  /** Decoded key. */
  key: string;
  /** Offset of the key's opening quote. */
  keyStart: number;
  /** Offset just after the key's closing quote. */
  keyEnd: number;
  /** Offset of the value's first character. */
  valueStart: number;
  /** Offset just after the value's last character. */
  valueEnd: number;
}

/** An object with all its members in text order (duplicates kept: callers pick the last). */
export interface ObjectInfo {
  /** Offset of `{`. */
  start: number;
  /** Offset just after `}`. */
  end: number;
  members: Member[];
}

const enum Ch {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Star = 42,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  UpperE = 69,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  LowerE = 101,
  LowerF = 102,
  LowerN = 110,
  LowerT = 116,
  LowerU = 117,
  OpenBrace = 123,
  CloseBrace = 125,
}

// Plain string content: anything but quote, backslash and control characters. A sticky regex
// skips long runs several times faster than a charCodeAt loop (strings are most of the file).
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export function isJsonWhitespace(c: number): boolean {
  return c === Ch.Space || c === Ch.Lf || c === Ch.Cr || c === Ch.Tab;
}

/** The 1-based line and column (in UTF-16 code units) of `offset`; only a `\n` starts a line. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const stop = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < stop; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: stop - lineStart + 1 };
}

/** Builds a ConfigParseError for `offset`, computing line and column only now (error path). */
export function parseErrorAt(text: string, offset: number, reason: string): ConfigParseError {
  const { line, column } = positionOf(text, offset);
  return new ConfigParseError(line, column, offset, reason);
}

const STACK_OBJECT = 1;
const STACK_ARRAY = 2;

export class JsonScanner {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  fail(offset: number, reason?: string): never {
    const why = reason ?? (offset >= this.text.length ? 'unexpected end of text' : 'unexpected character');
    throw parseErrorAt(this.text, offset, why);
  }

  skipWs(i: number): number {
    const t = this.text;
    let c = t.charCodeAt(i);
    if (c > Ch.Space) return i; // the common case: no whitespace at all
    while (c === Ch.Space || c === Ch.Lf || c === Ch.Cr || c === Ch.Tab) c = t.charCodeAt(++i);
    return i;
  }

  /** `i` is at an opening quote; returns the offset after the closing quote. */
  skipString(i: number): number {
    const t = this.text;
    let j = i + 1;
    // Short strings (keys, small values) end before the regex call would pay off.
    for (const stop = j + 16; j < stop; j++) {
      const c = t.charCodeAt(j);
      if (c === Ch.Quote) return j + 1;
      if (c === Ch.Backslash || c < Ch.Space || c !== c) break; // c !== c: NaN, past the end
    }
    for (;;) {
      STRING_RUN.lastIndex = j;
      STRING_RUN.test(t);
      j = STRING_RUN.lastIndex;
      const c = t.charCodeAt(j);
      if (c === Ch.Quote) return j + 1;
      if (c !== Ch.Backslash) this.fail(j, j >= t.length ? 'unterminated string' : 'control character in string');
      const e = t.charCodeAt(j + 1);
      if (e === Ch.LowerU) {
        if (!(isHex(t.charCodeAt(j + 2)) && isHex(t.charCodeAt(j + 3)) && isHex(t.charCodeAt(j + 4)) && isHex(t.charCodeAt(j + 5)))) {
          this.fail(j, 'bad \\u escape');
        }
        j += 6;
      } else if (e === Ch.Quote || e === Ch.Backslash || e === Ch.Slash || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
        j += 2; // \" \\ \/ \b \f \n \r \t
      } else {
        this.fail(j, 'bad escape');
      }
    }
  }

  /** Decodes the string token [start, end) (quotes included). */
  decodeString(start: number, end: number): string {
    const raw = this.text.slice(start + 1, end - 1);
    // Most keys have no escapes; JSON.parse is only needed for the rest.
    return raw.indexOf('\\') === -1 ? raw : (JSON.parse(this.text.slice(start, end)) as string);
  }

  private skipNumber(i: number): number {
    const t = this.text;
    let c = t.charCodeAt(i);
    if (c === Ch.Minus) c = t.charCodeAt(++i);
    if (c === Ch.Zero) {
      c = t.charCodeAt(++i);
    } else if (c > Ch.Zero && c <= Ch.Nine) {
      do c = t.charCodeAt(++i);
      while (c >= Ch.Zero && c <= Ch.Nine);
    } else {
      this.fail(i);
    }
    if (c === Ch.Dot) {
      c = t.charCodeAt(++i);
      if (!(c >= Ch.Zero && c <= Ch.Nine)) this.fail(i);
      do c = t.charCodeAt(++i);
      while (c >= Ch.Zero && c <= Ch.Nine);
    }
    if (c === Ch.LowerE || c === Ch.UpperE) {
      c = t.charCodeAt(++i);
      if (c === Ch.Plus || c === Ch.Minus) c = t.charCodeAt(++i);
      if (!(c >= Ch.Zero && c <= Ch.Nine)) this.fail(i);
      do c = t.charCodeAt(++i);
      while (c >= Ch.Zero && c <= Ch.Nine);
    }
    return i;
  }

  /** Scalar (string, number, literal) at `i`; returns its end, or -1 if `i` starts a container. */
  private skipScalar(i: number): number {
    const t = this.text;
    const c = t.charCodeAt(i);
    if (c === Ch.Quote) return this.skipString(i);
    if (c === Ch.OpenBrace || c === Ch.OpenBracket) return -1;
    if (c === Ch.LowerT) {
      if (t.startsWith('true', i)) return i + 4;
    } else if (c === Ch.LowerF) {
      if (t.startsWith('false', i)) return i + 5;
    } else if (c === Ch.LowerN) {
      if (t.startsWith('null', i)) return i + 4;
    } else if (c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine)) {
      return this.skipNumber(i);
    }
    return this.fail(i);
  }

  /** Key, optional whitespace and colon at `i` (already past whitespace); returns the offset after the colon. */
  private skipKeyColon(i: number): number {
    if (this.text.charCodeAt(i) !== Ch.Quote) this.fail(i, 'expected a property name');
    i = this.skipWs(this.skipString(i));
    if (this.text.charCodeAt(i) !== Ch.Colon) this.fail(i, "expected ':'");
    return i + 1;
  }

  /**
   * Validates the value starting at `i` (leading whitespace allowed) and returns the offset just
   * after it. Iterative with an explicit stack, so any nesting depth is fine.
   */
  skipValue(i: number): number {
    const t = this.text;
    const stack: number[] = [];
    for (;;) {
      // Expect a value.
      i = this.skipWs(i);
      const c = t.charCodeAt(i);
      if (c === Ch.OpenBrace) {
        i = this.skipWs(i + 1);
        if (t.charCodeAt(i) === Ch.CloseBrace) {
          i++;
        } else {
          stack.push(STACK_OBJECT);
          i = this.skipKeyColon(i);
          continue;
        }
      } else if (c === Ch.OpenBracket) {
        i = this.skipWs(i + 1);
        if (t.charCodeAt(i) === Ch.CloseBracket) {
          i++;
        } else {
          stack.push(STACK_ARRAY);
          continue;
        }
      } else {
        i = this.skipScalar(i);
      }
      // After a value: close containers or move to the next element.
      for (;;) {
        const top = stack.length === 0 ? 0 : stack[stack.length - 1];
        if (top === 0) return i;
        i = this.skipWs(i);
        const d = t.charCodeAt(i);
        if (d === Ch.Comma) {
          i = top === STACK_OBJECT ? this.skipKeyColon(this.skipWs(i + 1)) : i + 1;
          break;
        }
        if (d === (top === STACK_OBJECT ? Ch.CloseBrace : Ch.CloseBracket)) {
          stack.pop();
          i++;
          continue;
        }
        this.fail(i, top === STACK_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

  /**
   * Walks the object at `i` (which must be `{`), calling `onMember` for every member with the
   * decoded key and the offset of its value (whitespace skipped). `onMember` must consume the
   * value and return the offset just after it (e.g. `s.skipValue(valueStart)`).
   * Returns the offset just after `}`.
   */
  walkObject(i: number, onMember: (key: string, keyStart: number, keyEnd: number, valueStart: number) => number): number {
    const t = this.text;
    if (t.charCodeAt(i) !== Ch.OpenBrace) this.fail(i, "expected '{'");
    i = this.skipWs(i + 1);
    if (t.charCodeAt(i) === Ch.CloseBrace) return i + 1;
    for (;;) {
      if (t.charCodeAt(i) !== Ch.Quote) this.fail(i, 'expected a property name');
      const keyStart = i;
      const keyEnd = this.skipString(i);
      i = this.skipWs(keyEnd);
      if (t.charCodeAt(i) !== Ch.Colon) this.fail(i, "expected ':'");
      const valueStart = this.skipWs(i + 1);
      i = this.skipWs(onMember(this.decodeString(keyStart, keyEnd), keyStart, keyEnd, valueStart));
      const d = t.charCodeAt(i);
      if (d === Ch.CloseBrace) return i + 1;
      if (d !== Ch.Comma) this.fail(i, "expected ',' or '}'");
      i = this.skipWs(i + 1);
    }
  }

  /** Members of the object at `i` (must be `{`), values validated and skipped. */
  readObject(i: number): ObjectInfo {
    const members: Member[] = [];
    const end = this.walkObject(i, (key, keyStart, keyEnd, valueStart) => {
      const valueEnd = this.skipValue(valueStart);
      members.push({ key, keyStart, keyEnd, valueStart, valueEnd });
      return valueEnd;
    });
    return { start: i, end, members };
  }

  isObjectAt(i: number): boolean {
    return this.text.charCodeAt(i) === Ch.OpenBrace;
  }
}

/**
 * If a comment starts at `i`, the offset just after it (a line comment ends before its line
 * break); -1 if none starts there; past the end of the text (text.length + 1) if a block comment
 * is never closed.
 */
export function commentEnd(text: string, i: number): number {
  if (text.charCodeAt(i) !== Ch.Slash) return -1;
  const c = text.charCodeAt(i + 1);
  if (c === Ch.Slash) {
    let j = i + 2;
    for (let d = text.charCodeAt(j); j < text.length && d !== Ch.Lf && d !== Ch.Cr; d = text.charCodeAt(++j));
    return j;
  }
  if (c !== Ch.Star) return -1;
  const close = text.indexOf('*/', i + 2);
  return close === -1 ? text.length + 1 : close + 2;
}

/** The first offset at or after `i` that is neither JSON whitespace nor inside a comment. */
export function skipTrivia(text: string, i: number): number {
  for (;;) {
    while (isJsonWhitespace(text.charCodeAt(i))) i++;
    const e = commentEnd(text, i);
    if (e === -1) return i;
    i = Math.min(e, text.length);
  }
}

/**
 * The scanner for JSON with comments (`//`, `/* *\/`) and trailing commas, as people hand-edit
 * settings.json: everything else is as strict as JsonScanner. A comment counts as whitespace,
 * and so does a comma whose next token closes the container. Only whitespace skipping differs,
 * so JsonScanner itself stays as fast as before for the hooks (they never create one of these).
 */
export class JsoncScanner extends JsonScanner {
  override skipWs(i: number): number {
    const t = this.text;
    for (;;) {
      i = super.skipWs(i);
      const c = t.charCodeAt(i);
      if (c === Ch.Slash) {
        const e = commentEnd(t, i);
        if (e === -1) return i;
        if (e > t.length) this.fail(i, 'unterminated comment');
        i = e;
      } else if (c === Ch.Comma) {
        const j = skipTrivia(t, i + 1);
        const d = t.charCodeAt(j);
        // A comma before anything else is a separator (an unclosed comment after it fails later).
        return d === Ch.CloseBrace || d === Ch.CloseBracket ? j : i;
      } else {
        return i;
      }
    }
  }
}

/** Last member named `key` (JSON.parse semantics: the last duplicate wins). */
export function lastMember(members: readonly Member[], key: string): Member | undefined {
  for (let k = members.length - 1; k >= 0; k--) {
    const m = members[k];
    if (m !== undefined && m.key === key) return m;
  }
  return undefined;
}

/**
 * Member `k` hides an earlier member with the same key. Deleting it would make that one the value
 * again (JSON.parse: the last duplicate wins), so a member we emptied is then left empty instead.
 */
export function shadowsEarlier(members: readonly Member[], k: number): boolean {
  const key = members[k]?.key;
  for (let i = 0; i < k; i++) if (members[i]?.key === key) return true;
  return false;
}

export interface ArrayInfo {
  /** Offset of `[`. */
  start: number;
  /** Offset just after `]`. */
  end: number;
  elements: { start: number; end: number }[];
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
