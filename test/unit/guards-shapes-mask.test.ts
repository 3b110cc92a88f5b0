// Key shapes (src/guards/key-shapes.ts) and value masking (src/guards/mask.ts). Every key-shaped
// string here is made at test time from random characters: nothing in this file is a credential.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findKeyShapes, KEY_SHAPES, maskKeyShapes } from '../../src/guards/key-shapes.js';
import { makeMasker, makeStreamMasker, type Masker, MIN_VALUE_LENGTH, valueForms } from '../../src/guards/mask.js';
import { testSecret } from '../helpers/secret.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function rand(n: number, alphabet = ALNUM): string {
  const bytes = randomBytes(n);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** One example per shape id, built at run time. */
function examples(): Record<string, string> {
  return {
    'stripe-live': `sk_${'live'}_${rand(24)}`,
    'github-token': `gh${'p'}_${rand(36)}`,
    'github-fine-grained-pat': `github_${'pat'}_${rand(22, `${ALNUM}_`)}_${rand(59, `${ALNUM}_`)}`,
    'aws-access-key-id': `AK${'IA'}${rand(16, UPPER_DIGITS)}`,
    'slack-token': `xox${'b'}-${rand(11, '0123456789')}-${rand(12, '0123456789')}-${rand(24)}`,
    'anthropic-api-key': `sk-${'ant'}-api03-${rand(90, `${ALNUM}_-`)}`,
    'openai-api-key': `sk-${'proj'}-${rand(48, `${ALNUM}_-`)}`,
    'google-api-key': `AI${'za'}${rand(35, `${ALNUM}_-`)}`,
    'gitlab-pat': `gl${'pat'}-${rand(20)}`,
    'npm-token': `np${'m'}_${rand(36)}`,
    'pem-private-key': `-----BEGIN RSA ${'PRIVATE'} KEY-----\n${rand(64, `${ALNUM}+/`)}\n${rand(64, `${ALNUM}+/`)}\n-----END RSA PRIVATE KEY-----`,
  };
}

/** `text` through a stream masker: its first `cut1` characters in one chunk, then chunks of `size`. */
function streamed(m: Masker, text: string, cut1: number, size: number): string {
  const s = makeStreamMasker(m);
  let out = s.push(text.slice(0, cut1));
  for (let i = cut1; i < text.length; i += size) out += s.push(text.slice(i, i + size));
  return out + s.end();
}
describe('key shapes', () => {
  it('has one documented entry per id, and an example of each is found in a sentence', () => {
    const ex = examples();
    expect(KEY_SHAPES.map((s) => s.id).sort()).toEqual(Object.keys(ex).sort());
    for (const shape of KEY_SHAPES) {
      expect(shape.why.length).toBeGreaterThan(20);
      expect(shape.kind).toMatch(/^an? /);
      const found = findKeyShapes(`please use ${ex[shape.id]} for the server`);
      expect(
        found.map((s) => s.id),
        shape.id,
      ).toEqual([shape.id]);
    }
  });

  it('accepts the other prefixes of a family', () => {
    for (const p of ['gho', 'ghu', 'ghs', 'ghr']) expect(findKeyShapes(`${p}_${rand(36)}`).map((s) => s.id)).toEqual(['github-token']);
    for (const p of ['rk_live_', 'sk-live_']) expect(findKeyShapes(`${p}${rand(20)}`).map((s) => s.id)).toEqual(['stripe-live']);
    expect(findKeyShapes(`AS${'IA'}${rand(16, UPPER_DIGITS)}`).map((s) => s.id)).toEqual(['aws-access-key-id']);
    for (const p of ['xoxp', 'xoxa']) expect(findKeyShapes(`${p}-2-${rand(30)}`).map((s) => s.id)).toEqual(['slack-token']);
    for (const kind of ['EC ', 'OPENSSH ', 'ENCRYPTED ', '']) {
      expect(findKeyShapes(`-----BEGIN ${kind}PRIVATE KEY-----\n${rand(70, `${ALNUM}+/`)}\n`).map((s) => s.id)).toEqual(['pem-private-key']);
    }
    const pgp = `-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x 1.0\n\n${rand(64, `${ALNUM}+/`)}\n`;
    expect(findKeyShapes(pgp).map((s) => s.id)).toEqual(['pem-private-key']);
  });

  it('does not fire on near misses and ordinary text', () => {
    const misses = [
      'sk_test_' + rand(24), // Stripe test mode
      'ghp_' + rand(20), // too short
      'xghp_' + rand(36), // not at a word start
      'ghp_' + rand(40), // too long for a classic token
      'AKIA' + rand(12, UPPER_DIGITS), // too short
      'AKIA' + rand(16, UPPER_DIGITS) + 'X', // too long
      'sk-ant-short',
      'what does -----BEGIN RSA PRIVATE KEY----- mean?',
      'sha256 ' + rand(64, '0123456789abcdef'),
      'uuid 123e4567-e89b-12d3-a456-426614174000',
      'base64 ' + rand(80, `${ALNUM}+/`),
      'set GITHUB_TOKEN=$GITHUB_TOKEN and AWS_SECRET_ACCESS_KEY in .env',
      'sk-' + rand(48), // legacy OpenAI shape: too generic to block
      'xoxb-not-a-token',
    ];
    for (const m of misses) expect(findKeyShapes(m), m.slice(0, 12)).toEqual([]);
  });

  it('maskKeyShapes replaces every occurrence, and the whole PEM block', () => {
    const ex = examples();
    const text = `a ${ex['github-token']} b ${ex['github-token']} c\n${ex['pem-private-key']}\nafter`;
    const r = maskKeyShapes(text);
    expect(r.names.sort()).toEqual(['github-token', 'pem-private-key']);
    expect(r.text).toBe('a [keyring-inject:github-token] b [keyring-inject:github-token] c\n[keyring-inject:pem-private-key]\nafter');
  });
});

