// Finding stored values in a file, and replacing them, in bounded memory: files are read in
// chunks (a transcript can be gigabytes), never whole. Values are held in memory only; what
// comes out is file, line, key NAME and form.
//
// The scrub rewrites a file atomically (a temp file beside it, renamed over it, mode kept) and
// replaces each occurrence with `[keyring-inject:NAME]` written in the occurrence's own encoding
// (percent-encoded in a URL, base64 inside base64, hex inside hex), so a JSON line stays JSON.
// Appends made while it runs are not lost: it holds the original open, and after the rename
// copies (scrubbed) whatever was appended to the original meanwhile. Claude Code opens its
// transcript for each append (it holds no descriptor on it), so later appends land in the new file.
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { writeFileAtomicStreamSync } from '../core/atomic-write.js';
import { escapeRegExp } from '../core/regexp.js';
import { compileSecrets, coveredSpans, type FormName, type Occurrence } from '../core/secret-forms.js';

export interface Secret {
  name: string;
  value: string;
}

export interface LeakHit {
  /** 1-based. */
  line: number;
  name: string;
  form: FormName;
}

const CHUNK = 4 * 1024 * 1024;
/** A longer line is not rewritten (a JSON check would need it whole in memory). */
export const MAX_SCRUB_LINE = 64 * 1024 * 1024;

/** The secrets prepared once for many searches (files, chunks, lines). */
export interface Matcher {
  /** The longest form, in UTF-8 bytes: how much a chunked search must carry over. */
  readonly longestBytes: number;
  /** Could these bytes hold a form? A byte search: most chunks and lines hold none and are never decoded. */
  mayHold(bytes: Buffer): boolean;
  find(text: string): Occurrence[];
}

export function makeMatcher(secrets: readonly Secret[]): Matcher {
  const compiled = compileSecrets(secrets);
  const forms = [...new Set(compiled.forms.map((f) => f.text))].map((t) => Buffer.from(t));
  // One pass of one regular expression over the bytes seen as latin1 (one character per byte), an
  // alternation of every form's bytes and ESC (an escape sequence may sit inside an occurrence:
  // the full search finds those): about twice as fast here as a Buffer search per form.
  const re = forms.length > 0 ? new RegExp([...forms.map((b) => escapeRegExp(b.toString('latin1'))), '\\x1b'].join('|')) : undefined;
  return {
    longestBytes: forms.reduce((n, b) => Math.max(n, b.length), 0),
    mayHold: (bytes) => re?.test(bytes.toString('latin1')) === true,
    find: (text) => compiled.find(text),
  };
}

function openNoFollow(file: string): number {
  // O_NONBLOCK: a named pipe put where a file was must not hang the open (it is refused after, by fstat).
  return openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
}

