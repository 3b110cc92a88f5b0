// The env-file source: read-only, a `.env` file of KEY=VALUE lines. We never write to it.
//
// Format (the common dotenv subset):
//   KEY=value               unquoted: surrounding whitespace trimmed; ' #' starts a comment
//   export KEY=value        a leading `export ` is ignored
//   KEY='literal value'     single quotes: taken as is, may span lines
//   KEY="a\nb \"c\""       double quotes: \n \r \t \" \\ \$ escapes, may span lines
//   # comment, blank lines  ignored
// No variable expansion (${OTHER} stays as written). A repeated KEY: the last one wins. Lines
// that do not parse are skipped; a miss names their line numbers (never their content).
//
// Paths: see source-path.ts (relative to the project root and inside it, or absolute).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { withoutBom } from '../core/bom.js';
import type { SourceRef } from '../registry/source-ref.js';
import { type PathResult, realRefPath, refFilePath } from './source-path.js';
import type { Availability, Outcome, SecretSource, SourceContext, SourceRequest } from './source.js';

export interface ParsedEnvFile {
  values: Map<string, string>;
  /** 1-based numbers of lines that could not be parsed. */
  badLines: number[];
}

const ASSIGN = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*/;
const MAX_BYTES = 1024 * 1024;

export function parseEnvFile(text: string): ParsedEnvFile {
  const src = withoutBom(text).replace(/\r\n?/g, '\n');
  const values = new Map<string, string>();
  const badLines: number[] = [];
  let pos = 0;
  let line = 1;
  while (pos < src.length) {
    const eol = src.indexOf('\n', pos);
    const end = eol === -1 ? src.length : eol;
    const rawLine = src.slice(pos, end);
    const startLine = line;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      pos = end + 1;
      line++;
      continue;
    }
    const m = ASSIGN.exec(rawLine);
    if (!m) {
      badLines.push(startLine);
      pos = end + 1;
      line++;
      continue;
    }
    const key = m[1] as string;
    const valueStart = pos + m[0].length;
    const quote = src[valueStart];
    if (quote === "'" || quote === '"') {
      const parsed = readQuoted(src, valueStart, quote);
      if (parsed === undefined) {
        badLines.push(startLine);
        pos = end + 1;
        line++;
        continue;
      }
      // After the closing quote: only whitespace or a comment, up to the end of that line.
      const restEnd = src.indexOf('\n', parsed.next);
      const rest = src.slice(parsed.next, restEnd === -1 ? src.length : restEnd).trim();
      const spanned = src.slice(pos, parsed.next).split('\n').length - 1;
      if (rest !== '' && !rest.startsWith('#')) {
        badLines.push(startLine);
      } else {
        values.set(key, parsed.value);
      }
      pos = (restEnd === -1 ? src.length : restEnd) + 1;
      line += spanned + 1;
      continue;
    }
    let value = src.slice(valueStart, end);
    const comment = /[ \t]#/.exec(value);
    if (comment) value = value.slice(0, comment.index);
    values.set(key, value.trim());
    pos = end + 1;
    line++;
  }
  return { values, badLines };
}

function readQuoted(src: string, start: number, quote: "'" | '"'): { value: string; next: number } | undefined {
  let out = '';
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i] as string;
    if (c === quote) return { value: out, next: i + 1 };
    if (quote === '"' && c === '\\' && i + 1 < src.length) {
      const n = src[i + 1] as string;
      const esc: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };
      if (esc[n] !== undefined) {
        out += esc[n];
        i++;
        continue;
      }
    }
    out += c;
  }
  return undefined;
}

/** The absolute file a reference points at, or why it may not be read. Lexical check only; see readEnvFile. */
export function envFilePath(ref: SourceRef): { file: string } | { problem: string } {
  return refFilePath(ref, 'path', '.env') as PathResult;
}

/** Read the file (at most 1 MiB, a regular file); for a project reference, its real path must stay inside the real project root. */
export function readEnvFile(ref: SourceRef): { text: string } | { problem: string; missing?: boolean } {
  const where = envFilePath(ref);
  if ('problem' in where) return where;
  const realPath = realRefPath(ref, 'path', 'env file', '.env') as PathResult;
  if ('problem' in realPath) return realPath;
  const real = realPath.file;
  let fd: number | undefined;
  try {
    fd = openSync(real, 'r');
    const st = fstatSync(fd);
    if (!st.isFile()) return { problem: `the env file ${where.file} is not a regular file: fix metadata.path` };
    if (st.size > MAX_BYTES) return { problem: `the env file ${where.file} is larger than 1 MiB: is metadata.path right?` };
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < st.size) {
      const r = readSync(fd, buf, n, st.size - n, n);
      if (r === 0) break;
      n += r;
    }
    return { text: buf.subarray(0, n).toString('utf8') };
  } catch (err) {
    return { problem: `cannot read the env file ${where.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): fix its permissions` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export const envFileSource: SecretSource = {
  kind: 'env-file',
  label: 'env file',

  async available(_ctx: SourceContext, ref?: SourceRef): Promise<Availability> {
    if (!ref) return { ok: true };
    const r = readEnvFile(ref);
    return 'problem' in r ? { ok: false, reason: r.problem } : { ok: true };
  },

  async resolve(requests: readonly SourceRequest[]): Promise<Map<string, Outcome>> {
    const out = new Map<string, Outcome>();
    // Each file is read and parsed once per resolve, however many keys it feeds.
    const files = new Map<string, { parsed: ParsedEnvFile } | { problem: string; missing?: boolean }>();
    for (const req of requests) {
      const where = envFilePath(req.ref);
      const cacheKey = 'file' in where ? `${req.ref.root ?? ''}\u0000${where.file}` : `?${req.name}`;
      let file = files.get(cacheKey);
      if (!file) {
        const read = readEnvFile(req.ref);
        file = 'problem' in read ? read : { parsed: parseEnvFile(read.text) };
        files.set(cacheKey, file);
      }
      if ('problem' in file) {
        out.set(req.name, file.missing ? { kind: 'missing', reason: file.problem } : { kind: 'failed', reason: file.problem });
        continue;
      }
      const parsed = file.parsed;
      const value = parsed.values.get(req.ref.id);
      if (value === undefined) {
        const bad = parsed.badLines.length ? ` (lines ${parsed.badLines.slice(0, 5).join(', ')} could not be parsed)` : '';
        out.set(req.name, { kind: 'missing', reason: `${req.ref.id} is not set in ${'file' in where ? where.file : 'the env file'}${bad}: add it there` });
      } else if (value === '') {
        out.set(req.name, { kind: 'missing', reason: `${req.ref.id} is empty in ${'file' in where ? where.file : 'the env file'}: set it there` });
      } else {
        out.set(req.name, { kind: 'value', value });
      }
    }
    return out;
  },
};
