// The strings that betray a stored value in some text, and where they occur. Pure: no I/O.
// Shared by the guards' masking and by anything that scans files for values.
//
// The set follows the GitHub Actions runner's secret masker: the value as is; JSON-escaped
// (once, and twice for a JSON document inside a JSON string); percent-encoded (a URL or a
// connection string); XML/HTML-escaped; base64 at each of the three byte offsets the value can
// start at in an encoded stream (only the characters that depend on the value's bytes alone: the
// "stable interior"); and, beyond the runner, base64url and hex (lower and upper case). A
// multi-line value is also looked for line by line. Terminal colour sequences inside an
// occurrence (`grep --color=always`) are skipped over when matching, and so are line breaks inside
// an encoded form (`base64` wraps at 76 characters).
//
// Not found (by design, see docs/guards.md): other encodings (base32, gzip, reversed, split
// other than by line), a value's prefix or fragment, and derived values (a hash, a signature).

export type FormName = 'plain' | 'json' | 'url' | 'xml' | 'hex' | 'base64' | 'base64url' | 'line';

export interface SecretForm {
  form: FormName;
  text: string;
}

export interface Occurrence {
  name: string;
  form: FormName;
  /** Offsets into the searched text; `end` is exclusive. Colour sequences inside are included. */
  start: number;
  end: number;
}

/** Shorter values are not looked for: masking every "abc" would garble output, and no real key is that short. */
export const MIN_VALUE_LENGTH = 6;
/** An encoded form shorter than this is not looked for: a 4-character base64 fragment turns up anywhere. */
export const MIN_ENCODED_LENGTH = 8;

const B64_URL: Record<string, string> = { '+': '-', '/': '_' };

function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

function urlEncoded(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s; // a lone surrogate: no percent-encoded form
  }
}