describe('masker', () => {
  it('replaces every occurrence of every value, longest first, with the key name', () => {
    const a = testSecret('a');
    const b = `${a}-longer`;
    const m = makeMasker([
      { name: 'short', value: a },
      { name: 'long', value: b },
    ]);
    const r = m.maskText(`x ${b} y ${a} z ${a}`);
    expect(r.text).toBe('x [keyring-inject:long] y [keyring-inject:short] z [keyring-inject:short]');
    expect(r.names.sort()).toEqual(['long', 'short']);
    expect(m.find(`.. ${a} ..`)).toEqual(['short']);
    expect(m.find('nothing here')).toEqual([]);
  });

  it('finds JSON-escaped (once and twice) and percent-encoded forms', () => {
    const v = `${testSecret('q')}"with\\quote/and space`;
    const json1 = JSON.stringify(v).slice(1, -1);
    const json2 = JSON.stringify(json1).slice(1, -1);
    expect(valueForms(v)).toEqual(expect.arrayContaining([v, json1, json2, encodeURIComponent(v)]));
    const m = makeMasker([{ name: 'k', value: v }]);
    const config = JSON.stringify({ mcpServers: { s: { env: { TOKEN: v } } } }, null, 2);
    expect(config).not.toContain(v); // the raw value is not in JSON text...
    const masked = m.maskText(config).text;
    expect(masked).toContain('"TOKEN": "[keyring-inject:k]"'); // ...its escaped form is, and is masked
    const nested = JSON.stringify({ text: config }); // a JSON document inside a JSON string
    expect(nested).toContain(json2);
    const n = m.maskText(nested);
    expect(n.names).toEqual(['k']);
    for (const form of [v, json1, json2]) expect(n.text).not.toContain(form);
    expect(m.maskText(`https://h/?t=${encodeURIComponent(v)}`).text).toBe('https://h/?t=[keyring-inject:k]');
    // Regex metacharacters in a value are literal.
    const meta = makeMasker([{ name: 'm', value: 'a.b*c(d)[e]{f}|g^h$i+j?k' }]);
    expect(meta.maskText('xx a.b*c(d)[e]{f}|g^h$i+j?k yy aXb').text).toBe('xx [keyring-inject:m] yy aXb');
  });

  it('ignores values shorter than the minimum', () => {
    const m = makeMasker([
      { name: 'tiny', value: 'abc' },
      { name: 'empty', value: '' },
    ]);
    expect(MIN_VALUE_LENGTH).toBeGreaterThan(3);
    expect(m.empty).toBe(true);
    expect(m.maskText('abc abc').text).toBe('abc abc');
  });

  it('never uses a label that contains the value itself', () => {
    const m = makeMasker([{ name: 'token-abcdefgh', value: 'abcdefgh' }]);
    expect(m.maskText('x abcdefgh y').text).toBe('x [keyring-inject:masked] y');
  });

  it('maskDeep keeps the shape, masks strings and keys, and reports no change by identity', () => {
    const v = testSecret('deep');
    const m = makeMasker([{ name: 'k', value: v }]);
    const bash = { stdout: `TOKEN=${v}\n`, stderr: '', interrupted: false, isImage: false, noOutputExpected: false };
    const r = m.maskDeep(bash);
    expect(r.changed).toBe(true);
    expect(r.value).toEqual({ ...bash, stdout: 'TOKEN=[keyring-inject:k]\n' });
    expect(JSON.stringify(r.value)).not.toContain(v);
    const mcp = [
      { type: 'text', text: v },
      { type: 'image', data: 'AAAA' },
    ];
    expect(m.maskDeep(mcp).value).toEqual([
      { type: 'text', text: '[keyring-inject:k]' },
      { type: 'image', data: 'AAAA' },
    ]);
    expect(m.maskDeep({ [v]: 1, n: 5, b: true, z: null }).value).toEqual({ '[keyring-inject:k]': 1, n: 5, b: true, z: null });
    const clean = { stdout: 'nothing', n: 1 };
    const same = m.maskDeep(clean);
    expect(same).toEqual({ value: clean, names: [], changed: false });
    expect(same.value).toBe(clean);
  });

  it('masks a deeply nested document (the walk is iterative)', () => {
    const v = testSecret('deep');
    let doc: unknown = { text: v };
    for (let i = 0; i < 2000; i++) doc = [doc];
    const r = makeMasker([{ name: 'k', value: v }]).maskDeep(doc);
    expect(r.changed).toBe(true);
    expect(JSON.stringify(r.value)).not.toContain(v);
    expect(JSON.stringify(r.value)).toContain('[keyring-inject:k]');
  });
});

