// Finds registered values in text and replaces them with `[keyring-inject:NAME]`. Values are
// held only in memory, for the life of one guard process.
//
// A value is looked for in the forms in which tool output commonly carries it:
//   - as is (`env`, a `.env` file, an MCP server that echoes it);
//   - JSON-escaped, once and twice (`cat ~/.claude.json` shows a value with `"` or `\` as `\"`,
//     `\\`; a JSON document inside a JSON string escapes again);
//   - percent-encoded (a key inside a URL or a connection string).
// Other encodings (base64, hex, split over lines, reversed, a prefix of the value) are not found:
// see SECURITY.md, "Guards".

/** Shorter values are not matched: masking every "abc" in every output would garble it, and
 * such a value is no real API key. */
export const MIN_VALUE_LENGTH = 6;

export interface NamedValue {
  name: string;
  value: string;
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
}

/** The forms of `value` that are looked for (distinct, longest first). */
export function valueForms(value: string): string[] {
  const json1 = JSON.stringify(value).slice(1, -1);
  const json2 = JSON.stringify(json1).slice(1, -1);
  let url = value;
  try {
    url = encodeURIComponent(value);
  } catch {
    // a lone surrogate: no percent-encoded form
  }
  return [...new Set([value, json1, json2, url])].sort((a, b) => b.length - a.length);
}

export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

export function makeMasker(values: readonly NamedValue[]): Masker {
  const nameOf = new Map<string, string>();
  for (const { name, value } of values) {
    if (value.length < MIN_VALUE_LENGTH) continue;
    for (const form of valueForms(value)) if (!nameOf.has(form)) nameOf.set(form, name);
  }
  const forms = [...nameOf.keys()].sort((a, b) => b.length - a.length);
  // The alternation tries longer forms first, so at any position the longest match wins.
  const re = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : undefined;
  // A label must not itself reveal a value (a key named after its own value): fall back to a neutral one.
  const label = (name: string): string => {
    const l = `[keyring-inject:${name}]`;
    return forms.some((f) => l.includes(f)) ? '[keyring-inject:masked]' : l;
  };

  const maskText = (text: string): { text: string; names: string[] } => {
    if (!re) return { text, names: [] };
    const names = new Set<string>();
    const out = text.replace(re, (m) => {
      const name = nameOf.get(m) as string;
      names.add(name);
      return label(name);
    });
    return { text: out, names: [...names] };
  };

  return {
    empty: re === undefined,
    find: (text) => (re ? maskText(text).names : []),
    maskText,
    maskDeep: (value) => maskDeep(value, maskText),
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