function xmlEscaped(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c] as string};`);
}

/**
 * The base64 characters that depend only on `bytes` when they start at byte offset `shift`
 * (mod 3) of an encoded stream: drop the bytes that share a group with what precedes them, then
 * keep whole groups and the leading characters of a last partial group that use its bytes alone.
 */
function base64Interior(bytes: Buffer, shift: number): string {
  const skip = (3 - shift) % 3;
  if (bytes.length <= skip) return '';
  const rest = bytes.subarray(skip);
  const whole = rest.length - (rest.length % 3);
  let out = rest.subarray(0, whole).toString('base64');
  const tail = rest.length % 3;
  // 1 byte left: its first 6 bits make one whole character; 2 bytes: 12 bits make two.
  if (tail > 0) out += rest.subarray(whole).toString('base64').slice(0, tail);
  return out;
}

/** The forms of `value` worth searching for (distinct texts; the first form named wins a tie). */
export function formsOf(value: string): SecretForm[] {
  if (value.length < MIN_VALUE_LENGTH) return [];
  const out: SecretForm[] = [];
  const seen = new Set<string>();
  const add = (form: FormName, text: string, min = MIN_VALUE_LENGTH): void => {
    if (text.length < min || seen.has(text)) return;
    seen.add(text);
    out.push({ form, text });
  };
  add('plain', value);
  const json1 = jsonEscaped(value);
  add('json', json1);
  add('json', jsonEscaped(json1));
  add('url', urlEncoded(value));
  add('xml', xmlEscaped(value));
  const bytes = Buffer.from(value, 'utf8');
  const hex = bytes.toString('hex');
  add('hex', hex, MIN_ENCODED_LENGTH);
  add('hex', hex.toUpperCase(), MIN_ENCODED_LENGTH);
  for (const shift of [0, 1, 2]) {
    const b64 = base64Interior(bytes, shift);
    add('base64', b64, MIN_ENCODED_LENGTH);
    add(
      'base64url',
      b64.replace(/[+/]/g, (c) => B64_URL[c] as string),
      MIN_ENCODED_LENGTH,
    );
  }
  if (/[\r\n]/.test(value)) for (const line of value.split(/\r?\n|\r/)) add('line', line.trim());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Searching

/** CSI (colours, cursor), OSC (titles, hyperlinks) and two-character escape sequences. */
export const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/** `text` without escape sequences, and for each kept character its offset in `text` (plus one past the end). */
export function stripAnsi(text: string, re: RegExp = ANSI): { plain: string; at: Uint32Array } {
  const at = new Uint32Array(text.length + 1);
  let plain = '';
  let n = 0;
  let last = 0;
  const keep = (from: number, to: number): void => {
    plain += text.slice(from, to);
    for (let i = from; i < to; i++) at[n++] = i;
  };
  for (const m of text.matchAll(re)) {
    keep(last, m.index);
    last = m.index + m[0].length;
  }
  keep(last, text.length);
  at[n] = text.length;
  return { plain, at: at.subarray(0, n + 1) };
}

/** Escape sequences and line breaks: `base64` and `openssl base64` wrap their output at 76 or 64 characters. */
export const ANSI_OR_BREAK = new RegExp(`${ANSI.source}|\\r?\\n`, 'g');
/**
 * A line of 60 or more base64/hex characters that goes on after its line break (`base64` wraps
 * at 76, `openssl base64` at 64). Anchored at line starts: an unanchored pattern would retry every
 * run of letters at each of its positions, which costs more than all the searching on a big output.
 */
const WRAPPED_LINE = /^[A-Za-z0-9+/=_-]{60,}\r?\n[A-Za-z0-9+/=_-]/m;
const ENCODED: ReadonlySet<FormName> = new Set(['base64', 'base64url', 'hex']);

export interface CompiledSecrets {
  /** Every form of every secret: what `find` looks for. */
  readonly forms: ReadonlyArray<SecretForm & { name: string }>;
  /** The longest form's length: a stream must keep this many characters minus one to find a split occurrence. */
  readonly longest: number;
  /** Every occurrence in `text`, each secret independently (overlaps included), ordered by start then length (longest first). */
  find(text: string): Occurrence[];
}

/** Prepare the forms of several secrets once, to search many texts. */
export function compileSecrets(secrets: ReadonlyArray<{ name: string; value: string }>): CompiledSecrets {
  const forms: (SecretForm & { name: string })[] = [];
  for (const { name, value } of secrets) for (const f of formsOf(value)) forms.push({ name, ...f });
  const longest = forms.reduce((m, f) => Math.max(m, f.text.length), 0);
  const encoded = forms.filter((f) => ENCODED.has(f.form));
  const scan = (text: string, out: Occurrence[], map?: Uint32Array, only: typeof forms = forms): void => {
    for (const f of only) {
      for (let i = text.indexOf(f.text); i >= 0; i = text.indexOf(f.text, i + 1)) {
        const end = i + f.text.length;
        out.push(map ? { name: f.name, form: f.form, start: map[i] as number, end: (map[end - 1] as number) + 1 } : { name: f.name, form: f.form, start: i, end });
      }
    }
  };
  /** The fast path of the wrapped view (no escapes): native replace, and offsets mapped back only for what is found. */
  const scanWithoutBreaks = (text: string, out: Occurrence[]): void => {
    const at: number[] = []; // plain offset of each removed break
    const cum: number[] = []; // characters removed up to and including it
    let removed = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      const len = i > 0 && text[i - 1] === '\r' ? 2 : 1;
      at.push(i + 1 - len - removed);
      removed += len;
      cum.push(removed);
    }
    const plain = text.replace(/\r?\n/g, '');
    const orig = (p: number): number => {
      let lo = 0;
      let hi = at.length; // first break whose plain offset is past p
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((at[mid] as number) <= p) lo = mid + 1;
        else hi = mid;
      }
      return p + (lo > 0 ? (cum[lo - 1] as number) : 0);
    };
    for (const f of encoded) {
      for (let i = plain.indexOf(f.text); i >= 0; i = plain.indexOf(f.text, i + 1)) {
        out.push({ name: f.name, form: f.form, start: orig(i), end: orig(i + f.text.length - 1) + 1 });
      }
    }
  };
  return {
    forms,
    longest,
    find(text) {
      const out: Occurrence[] = [];
      if (forms.length === 0) return out;
      scan(text, out);
      if (text.includes('\x1b')) {
        const { plain, at } = stripAnsi(text);
        const found: Occurrence[] = [];
        scan(plain, found, at);
        // Occurrences without an escape inside were found already.
        for (const o of found) if (!out.some((p) => p.name === o.name && p.start === o.start && p.end === o.end)) out.push(o);
      }
      if (encoded.length > 0 && WRAPPED_LINE.test(text)) {
        // Encoded output wrapped over lines: look for the encoded forms with the line breaks left out.
        const found: Occurrence[] = [];
        if (text.includes('\x1b')) {
          const { plain, at } = stripAnsi(text, ANSI_OR_BREAK);
          scan(plain, found, at, encoded);
        } else scanWithoutBreaks(text, found);
        for (const o of found) if (!out.some((p) => p.name === o.name && p.start <= o.start && p.end >= o.end)) out.push(o);
      }
      return out.sort((a, b) => a.start - b.start || b.end - a.end);
    },
  };
}

/** Every occurrence of every secret's forms in `text`, each secret independently: overlaps included. */
export function findOccurrences(text: string, secrets: ReadonlyArray<{ name: string; value: string }>): Occurrence[] {
  return compileSecrets(secrets).find(text);
}

/** The spans covered by `occurrences`, merged where they overlap or touch, in order. */
export function coveredSpans(occurrences: readonly Occurrence[]): { start: number; end: number; names: string[] }[] {
  const sorted = [...occurrences].sort((a, b) => a.start - b.start || b.end - a.end);
  const spans: { start: number; end: number; names: string[] }[] = [];
  for (const o of sorted) {
    const last = spans[spans.length - 1];
    if (last && o.start <= last.end) {
      last.end = Math.max(last.end, o.end);
      if (!last.names.includes(o.name)) last.names.push(o.name);
    } else spans.push({ start: o.start, end: o.end, names: [o.name] });
  }
  return spans;
}
