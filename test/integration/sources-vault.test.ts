// The vault source (Vault / OpenBao KV v2 over HTTP, no CLI) against a loopback stand-in that
// speaks the documented API (test/helpers/vault-stub.ts): the token header, 403 on a bad
// token, 404 on a missing path, versioned data.data; one request per secret over one
// connection; TLS verified (a throwaway CA recorded from VAULT_CACERT, and via
// NODE_EXTRA_CA_CERTS for the spawned CLI); plain http only to loopback; a hanging server
// stopped at the deadline. Where the token may go (the recorded address): sources-vault-address.test.ts.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { refProblem, type SourceRef } from '../../src/registry/source-ref.js';
import { resolveRequests, sourceContext, sourceFor } from '../../src/sources/resolver.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { runCli } from '../helpers/spawn-cli.js';
import { startVaultStub, tlsFiles, type VaultStub } from '../helpers/vault-stub.js';

let dir: string;
const token = testSecret('vault-token');
const v = { gh: testSecret('vault-gh'), old: testSecret('vault-old'), db: testSecret('vault-db') };
const kv = { secret: { 'team/github': [{ token: v.old }, { token: v.gh, user: 'bot' }], 'team/db': [{ password: v.db, port: 5432, nested: { a: 1 } }], gone: [null] } };
let plain: VaultStub;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ki-vault-'));
  plain = await startVaultStub({ token, kv });
});
afterAll(async () => {
  await plain.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({ PATH: '/usr/bin:/bin', HOME: dir, VAULT_ADDR: plain.addr, VAULT_TOKEN: token, ...extra });
/** A reference as `add` records it: with the address (default: the plain stub's). */
const ref = (id: string, metadata?: Record<string, string>): SourceRef => ({ source: 'vault', id, metadata: { addr: plain.addr, ...metadata } });

describe('vault references', () => {
  it('MOUNT/PATH#FIELD only: no option, no "..", no empty segment; the recorded address in its one spelling, https (or loopback http)', () => {
    expect(refProblem(ref('secret/team/github#token'))).toBeUndefined();
    for (const bad of ['-secret/a#b', 'secret/../sys/a#b', 'secret//a#b', 'secret/a', 'secret/a#', 'secret#b', 'secret/./a#b', 'secret/a#-x']) {
      expect(refProblem(ref(bad)), bad).toContain('the vault id is not valid');
    }
    expect(refProblem(ref('secret/a#b', { address: 'https://evil.example' }))).toBe('vault takes no metadata by the key given (it takes: namespace, version, addr, cacert)');
    expect(refProblem(ref('secret/a#b', { addr: 'https://vault.example.com:8200/prefix' }))).toBeUndefined();
    expect(refProblem(ref('secret/a#b', { addr: 'https://vault.example.com:443/' }))).toBe('metadata.addr of the vault reference is not valid: give it as https://vault.example.com');
    expect(refProblem(ref('secret/a#b', { addr: 'http://vault.example.com:8200' }))).toBe(
      'metadata.addr of the vault reference uses plain http to a remote host, which would send your token unencrypted: use https://',
    );
    expect(refProblem(ref('secret/a#b', { addr: 'https://me:pw@vault.example.com' }))).toBe('metadata.addr of the vault reference holds credentials: remove them from the URL');
    expect(refProblem(ref('secret/a#b', { cacert: 'ca.pem' }))).toBe('metadata.cacert of the vault reference must be an absolute path');
  });
});

describe('vault (KV v2 over HTTP)', () => {
  it('reads fields of the latest or a given version; one request per secret, one connection; token and namespace headers', async () => {
    const before = plain.requests.length;
    const conns = plain.connections();
    const res = await resolveRequests(
      [
        { name: 'gh', ref: ref('secret/team/github#token') },
        { name: 'user', ref: ref('secret/team/github#user') },
        { name: 'old', ref: ref('secret/team/github#token', { version: '1' }) },
        { name: 'db', ref: ref('secret/team/db#password') },
        { name: 'port', ref: ref('secret/team/db#port') },
      ],
      sourceContext(new MemoryBackend(), env({ VAULT_NAMESPACE: 'admin/team' })),
    );
    expect(Object.fromEntries(res.values)).toEqual({ gh: v.gh, user: 'bot', old: v.old, db: v.db, port: '5432' });
    const reqs = plain.requests.slice(before);
    expect(reqs.map((r) => r.url).sort()).toEqual(['/v1/secret/data/team/db', '/v1/secret/data/team/github', '/v1/secret/data/team/github?version=1']);
    expect(reqs.every((r) => r.headers['x-vault-token'] === token && r.headers['x-vault-namespace'] === 'admin/team')).toBe(true);
    expect(plain.connections() - conns).toBe(1);
  });

  it('bad token (403), missing path (404), deleted version, missing field, non-string field: each says what to do; no value, no token in any reason', async () => {
    const res = await resolveRequests(
      [
        { name: 'missing', ref: ref('secret/nope#x') },
        { name: 'deleted', ref: ref('secret/gone#x') },
        { name: 'field', ref: ref('secret/team/db#nope') },
        { name: 'obj', ref: ref('secret/team/db#nested') },
      ],
      sourceContext(new MemoryBackend(), env()),
    );
    const bad = await resolveRequests([{ name: 'gh', ref: ref('secret/team/github#token') }], sourceContext(new MemoryBackend(), env({ VAULT_TOKEN: 'wrong-token' })));
    expect(bad.failed[0]?.reason).toBe(
      "Vault refused the token for secret/team/github#token (403: permission denied): log in with 'vault login' (or 'bao login'), or set VAULT_TOKEN, and check the token's policy",
    );
    expect(Object.fromEntries(res.missing.map((m) => [m.request.name, m.reason]))).toEqual({
      missing: 'Vault has no secret at secret/nope (404): check the mount and path (a KV version 2 engine)',
      deleted: 'Vault has no secret at secret/gone (404): check the mount and path (a KV version 2 engine)',
      field: `the Vault secret secret/team/db has no field "nope": fix the part after '#'`,
    });
    expect(res.failed.map((f) => f.request.name)).toEqual(['obj']);
    expectNoLeak(token, [JSON.stringify([res.missing, res.failed, bad.failed])], []);
    expectNoLeak(v.db, [JSON.stringify([res.missing, res.failed])], []);
  });

  it('the token from ~/.vault-token; no token: not available, with the fix; no VAULT_ADDR needed (the recorded address)', async () => {
    writeFileSync(join(dir, '.vault-token'), `${token}\n`);
    const res = await resolveRequests([{ name: 'gh', ref: ref('secret/team/github#token') }], sourceContext(new MemoryBackend(), { PATH: '/usr/bin', HOME: dir }));
    expect(res.values.get('gh')).toBe(v.gh);
    rmSync(join(dir, '.vault-token'));
    const src = await sourceFor('vault');
    const avail = async (e: Record<string, string>) => src.available(sourceContext(new MemoryBackend(), e), ref('secret/team/github#token'));
    expect(await avail({ HOME: dir, VAULT_ADDR: plain.addr })).toEqual({
      ok: false,
      reason: "no Vault token (VAULT_TOKEN or ~/.vault-token): log in with 'vault login' (or 'bao login'), or set VAULT_TOKEN",
    });
    expect(await avail({ HOME: dir, VAULT_TOKEN: token })).toEqual({ ok: true });
  });

  it('a server that never answers is stopped at the deadline', async () => {
    const hang = await startVaultStub({ token, kv, hang: true });
    try {
      const t0 = performance.now();
      const res = await resolveRequests(
        [{ name: 'gh', ref: ref('secret/team/github#token', { addr: hang.addr }) }],
        sourceContext(new MemoryBackend(), env({ VAULT_ADDR: hang.addr, KEYRING_INJECT_SOURCE_TIMEOUT_MS: '400' })),
      );
      expect(res.failed[0]?.reason).toBe('Vault did not answer within 400 ms (stopped): check the recorded Vault address and the network, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS');
      expect(performance.now() - t0).toBeLessThan(3000);
    } finally {
      await hang.close();
    }
  });

  it('TLS: an unknown CA is refused (VAULT_SKIP_VERIFY ignored); trusted through the recorded VAULT_CACERT, and NODE_EXTRA_CA_CERTS for the CLI', async () => {
    const certs = join(dir, 'tls');
    mkdirSync(certs);
    const tls = tlsFiles(certs);
    const secure = await startVaultStub({ token, kv, tls });
    try {
      const one = [{ name: 'gh', ref: ref('secret/team/github#token', { addr: secure.addr }) }];
      const untrusted = await resolveRequests(one, sourceContext(new MemoryBackend(), env({ VAULT_ADDR: secure.addr, VAULT_SKIP_VERIFY: 'true' })));
      expect(untrusted.failed[0]?.reason).toMatch(
        /^the TLS certificate of 127\.0\.0\.1:\d+ is not trusted \([A-Z_]+\): record its CA's PEM file \(VAULT_CACERT when you add the key or allow the project file\) or set NODE_EXTRA_CA_CERTS$/,
      );
      expect(secure.requests).toHaveLength(0);
      const withCa = [{ name: 'gh', ref: ref('secret/team/github#token', { addr: secure.addr, cacert: tls.caFile }) }];
      const trusted = await resolveRequests(withCa, sourceContext(new MemoryBackend(), env({ VAULT_ADDR: secure.addr, VAULT_CACERT: tls.caFile })));
      expect(trusted.values.get('gh')).toBe(v.gh);

      // The real CLI: `run` with NODE_EXTRA_CA_CERTS (read by Node at start-up), a project-free key of the registry.
      const home = join(dir, 'home');
      mkdirSync(join(home, '.claude', 'keyring-inject'), { recursive: true });
      writeFileSync(
        join(home, '.claude', 'keyring-inject', 'registry.json'),
        JSON.stringify({
          version: 1,
          keys: {
            gh: {
              targets: [{ server: 'api', env: 'GH_TOKEN', scope: 'user' }],
              backend: 'memory',
              createdAt: '',
              source: { source: 'vault', id: 'secret/team/github#token', metadata: { addr: secure.addr } },
            },
          },
        }),
      );
      const child = join(dir, 'child.cjs');
      writeFileSync(child, `process.stdout.write(require('crypto').createHash('sha256').update(process.env.GH_TOKEN || '').digest('hex'))`);
      const r = await runCli(['run', '--', process.execPath, child], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, VAULT_ADDR: secure.addr, VAULT_TOKEN: token, NODE_EXTRA_CA_CERTS: tls.caFile, KEYRING_INJECT_BACKEND: 'keyutils' },
        cwd: home,
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(createHash('sha256').update(v.gh).digest('hex'));
      expectNoLeak(v.gh, [r.stdout, r.stderr], [home]);
      expectNoLeak(token, [r.stdout, r.stderr], [home]);
      expect(readFileSync(child, 'utf8')).not.toContain(v.gh);
    } finally {
      await secure.close();
    }
  });
});