describe('masker: every value independently, in every encoded form', () => {
  it('a project value that overlaps the start of a stored key cannot shadow it (62 decoys GH_TOKEN=<c>)', () => {
    const key = testSecret('gh');
    // Long decoys: even when a project value's occurrence is the longer one, the user's key names the span.
    const decoys = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'].map((c) => ({ name: `P_${c}`, value: `${'#'.repeat(60)}\nGH_TOKEN=${c}`, priority: 1 }));
    const m = makeMasker([...decoys, { name: 'gh', value: key }]);
    const r = m.maskText(`env:\n${'#'.repeat(60)}\nGH_TOKEN=${key}\nend`);
    expect(r.text).toBe('env:\n[keyring-inject:gh]\nend');
    expect(r.text).not.toContain(key.slice(1));
    expect(r.names).toContain('gh');
  });

  it('masks base64 (any offset), base64url and hex of a value, and a value split by colour escapes', () => {
    const v = testSecret('enc');
    const m = makeMasker([{ name: 'k', value: v }]);
    for (const pre of ['', 'K=', 'KEY=']) {
      const b64 = Buffer.from(`# .env\n${pre}${v}\n`).toString('base64');
      const out = m.maskText(`$ base64 .env\n${b64}\n`);
      expect(out.names, pre).toEqual(['k']);
      expect(out.text).toContain('[keyring-inject:k]');
    }
    expect(m.maskText(Buffer.from(v).toString('base64url')).text).toContain('[keyring-inject:k]');
    expect(m.maskText(Buffer.from(v).toString('hex')).text).toBe('[keyring-inject:k]');
    const coloured = `TOKEN=${v.slice(0, 4)}\x1b[01;31m\x1b[K${v.slice(4, 12)}\x1b[m\x1b[K${v.slice(12)}\n`;
    expect(m.maskText(coloured).text).toBe('TOKEN=[keyring-inject:k]\n');
  });
});

describe('stream masker', () => {
  it('masks values split at every chunk boundary, in plain, base64 and coloured form, and lets the rest through at once', () => {
    const v = testSecret('stream');
    const m = makeMasker([{ name: 'k', value: v }]);
    const texts = [
      `line one\nTOKEN=${v}\nline three\n`,
      `${Buffer.from(`A=${v}\n`).toString('base64')}\n`,
      `${Buffer.from(`${'#'.repeat(40)}\nTOKEN=${v}\n`)
        .toString('base64')
        .replace(/(.{76})/g, '$1\n')}\n`,
      `grep: TOKEN=${v.slice(0, 6)}\x1b[01;31m\x1b[K${v.slice(6, 20)}\x1b[m\x1b[K${v.slice(20)} ok\n`,
    ];
    for (const text of texts) {
      for (let cut1 = 0; cut1 < text.length; cut1 += 3) {
        for (const size of [1, 7]) {
          const out = streamed(m, text, cut1, size);
          expect(out).toBe(m.maskText(text).text);
          expect(out).toContain('[keyring-inject:k]');
        }
      }
    }
    // A line goes out when its line break arrives; the end of an unfinished line waits for more.
    const s = makeStreamMasker(m);
    expect(s.push('progress 10%\n')).toBe('progress 10%\n');
    expect(s.push(`line ending with the key's first letter ${v[0]}\n`)).toBe(`line ending with the key's first letter ${v[0]}\n`);
    expect(s.push(`almost ${v.slice(0, 10)}`)).toBe('');
    expect(s.push('\n')).toBe(`almost ${v.slice(0, 10)}\n`);
    expect(s.push(`almost ${v.slice(0, 10)}`)).toBe('');
    expect(s.end()).toBe(`almost ${v.slice(0, 10)}`);
  });

  it('a multi-line value split at every chunk boundary, in plain form and line by line, never comes out in part', () => {
    const pem = (): string => `-----BEGIN TEST KEY-----\n${rand(64, `${ALNUM}+/`)}\n${rand(40, `${ALNUM}+/`)}\n-----END TEST KEY-----`;
    const v = pem();
    const m = makeMasker([{ name: 'k', value: v }]);
    const lines = v.split('\n');
    const texts = [`key:\n${v}\ndone\n`, `cat: ${lines[1]}\n${lines[2]}\n`, `json: ${JSON.stringify(v)} x`];
    for (const text of texts) {
      for (let cut1 = 0; cut1 < text.length; cut1 += 5) {
        for (const size of [1, 13]) {
          const out = streamed(m, text, cut1, size);
          expect(out).toBe(m.maskText(text).text);
          expect(out).toContain('[keyring-inject:k]');
          expect(out).not.toContain(lines[1]?.slice(0, 20));
        }
      }
    }
  });
});

