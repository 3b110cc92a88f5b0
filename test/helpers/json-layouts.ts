// Random JSON layouts for the differential and round-trip tests of the JSON core
// (src/claude/json) and its users: a seeded PRNG and a printer that puts random whitespace
// (spaces, tabs, LF, CRLF) between every token.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPACES = ['', '', ' ', '  ', '\n', '\r\n', '\t', '\n    ', '\r\n\t\t', ' \n ', '\n\n'];

/**
 * A shadowed duplicate to put before member `key` (JSON.parse lets the last duplicate win, so
 * the data stays the same), or undefined for none.
 */
export type Shadow = (key: string) => Json | undefined;

/**
 * `x` printed with random whitespace between every token (JSON.parse gives `x` back). With
 * `shadow`, members may get an earlier duplicate of the same key, which JSON.parse ignores.
 */
export function messy(x: Json, rand: () => number, shadow?: Shadow): string {
  const ws = (): string => SPACES[Math.floor(rand() * SPACES.length)] ?? '';
  const member = (k: string, e: Json): string => `${JSON.stringify(k)}${ws()}:${ws()}${print(e)}`;
  const print = (v: Json): string => {
    if (Array.isArray(v)) return v.length === 0 ? `[${ws()}]` : `[${ws()}${v.map(print).join(`${ws()},${ws()}`)}${ws()}]`;
    if (isObj(v)) {
      const entries = Object.entries(v).flatMap(([k, e]): Array<[string, Json]> => {
        const earlier = shadow?.(k);
        return earlier === undefined
          ? [[k, e]]
          : [
              [k, earlier],
              [k, e],
            ];
      });
      if (entries.length === 0) return `{${ws()}}`;
      return `{${ws()}${entries.map(([k, e]) => member(k, e)).join(`${ws()},${ws()}`)}${ws()}}`;
    }
    return JSON.stringify(v);
  };
  return `${ws()}${print(x)}${ws()}`;
}

/** `text` with a leading byte-order mark (as an editor on Windows may write one) in about a third of the draws. */
export function maybeBom(text: string, rand: () => number): string {
  return rand() < 0.35 ? `\uFEFF${text}` : text;
}

/** One of the layouts people and programs write: JSON.stringify with 0/1/2/4 spaces or tabs, LF or CRLF, or messy. */
export function anyLayout(x: Json, rand: () => number): string {
  const r = rand();
  if (r < 0.4) return messy(x, rand);
  const indent = [undefined, ' ', 2, 4, '\t'][Math.floor(rand() * 5)];
  const text = JSON.stringify(x, null, indent);
  return rand() < 0.3 ? text.replace(/\n/g, '\r\n') : text;
}
