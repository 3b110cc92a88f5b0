// `run` with a placeholder key, as real processes with real clients (curl, python3 urllib and
// requests, node fetch) against loopback stubs: the stub in the key's hosts receives the value,
// any other only the placeholder; the child's environment never holds the value, and a response
// that echoes the key reaches the child as the placeholder. The real Secret Service holds the key.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpClients, selfSignedCert, startStub, type Stub } from '../helpers/http-stub.js';
import { readAudit } from '../../src/core/audit-trail.js';
import { claudePaths } from '../../src/core/paths.js';
import { expectNoLeak, filesContaining } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runNode } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const service = testService();
let t: TempHome;
let value: string;
let allowed: Stub;
let other: Stub;
let tlsAllowed: Stub;
let tlsOther: Stub;
let certDir: string;
let stubCa: string;

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'ki-stub-certs-'));
  const cert = selfSignedCert(certDir, 'stub');
  stubCa = cert.certFile;
  allowed = await startStub();
  other = await startStub();
  tlsAllowed = await startStub(cert);
  tlsOther = await startStub(cert);
});
afterAll(async () => {
  for (const s of [allowed, other, tlsAllowed, tlsOther]) await s.close();
  rmSync(certDir, { recursive: true, force: true });
});
const all = () => [allowed, other, tlsAllowed, tlsOther];

beforeEach(async () => {
  t = makeTempHome({ KEYRING_INJECT_SERVICE: service });
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { crm: { command: 'x', args: [] } } }));
  value = testSecret('crm');
  const r = await runNode([CLI, 'add', 'crm', '--server', 'crm', '--env', 'CRM_KEY', '--host', `localhost:${allowed.port}`, '--host', `localhost:${tlsAllowed.port}`, '--stdin'], {
    env: t.env,
    input: value,
  });
  expect(r.code, r.stderr).toBe(0);
  for (const s of all()) s.requests.length = 0;
  // The stubs' certificate is trusted the way a corporate CA is: by the proxy from our data
  // directory (proxy/upstream-ca.pem), by the child (a tunnelled host) from NODE_EXTRA_CA_CERTS.
  mkdirSync(join(t.home, '.claude', 'keyring-inject', 'proxy'), { recursive: true });
  copyFileSync(stubCa, join(t.home, '.claude', 'keyring-inject', 'proxy', 'upstream-ca.pem'));
  t.env.NODE_EXTRA_CA_CERTS = stubCa;
});
afterEach(async () => {
  await runNode([CLI, 'remove', 'crm'], { env: t.env });
  t.cleanup();
});