describe('stream masker: when output goes out does not tell a prefix of a stored value', () => {
  // A model can time the output of its own command (`printf ghp_X; sleep 1; echo` piped into a
  // timed `read`): if a tail that starts a value were held back and any other let through at
  // once, it could find a key character by character. What push() returns may depend only on the
  // output itself, on coarse properties of the stored set, and on whole values found.

  /** Each form's prefixes, and a non-prefix of the same length (the last character changed). */
  function probes(value: string): { hit: string; miss: string }[] {
    const forms = valueForms(value);
    const out: { hit: string; miss: string }[] = [];
    for (const f of forms) {
      for (let n = 1; n < f.length; n++) {
        const hit = f.slice(0, n);
        const alt = [...'0aZ#'].find((c) => !forms.some((g) => g.startsWith(hit.slice(0, -1) + c))) as string;
        out.push({ hit, miss: hit.slice(0, -1) + alt });
      }
    }
    return out;
  }

  it('a chunk ending in a prefix of a form of a value comes out exactly when one ending in a non-prefix of the same length does', () => {
    const v = testSecret('oracle');
    const m = makeMasker([{ name: 'k', value: v }]);
    const differ: string[] = [];
    for (const { hit, miss } of probes(v)) {
      for (const before of ['', 'probe: ', 'line one\nprobe ', `${'-'.repeat(300)} `]) {
        const a = makeStreamMasker(m);
        const b = makeStreamMasker(m);
        // ('#' is in no form: it cannot complete one, which would be a whole value)
        const got = [a.push(before + hit).length, a.push('#').length, a.push('\n').length];
        const want = [b.push(before + miss).length, b.push('#').length, b.push('\n').length];
        if (got.join() !== want.join()) differ.push(`${JSON.stringify(before.slice(-10) + hit)}: ${got.join()} vs ${want.join()}`);
      }
    }
    expect(differ.slice(0, 5), `${differ.length} probes told a prefix from a non-prefix`).toEqual([]);
  });

  it('across random outputs made of prefixes of forms, and random chunkings, what comes out is the same whatever the stored values (of a similar length)', () => {
    const alike = (label: string) => [testSecret(label), testSecret(label), `${testSecret(label)}ab`];
    const multi = (): string => `${rand(64, `${ALNUM}+/`)}\n${rand(40, `${ALNUM}+/`)}\n${rand(20)}`;
    const sets = [alike('rnd'), [multi(), multi(), multi()]];
    for (const values of sets) {
      const maskers = values.map((value) => makeMasker([{ name: 'k', value }]));
      // (a prefix of a multi-line value may hold a whole line of it: such a piece is left out)
      const pieces = probes(values[0] as string)
        .map((p) => p.hit)
        .filter((p) => maskers.every((m) => m.find(p).length === 0));
      for (let round = 0; round < 60; round++) {
        let text = '';
        while (text.length < 400) {
          const r = Math.random();
          if (r < 0.4) text += pieces[Math.floor(Math.random() * pieces.length)];
          else if (r < 0.55) text += '\n';
          else if (r < 0.65) text += '\x1b[01;31m';
          // (a line that looks like wrapped base64)
          else if (r < 0.7) text += `${rand(64, `${ALNUM}+/`)}\n`;
          else text += rand(1 + Math.floor(Math.random() * 8), `${ALNUM} `);
        }
        if (maskers.some((m) => m.find(text).length > 0)) continue; // a whole value: that may (and must) change the output
        const cuts: number[] = [];
        for (let i = 0; i < text.length; i += 1 + Math.floor(Math.random() * 40)) cuts.push(i);
        cuts.push(text.length);
        const runs = maskers.map((m) => {
          const s = makeStreamMasker(m);
          const outs: string[] = [];
          for (let c = 1; c < cuts.length; c++) outs.push(s.push(text.slice(cuts[c - 1], cuts[c])));
          outs.push(s.end());
          return outs;
        });
        for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
        expect((runs[0] as string[]).join('')).toBe(text);
      }
    }
  });
});
