// Finds registered values in text and replaces them with `[keyring-inject:NAME]`. Values are
// held only in memory, for the life of one guard process.
//
// What is looked for is core/secret-forms.ts: each value as is, JSON-, URL- and XML-escaped,
// base64 (any byte offset), base64url, hex, a multi-line value line by line, also with terminal
// colour sequences inside. Every value is found independently of the others: where occurrences
// overlap, the whole covered span is replaced, and it is labelled with the name that comes first
// by priority (the user's own keys before a project file's), then length, so that no other value can shadow or name part
// of a key. What is not found: see docs/guards.md, "What is masked".
import { ANSI, ANSI_OR_BREAK, compileSecrets, MIN_VALUE_LENGTH, stripAnsi, type Occurrence } from '../core/secret-forms.js';
import { appearsInForms, valueForms } from '../core/value-in-text.js';
import { escapeRegExp } from '../core/regexp.js';

export { escapeRegExp, MIN_VALUE_LENGTH, valueForms };

export interface NamedValue {
  name: string;
  value: string;
  /** Lower first when overlapping occurrences share one label (0, the default: the user's own keys; 1: a project file's). */
  priority?: number;
}

export interface Masker {
  /** No value long enough to look for. */
  readonly empty: boolean;
  /** Names of the keys whose value (in any form) occurs in `text`. */
  find(text: string): string[];
  /** `text` with every occurrence replaced, and the names found. */
  maskText(text: string): { text: string; names: string[] };
  /** A copy of a JSON-like value with every string (and object key) masked; `changed` false means nothing was found. */
  maskDeep(value: unknown): { value: unknown; names: string[]; changed: boolean };
  /** For a stream: the occurrences in `text`, and the characters of the longest form. */
  occurrences(text: string): Occurrence[];
  /** `text` with the given occurrences (of this masker) replaced; `names` in the order of the spans. */
  apply(text: string, occurrences: readonly Occurrence[]): { text: string; names: string[] };
  readonly longest: number;
  /** Some form holds a line break (a multi-line value as is): a line break does not end an occurrence. */
  readonly multiLine: boolean;
}

export function makeMasker(values: readonly NamedValue[]): Masker {
  const compiled = compileSecrets(values);
  const rank = new Map<string, number>();
  for (const v of values) rank.set(v.name, Math.min(rank.get(v.name) ?? Number.POSITIVE_INFINITY, v.priority ?? 0));
  const better = (a: Occurrence, b: Occurrence): boolean => {
    const ra = rank.get(a.name) ?? 0;
    const rb = rank.get(b.name) ?? 0;
    return ra !== rb ? ra < rb : a.end - a.start > b.end - b.start;
  };
  const texts = compiled.forms.map((f) => f.text);
  // A label must not itself reveal a value (a key named after its own value): fall back to a neutral one.
  const label = (name: string): string => {
    const l = `[keyring-inject:${name}]`;
    return appearsInForms(l, texts) ? '[keyring-inject:masked]' : l;
  };

  const apply = (text: string, occ: readonly Occurrence[]): { text: string; names: string[] } => {
    if (occ.length === 0) return { text, names: [] };
    const sorted = [...occ].sort((a, b) => a.start - b.start || b.end - a.end);
    const names = new Set<string>();
    let out = '';
    let at = 0;
    for (let i = 0; i < sorted.length; ) {
      const first = sorted[i] as Occurrence;
      let end = first.end;
      let best = first;
      names.add(first.name);
      for (i++; i < sorted.length && (sorted[i] as Occurrence).start < end; i++) {
        const o = sorted[i] as Occurrence;
        end = Math.max(end, o.end);
        names.add(o.name);
        if (better(o, best)) best = o;
      }
      out += text.slice(at, first.start) + label(best.name);
      at = end;
    }
    return { text: out + text.slice(at), names: [...names] };
  };

  const maskText = (text: string): { text: string; names: string[] } => apply(text, compiled.find(text));

  return {
    empty: compiled.forms.length === 0,
    find: (text) => [...new Set(compiled.find(text).map((o) => o.name))],
    maskText,
    maskDeep: (value) => maskDeep(value, maskText),
    occurrences: (text) => compiled.find(text),
    apply,
    longest: compiled.longest,
    multiLine: texts.some((t) => /[\r\n]/.test(t)),
  };
}

/**
 * A copy of a JSON-like value with `replace` applied to every string and (unless `keys` is false) object key; `changed`
 * false means nothing was replaced (and `value` is then the input itself). Iterative, so that
 * no nesting depth can overflow the stack; key order is kept.
 */