/** Every occurrence in `file`, by line (one hit per line, name and form). Reads it in chunks. */
export function scanFile(file: string, m: Matcher): LeakHit[] {
  if (m.longestBytes === 0) return [];
  const fd = openNoFollow(file);
  try {
    if (!fstatSync(fd).isFile()) return [];
    const hits: LeakHit[] = [];
    const seen = new Set<string>();
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry = Buffer.alloc(0);
    let carryLine = 1; // line number at the start of `carry`
    for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) {
      const window = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      if (m.mayHold(window)) {
        // Decoded only here; a character cut at either edge cannot be part of an occurrence
        // that the carry-over does not hold whole.
        const text = window.toString('utf8');
        let line = carryLine;
        let at = 0;
        for (const o of m.find(text)) {
          line += countNewlines(text, at, o.start);
          at = o.start;
          // An occurrence inside the carry-over was found in the previous window already.
          const key = `${line}\0${o.name}\0${o.form}`;
          if (!seen.has(key)) {
            seen.add(key);
            hits.push({ line, name: o.name, form: o.form });
          }
        }
      }
      // Keep what a split occurrence could start in: the last `longestBytes - 1` bytes.
      const keepFrom = Math.max(0, window.length - (m.longestBytes - 1));
      for (let i = window.indexOf(10); i !== -1 && i < keepFrom; i = window.indexOf(10, i + 1)) carryLine++;
      carry = Buffer.from(window.subarray(keepFrom));
    }
    return hits;
  } finally {
    closeSync(fd);
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Replacing

/** The marker, written the way the occurrence it replaces was written. */
export function markerIn(form: FormName, name: string): string {
  const plain = `[keyring-inject:${name}]`;
  switch (form) {
    case 'url':
      return encodeURIComponent(plain);
    case 'hex':
      return Buffer.from(plain).toString('hex');
    case 'base64':
      return Buffer.from(plain).toString('base64').replace(/=+$/, '');
    case 'base64url':
      return Buffer.from(plain).toString('base64url');
    case 'json':
      return JSON.stringify(plain).slice(1, -1);
    default:
      return plain;
  }
}

/** `text` with every occurrence replaced: overlapping ones as one span, named (and encoded) after the longest that starts it. */
export function replaceOccurrences(text: string, occ: readonly Occurrence[]): string {
  if (occ.length === 0) return text;
  let out = '';
  let at = 0;
  for (const span of coveredSpans(occ)) {
    const first = occ.filter((o) => o.start === span.start).sort((a, b) => b.end - a.end)[0] as Occurrence;
    out += text.slice(at, span.start) + markerIn(first.form, first.name);
    at = span.end;
  }
  return out + text.slice(at);
}

/** A JSON value with every string (and key) scrubbed: the fallback for a line a textual replace would break. */
function scrubParsed(value: unknown, m: Matcher): unknown {
  if (typeof value === 'string') return replaceOccurrences(value, m.find(value));
  if (Array.isArray(value)) return value.map((v) => scrubParsed(v, m));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      Object.defineProperty(out, replaceOccurrences(k, m.find(k)), { value: scrubParsed(v, m), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export interface ScrubOptions {
  /** Every line is one JSON value (a .jsonl file): lines that are not are reported, and a scrubbed line must stay JSON. */
  jsonLines: boolean;
  dryRun?: boolean;
}

export interface ScrubResult {
  hits: LeakHit[];
  /** Lines (1-based) of a JSON-lines file that are not JSON: only the values in them were replaced, the rest left as is. */
  notJson: number[];
  /** The file was rewritten. */
  written: boolean;
  /** Lines appended by someone else while the scrub ran, carried over into the new file. */
  appendedDuring: number;
  /** Why the file was left as is, if it was. */
  refused?: string;
}

/**
 * Replace every occurrence in `file` (a regular file; a symbolic link is refused). The new
 * file keeps the old one's mode (and owner, when we may set it).
 */
export function scrubFile(file: string, m: Matcher, opts: ScrubOptions): ScrubResult {
  const res: ScrubResult = { hits: [], notJson: [], written: false, appendedDuring: 0 };
  const fd = openNoFollow(file);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ...res, refused: 'not a regular file' };
    if (st.nlink > 1) return { ...res, refused: 'it has other hard links, which would keep the old content' };
    const lines = new LineReader(fd);
    let lineNo = 0;
    const processLine = (bytes: Buffer, write: (b: Buffer | string) => void): void => {
      lineNo++;
      const mayHold = m.mayHold(bytes);
      if (!mayHold && !opts.jsonLines) {
        write(bytes);
        return;
      }
      const text = bytes.toString('utf8');
      const occ = mayHold ? m.find(text) : [];
      const seen = new Set<string>();
      for (const o of occ) {
        const key = `${o.name}\0${o.form}`;
        if (!seen.has(key)) res.hits.push({ line: lineNo, name: o.name, form: o.form }), seen.add(key);
      }
      const body = text.endsWith('\n') ? text.slice(0, -1) : text;
      const wasJson = opts.jsonLines && body.trim() !== '' ? isJson(body) : undefined;
      if (wasJson === false) res.notJson.push(lineNo);
      if (occ.length === 0) {
        write(bytes); // byte for byte, whatever its encoding
        return;
      }
      let out = replaceOccurrences(text, occ);
      if (wasJson) {
        const newBody = out.endsWith('\n') ? out.slice(0, -1) : out;
        if (!isJson(newBody)) out = JSON.stringify(scrubParsed(JSON.parse(body), m)) + (text.endsWith('\n') ? '\n' : '');
      }
      write(out);
    };
    const dry = (): void => {
      for (let l = lines.next(); l; l = lines.next()) processLine(l, () => undefined);
    };
    if (opts.dryRun) {
      dry();
      return lines.tooLong ? { ...res, refused: `line ${lineNo + 1} is longer than ${MAX_SCRUB_LINE / 1024 / 1024} MiB` } : res;
    }
    // A line too long to check: the file is left as it is (the caller found values in it by scanning).
    dry();
    if (lines.tooLong) return { ...res, refused: `line ${lineNo + 1} is longer than ${MAX_SCRUB_LINE / 1024 / 1024} MiB` };
    if (res.hits.length === 0) return res;
    lines.rewind();
    res.hits = [];
    res.notJson = [];
    lineNo = 0;
    const owner = process.getuid?.() === 0 ? { uid: st.uid, gid: st.gid } : undefined;
    writeFileAtomicStreamSync(
      file,
      (write) => {
        for (let l = lines.next(); l; l = lines.next()) processLine(l, write);
        // Never rename a partial copy over the file.
        if (lines.tooLong) throw new Error('a line grew too long while the file was rewritten');
      },
      { mode: st.mode & 0o7777, ...(owner ? { owner } : {}) },
    );
    res.written = true;
    // Appends to the original after we read it: carry them over (scrubbed) into the new file.
    const before = lineNo;
    for (let round = 0; round < 3; round++) {
      if (round > 0) sleepMs(25);
      if (fstatSync(fd).size <= lines.consumed) continue;
      const out = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
      try {
        for (let l = lines.next(); l; l = lines.next()) processLine(l, (b) => (typeof b === 'string' ? writeSync(out, b) : writeSync(out, b)));
      } finally {
        closeSync(out);
      }
    }
    res.appendedDuring = lineNo - before;
    return res;
  } finally {
    closeSync(fd);
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Lines of an open file, newline included, read in chunks from a running position; picks up bytes appended later. */
class LineReader {
  consumed = 0;
  tooLong = false;
  private pos = 0;
  private buf: Buffer = Buffer.alloc(0);
  /** The start of a line that spans chunks. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  private readonly chunk = Buffer.allocUnsafe(CHUNK);
  constructor(private readonly fd: number) {}

  rewind(): void {
    this.consumed = 0;
    this.pos = 0;
    this.buf = Buffer.alloc(0);
    this.parts = [];
    this.partsLength = 0;
    this.tooLong = false;
  }

  /** The next line (with its newline), or the last bytes without one at the end of the file; undefined at the end. */
  next(): Buffer | undefined {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl !== -1) {
        const piece = this.buf.subarray(0, nl + 1);
        this.buf = this.buf.subarray(nl + 1);
        return this.take(piece);
      }
      if (this.buf.length > 0) {
        this.parts.push(this.buf);
        this.partsLength += this.buf.length;
        this.buf = Buffer.alloc(0);
      }
      if (this.partsLength > MAX_SCRUB_LINE) {
        this.tooLong = true;
        return undefined;
      }
      const n = readSync(this.fd, this.chunk, 0, CHUNK, this.pos);
      if (n === 0) return this.partsLength > 0 ? this.take(Buffer.alloc(0)) : undefined;
      this.pos += n;
      this.buf = Buffer.from(this.chunk.subarray(0, n));
    }
  }

  private take(piece: Buffer): Buffer {
    const line = this.parts.length > 0 ? Buffer.concat([...this.parts, piece]) : piece;
    this.parts = [];
    this.partsLength = 0;
    this.consumed += line.length;
    return line;
  }
}
