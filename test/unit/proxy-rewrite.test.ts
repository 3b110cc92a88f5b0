// The proxy's byte rewriting: a match split across any chunk boundary is still swapped, and a
// chunk with no pending match is passed on whole (a stream of events is not held back).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { childEnv } from '../../src/proxy/child-env.js';
import { makePlaceholder, StreamRewriter, swapAll } from '../../src/proxy/rewrite.js';

const swap = (from: string, to: string) => ({ from: Buffer.from(from), to: Buffer.from(to) });

describe('StreamRewriter', () => {
  it('swaps every occurrence whatever the chunking (every split point of a text with matches at the edges)', () => {
    const text = 'VALUEab VALUE cdVALUEVALUE xyz VALU';
    const want = text.split('VALUE').join('ph');
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b++) {
        const rw = new StreamRewriter([swap('VALUE', 'ph')]);
        const out = Buffer.concat([rw.push(Buffer.from(text.slice(0, a))), rw.push(Buffer.from(text.slice(a, b))), rw.push(Buffer.from(text.slice(b))), rw.end()]).toString();
        expect(out, `${a},${b}`).toBe(want);
      }
    }
  });

  it('holds back only a tail that could start a match', () => {
    const rw = new StreamRewriter([swap('secret-value', 'ph')]);
    expect(rw.push(Buffer.from('data: {"x":1}\n\n')).toString()).toBe('data: {"x":1}\n\n');
    expect(rw.push(Buffer.from('abc secr')).toString()).toBe('abc ');
    expect(rw.push(Buffer.from('et-value!')).toString()).toBe('ph!');
    expect(rw.swapped).toBe(true);
  });

  it('several keys; binary data passes untouched', () => {
    const rw = new StreamRewriter([swap('AAA1', 'x'), swap('BBB2', 'y')]);
    const bin = randomBytes(4096);
    const out = Buffer.concat([rw.push(Buffer.concat([Buffer.from('AAA1BBB2'), bin])), rw.end()]);
    expect(out.subarray(0, 2).toString()).toBe('xy');
    expect(out.subarray(2).equals(bin) || out.includes(Buffer.from('AAA1')) === false).toBe(true);
    expect(swapAll('a AAA1 b BBB2', [swap('AAA1', 'x'), swap('BBB2', 'y')])).toBe('a x b y');
  });

  it('placeholders are unguessable and header-safe', () => {
    const a = makePlaceholder();
    expect(a).toMatch(/^kiph_[0-9a-f]{48}$/);
    expect(makePlaceholder()).not.toBe(a);
  });
});

describe('the child environment', () => {
  it('adds the preload to NODE_OPTIONS (never replacing it), removes NO_PROXY, sets the proxy in both spellings', () => {
    const env = childEnv({
      base: { NODE_OPTIONS: '--max-old-space-size=100', NO_PROXY: 'localhost', no_proxy: 'x', PATH: '/bin' },
      keys: { K: 'kiph_1' },
      proxyUrl: 'http://ki:t@127.0.0.1:1',
      preload: '/a dir/p.js',
      caBundle: '/ca.pem',
    });
    expect(env.NODE_OPTIONS).toBe('--max-old-space-size=100 --require "/a dir/p.js"');
    expect(env.NO_PROXY).toBeUndefined();
    expect(env.no_proxy).toBeUndefined();
    expect([env.HTTP_PROXY, env.https_proxy, env.HTTPS_PROXY, env.http_proxy]).toEqual(Array(4).fill('http://ki:t@127.0.0.1:1'));
    for (const v of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO']) expect(env[v]).toBe('/ca.pem');
    expect(env.K).toBe('kiph_1');
    expect(env.PATH).toBe('/bin');
  });
});