export function maskDeep(
  value: unknown,
  replace: (text: string) => { text: string; names: string[] },
  opts: { keys: boolean } = { keys: true },
): { value: unknown; names: string[]; changed: boolean } {
  const names = new Set<string>();
  let changed = false;
  const str = (s: string): string => {
    const r = replace(s);
    if (r.names.length === 0) return s;
    changed = true;
    for (const n of r.names) names.add(n);
    return r.text;
  };
  const define = (obj: Record<string, unknown>, key: string, v: unknown) =>
    // defineProperty, not assignment: a "__proto__" key from JSON stays an ordinary property.
    Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  let result: unknown;
  const stack: { src: unknown; set: (v: unknown) => void }[] = [{ src: value, set: (v) => (result = v) }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const { src, set } = frame;
    if (typeof src === 'string') set(str(src));
    else if (src === null || typeof src !== 'object') set(src);
    else if (Array.isArray(src)) {
      const out: unknown[] = new Array<unknown>(src.length);
      set(out);
      src.forEach((x: unknown, i) => stack.push({ src: x, set: (v) => (out[i] = v) }));
    } else {
      const out: Record<string, unknown> = {};
      set(out);
      for (const [k, x] of Object.entries(src as Record<string, unknown>)) {
        const key = opts.keys ? str(k) : k;
        define(out, key, undefined); // keep the order of keys
        stack.push({ src: x, set: (v) => define(out, key, v) });
      }
    }
  }
  return changed ? { value: result, names: [...names], changed } : { value, names: [], changed };
}

export interface StreamMasker {
  /** The part of what was pushed so far that can be let through, masked. */
  push(chunk: string): string;
  /** The rest, masked: the stream ended. */
  end(): string;
}

/** The start of an escape sequence at the end of `text` that is not complete yet, or -1. */
function openEscapeAt(text: string): number {
  const e = text.lastIndexOf('\x1b');
  if (e < 0 || text.length - e > 256) return -1;
  const re = new RegExp(ANSI.source, 'y');
  re.lastIndex = e;
  const m = re.exec(text);
  return m && e + m[0].length <= text.length ? -1 : e;
}

/** The hold-back rounds the longest form up to a multiple of this, so that its length does not show. */
const HOLD_BUCKET = 64;

/**
 * Masking of a text that arrives in chunks (a command's stdout). What is let through never holds
 * an occurrence, nor the start of one that may still be completed by a later chunk.
 *
 * When a chunk goes out must not tell whether it starts a stored value: a model can time its own
 * command's output (`printf ghp_X; sleep 1; echo` into a timed `read`) and would find a key
 * character by character if only a tail that could begin a form were held back. So what is held
 * back depends on the output alone and on the longest form rounded up to HOLD_BUCKET: the last
 * that many characters minus one (escape sequences not counted, nor line breaks inside wrapped
 * base64 or hex), whatever they are, and an unfinished escape sequence. When no form holds a line
 * break, everything up to the last line break goes out at once, as it can be no part of a form
 * still to come: finished lines do not lag. A whole occurrence across the cut moves the cut to its
 * start; that tells only what masking shows anyway (a whole value was there).
 */
export function makeStreamMasker(masker: Masker, extra?: (text: string) => string): StreamMasker {
  const span = Math.ceil(masker.longest / HOLD_BUCKET) * HOLD_BUCKET;
  let buf = '';
  // The end of what was let through (memory only): the lines before a wrapped encoded value tell
  // the matcher that it is wrapped output.
  let seen = '';
  const occurrencesIn = (text: string) => {
    const all = masker.occurrences(seen + text);
    return all.filter((o) => o.end > seen.length).map((o) => ({ ...o, start: Math.max(0, o.start - seen.length), end: o.end - seen.length }));
  };
  const out = (text: string, occ: readonly Occurrence[]): string => {
    const masked = masker.apply(text, occ).text;
    return extra ? extra(masked) : masked;
  };
  return {
    push(chunk) {
      buf += chunk;
      if (masker.empty) {
        const all = buf;
        buf = '';
        return extra ? extra(all) : all;
      }
      const open = openEscapeAt(buf);
      const settled = open < 0 ? buf : buf.slice(0, open);
      // The held tail is counted with escapes left out; only the end of the buffer matters.
      const from = Math.max(0, settled.length - 4 * span - 64);
      // Line breaks are left out (an encoded form goes on across them) only after a line that
      // looks like wrapped base64 or hex; elsewhere a line break ends every form but a multi-line one.
      const window = settled.slice(from);
      const wrapped = /[A-Za-z0-9+/=_-]{60}(?:\r?\n|$)/.test(seen.slice(-80) + window);
      const { plain, at } = stripAnsi(window, wrapped ? ANSI_OR_BREAK : ANSI);
      let hold = Math.max(0, plain.length - (span - 1));
      if (!masker.multiLine) hold = Math.max(hold, plain.lastIndexOf('\n') + 1, plain.lastIndexOf('\r') + 1);
      let cut = from + (at[hold] as number);
      const occ = occurrencesIn(buf);
      for (let moved = true; moved; ) {
        moved = false;
        for (const o of occ) {
          if (o.start < cut && o.end > cut) {
            cut = o.start;
            moved = true;
          }
        }
      }
      const head = buf.slice(0, cut);
      buf = buf.slice(cut);
      seen = (seen + head).slice(-256);
      return out(
        head,
        occ.filter((o) => o.end <= cut),
      );
    },
    end() {
      const rest = buf;
      buf = '';
      return out(rest, occurrencesIn(rest));
    },
  };
}