describe.runIf(HAVE_SECRET_SERVICE)('run with a placeholder key, real clients', () => {
  it.each(['curl', 'urllib', 'requests', 'fetch'] as const)('%s: the allowed hosts (HTTP and HTTPS) get the value, others only the placeholder; the child never holds the value', async (client) => {
    const argv = httpClients(t.home)[client];
    const dump = join(t.home, `environ-${client}`);
    const urls = [
      `http://localhost:${allowed.port}/contacts?x=1`,
      `http://localhost:${other.port}/elsewhere`,
      `https://localhost:${tlsAllowed.port}/v1/contacts`,
      `https://localhost:${tlsOther.port}/other`,
    ];
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
    expect(tlsAllowed.requests.map((q) => [q.headers.authorization, q.url, q.servername])).toEqual([[`Bearer ${value}`, '/v1/contacts', 'localhost']]);
    expect(tlsOther.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${placeholder}`]);
    // The allowed stubs echoed the value: the child saw the placeholder instead.
    const lines = stdout.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => (l.startsWith('{') ? JSON.parse(l).got : l))).toEqual(Array(4).fill(`Bearer ${placeholder}`));
    // The CA bundle the child got holds certificates; the CA's private key is in the keyring, in no file.
    const bundle = environ.find((l) => l.startsWith('SSL_CERT_FILE='))?.slice('SSL_CERT_FILE='.length) as string;
    expect(readFileSync(bundle, 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(secretToolLookup(service, 'keyring-inject:proxy-ca')).toMatch(/"key":"[A-Za-z0-9+/=]+"/);
    expect(filesContaining('PRIVATE KEY', [t.home])).toEqual([]);
    // Each substitution is in the audit trail: key, host, method, path (no query), never a value.
    const subs = readAudit(claudePaths(t.env)).filter((l) => l.event === 'substitute');
    expect(subs.map((l) => [l.keys, l.host, l.method, l.path]).sort()).toEqual([
      [['crm'], 'localhost', 'GET', '/contacts'],
      [['crm'], 'localhost', 'GET', '/v1/contacts'],
    ]);
    expectNoLeak(value, [stdout, r.stderr], [t.home]);
  });

  it('a client that ignores the proxy fails cleanly: the host gets the placeholder, nothing holds the value', async () => {
    const script = `curl -sS --noproxy '*' -H "Authorization: Bearer $CRM_KEY" http://localhost:${allowed.port}/direct; echo; curl -sS --noproxy '*' --cacert ${stubCa} -H "Authorization: Bearer $CRM_KEY" https://localhost:${tlsAllowed.port}/direct`;
    const r = await runNode([CLI, 'run', '--', 'sh', '-c', script], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    const got = r.stdout
      .toString()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l).got);
    expect(got[0]).toMatch(/^Bearer kiph_/);
    expect(got).toEqual([got[0], got[0]]);
    expect([...allowed.requests, ...tlsAllowed.requests].map((q) => q.headers.authorization)).toEqual([got[0], got[0]]);
    expectNoLeak(value, [r.stdout.toString(), r.stderr], [t.home]);
  });

  it("a wrapped MCP server (exec) gets the placeholder too, and the value goes only to its key's hosts", async () => {
    const [shell, script] = httpClients(t.home).curl as [string, string];
    const server = [shell, script, `https://localhost:${tlsAllowed.port}/mcp`, `https://localhost:${tlsOther.port}/mcp`];
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { crm: { command: server[0], args: server.slice(1) } } }));
    const w = await runNode([CLI, 'wrap', 'crm'], { env: { ...t.env, KEYRING_INJECT_CLI: CLI } });
    expect(w.code, w.stderr).toBe(0);
    const dump = join(t.home, 'environ-exec');
    const r = await runNode([CLI, 'exec', '--server', 'crm', '--', ...server], { env: { ...t.env, ENV_DUMP: dump } });
    expect(r.code, r.stderr).toBe(0);
    const placeholder = readFileSync(dump, 'latin1')
      .split('\0')
      .find((l) => l.startsWith('CRM_KEY='))
      ?.slice('CRM_KEY='.length);
    expect(placeholder).toMatch(/^kiph_/);
    expect(tlsAllowed.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${value}`]);
    expect(tlsOther.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${placeholder}`]);
    expectNoLeak(value, [r.stdout.toString(), r.stderr], [t.home]);
  });

  it('git over HTTPS (http.extraHeader) sends the value to the allowed host only', async () => {
    const script = `for p in ${tlsAllowed.port} ${tlsOther.port}; do git -c http.extraHeader="Authorization: Bearer $CRM_KEY" ls-remote https://localhost:$p/repo.git >/dev/null 2>&1; done; echo "$CRM_KEY"`;
    const r = await runNode([CLI, 'run', '--', 'sh', '-c', script], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    const placeholder = r.stdout.toString().trim();
    expect(placeholder).toMatch(/^kiph_/);
    // git asks the smart protocol first, then the dumb one: every request counts.
    expect(tlsAllowed.requests[0]?.url).toBe('/repo.git/info/refs?service=git-upload-pack');
    expect(new Set(tlsAllowed.requests.map((q) => q.headers.authorization))).toEqual(new Set([`Bearer ${value}`]));
    expect(tlsOther.requests.length).toBeGreaterThan(0);
    expect(new Set(tlsOther.requests.map((q) => q.headers.authorization))).toEqual(new Set([`Bearer ${placeholder}`]));
    expectNoLeak(value, [r.stdout.toString(), r.stderr], [t.home]);
  });
});
