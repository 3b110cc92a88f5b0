// `run` with a placeholder key, as real processes with real clients (curl, python3 urllib and
// requests, node fetch) against loopback stubs: the stub in the key's hosts receives the value,
// any other only the placeholder; the child's environment never holds the value, and a response
// that echoes the key reaches the child as the placeholder. The real Secret Service holds the key.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpClients, selfSignedCert, startStub, type Stub } from '../helpers/http-stub.js';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runNode } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const service = testService();
let t: TempHome;
let value: string;
let allowed: Stub;
let other: Stub;

beforeAll(async () => {
  allowed = await startStub();
  other = await startStub();
});
afterAll(async () => {
  await allowed.close();
  await other.close();
});

beforeEach(async () => {
  t = makeTempHome({ KEYRING_INJECT_SERVICE: service });
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { crm: { command: 'x', args: [] } } }));
  value = testSecret('crm');
  const r = await runNode([CLI, 'add', 'crm', '--server', 'crm', '--env', 'CRM_KEY', '--host', `localhost:${allowed.port}`, '--stdin'], { env: t.env, input: value });
  expect(r.code, r.stderr).toBe(0);
  allowed.requests.length = 0;
  other.requests.length = 0;
});
afterEach(async () => {
  await runNode([CLI, 'remove', 'crm'], { env: t.env });
  t.cleanup();
});

describe.runIf(HAVE_SECRET_SERVICE)('run with a placeholder key over plain HTTP', () => {
  it.each(['curl', 'urllib', 'requests', 'fetch'] as const)('%s: the allowed host gets the value, another only the placeholder; the child never holds the value', async (client) => {
    const argv = httpClients(t.home)[client];
    const dump = join(t.home, `environ-${client}`);
    const urls = [`http://localhost:${allowed.port}/contacts?x=1`, `http://localhost:${other.port}/elsewhere`];
    const r = await runNode([CLI, 'run', '--', ...argv, ...urls], { env: { ...t.env, ENV_DUMP: dump } });
    const stdout = r.stdout.toString();
    expect(r.code, r.stderr + stdout).toBe(0);
    // What the child held: a placeholder, the proxy, never the value.
    const environ = readFileSync(dump, 'latin1').split('\0');
    const placeholder = environ.find((l) => l.startsWith('CRM_KEY='))?.slice('CRM_KEY='.length) as string;
    expect(placeholder).toMatch(/^kiph_[0-9a-f]{48}$/);
    expect(environ.some((l) => /^HTTPS?_PROXY=http:\/\/ki:[0-9a-f]+@127\.0\.0\.1:\d+$/.test(l))).toBe(true);
    // The stubs: the value only to the allowed one.
    expect(allowed.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${value}`]);
    expect(allowed.requests[0]?.url).toBe('/contacts?x=1');
    expect(other.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${placeholder}`]);
    // The allowed stub echoed the value: the child saw the placeholder instead.
    const lines = stdout
      .trim()
      .split('\n')
      .filter((l) => l !== '');
    expect(JSON.parse(lines[0] as string).got).toBe(`Bearer ${placeholder}`);
    expect(JSON.parse(lines[1] as string).got).toBe(`Bearer ${placeholder}`);
    expectNoLeak(value, [stdout, r.stderr], [t.home]);
  });

  it('an HTTPS host not in hosts is a plain tunnel: it gets the placeholder, end to end encrypted', async () => {
    const cert = selfSignedCert(t.home, 'other-tls');
    const tlsStub = await startStub(cert);
    try {
      const dump = join(t.home, 'environ');
      const r = await runNode(
        [CLI, 'run', '--', 'sh', '-c', `curl -sS --cacert ${cert.certFile} -H "Authorization: Bearer $CRM_KEY" https://localhost:${tlsStub.port}/x; cat /proc/self/environ > ${dump}`],
        {
          env: t.env,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      const placeholder = JSON.parse(r.stdout.toString()).got.slice('Bearer '.length);
      expect(placeholder).toMatch(/^kiph_/);
      expect(tlsStub.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${placeholder}`]);
      expectNoLeak(value, [r.stdout.toString(), r.stderr], [t.home]);
    } finally {
      await tlsStub.close();
    }
  });
});
