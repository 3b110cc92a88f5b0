// The shared matcher of stored values and their encoded forms (src/core/secret-forms.ts). Every
// value here is made at test time from random bytes: nothing in this file is a credential.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileSecrets, coveredSpans, findOccurrences, formsOf, MIN_VALUE_LENGTH } from '../../src/core/secret-forms.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function rand(n: number, alphabet = ALNUM): string {
  return Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
}

describe('formsOf', () => {
  it('gives nothing for a value shorter than the minimum', () => {
    expect(formsOf('a'.repeat(MIN_VALUE_LENGTH - 1))).toEqual([]);
  });

  it('gives the plain, JSON (once and twice), URL and XML escapes of a value with special characters, each once', () => {
    const v = `k"e\\y&<${rand(8)}>'/ +`;
    const forms = formsOf(v);
    const texts = forms.map((f) => f.text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(forms[0]).toEqual({ form: 'plain', text: v });
    const json1 = JSON.stringify(v).slice(1, -1);
    expect(forms).toContainEqual({ form: 'json', text: json1 });
    expect(forms).toContainEqual({ form: 'json', text: JSON.stringify(json1).slice(1, -1) });
    expect(forms).toContainEqual({ form: 'url', text: encodeURIComponent(v) });
    expect(forms.find((f) => f.form === 'xml')?.text).toContain('&amp;&lt;');
    expect(forms.find((f) => f.form === 'xml')?.text).toContain('&quot;');
  });

  it('gives hex in both cases and base64/base64url forms that occur in the encoding of the value at ANY byte offset of a longer stream', () => {
    for (let trial = 0; trial < 30; trial++) {
      const v = `${rand(20 + trial)}\u00e9\u20ac?>~`; // multi-byte and base64 "+/" producing characters
      const forms = formsOf(v);
      for (const pre of [0, 1, 2, 3, 4, 5]) {
        for (const post of [0, 1, 2, 3]) {
          const stream = Buffer.concat([randomBytes(pre), Buffer.from(v), randomBytes(post)]);
          const b64 = stream.toString('base64');
          const b64url = stream.toString('base64url');
          expect(
            forms.some((f) => f.form === 'base64' && b64.includes(f.text)),
            `base64 pre=${pre} post=${post}`,
          ).toBe(true);
          expect(
            forms.some((f) => (f.form === 'base64url' || f.form === 'base64') && b64url.includes(f.text)),
            `base64url pre=${pre} post=${post}`,
          ).toBe(true);
        }
      }
      const hex = Buffer.from(v).toString('hex');
      expect(forms).toContainEqual({ form: 'hex', text: hex });
      expect(forms).toContainEqual({ form: 'hex', text: hex.toUpperCase() });
    }
  });

  it('gives each line of a multi-line value (a PEM key) as a form of its own', () => {
    const lines = [rand(40), rand(40), rand(12)];
    const v = `-----BEGIN KEY-----\n${lines.join('\r\n')}\n-----END KEY-----`;
    const forms = formsOf(v).filter((f) => f.form === 'line');
    for (const l of lines) expect(forms).toContainEqual({ form: 'line', text: l });
  });
});

describe('findOccurrences', () => {
  it('finds every secret independently: a value that overlaps the start of another does not hide it', () => {
    const key = `q9${rand(30)}`;
    const decoys = [...ALNUM].map((c) => ({ name: `P_${c}`, value: `GH_TOKEN=${c}` }));
    const secrets = [...decoys, { name: 'gh', value: key }];
    const text = `before GH_TOKEN=${key} after`;
    const occ = findOccurrences(text, secrets);
    const mine = occ.find((o) => o.name === 'gh');
    expect(mine).toEqual({ name: 'gh', form: 'plain', start: text.indexOf(key), end: text.indexOf(key) + key.length });
    expect(occ.some((o) => o.name === 'P_q')).toBe(true);
    // Masking over the merged spans leaves nothing of the key.
    const spans = coveredSpans(occ);
    expect(spans).toHaveLength(1);
    expect(text.slice(0, spans[0]?.start) + text.slice(spans[0]?.end)).toBe('before  after');
  });

  it('finds two secrets at the same start, and repeated occurrences', () => {
    const a = rand(20);
    const b = `${a}${rand(5)}`;
    const occ = findOccurrences(`${b} x ${a}`, [
      { name: 'A', value: a },
      { name: 'B', value: b },
    ]);
    expect(occ.filter((o) => o.start === 0).map((o) => o.name)).toEqual(['B', 'A']);
    expect(occ.filter((o) => o.name === 'A')).toHaveLength(2);
  });

  it('finds a value with terminal colour sequences inside (grep --color=always), span covering them', () => {
    const v = rand(24);
    const text = `KEY=${v.slice(0, 5)}\x1b[01;31m\x1b[K${v.slice(5, 15)}\x1b[m\x1b[K${v.slice(15)} done`;
    const occ = findOccurrences(text, [{ name: 'K', value: v }]);
    expect(occ).toHaveLength(1);
    const o = occ[0] as { start: number; end: number };
    expect(text.slice(0, o.start)).toBe('KEY=');
    expect(text.slice(o.end)).toBe(' done');
  });

  it('finds the base64 of a value printed by `printf %s "$KEY" | base64` and of a .env file', () => {
    const v = rand(40);
    const secrets = [{ name: 'K', value: v }];
    expect(findOccurrences(Buffer.from(v).toString('base64'), secrets).map((o) => o.form)).toContain('base64');
    const env = Buffer.from(`# config\nOTHER=1\nAPI_KEY=${v}\n`).toString('base64');
    expect(findOccurrences(env, secrets).map((o) => o.form)).toContain('base64');
    expect(findOccurrences(Buffer.from(v).toString('hex'), secrets).map((o) => o.form)).toContain('hex');
  });

  it('reports the longest form for stream hold-back and nothing for no secrets', () => {
    const c = compileSecrets([{ name: 'K', value: rand(10) }]);
    expect(c.longest).toBe(Math.max(...c.forms.map((f) => f.text.length)));
    expect(compileSecrets([]).find('anything')).toEqual([]);
  });
});

describe('findOccurrences in wrapped encoded output', () => {
  it('finds the base64 of a value that `base64` wrapped over two lines, span covering the break', () => {
    const v = rand(40);
    for (let pad = 0; pad < 60; pad += 7) {
      const b64 = Buffer.from(`${'x'.repeat(pad)}${v}\n`).toString('base64');
      const wrapped = b64.replace(/(.{76})/g, '$1\n');
      const occ = findOccurrences(wrapped, [{ name: 'K', value: v }]);
      expect(
        occ.some((o) => o.form === 'base64'),
        `pad ${pad}`,
      ).toBe(true);
    }
  });
});
