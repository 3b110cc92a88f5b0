// A loopback stand-in for a Vault / OpenBao server's KV version 2 read API, as documented
// (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2#read-secret-version):
// GET /v1/:mount/data/:path[?version=N] with X-Vault-Token; 200 {"data": {"data": {...},
// "metadata": {...}}}; 403 {"errors": ["permission denied"]} for a wrong token; 404 {"errors": []}
// for a missing path. Plain http, or https with a throwaway CA made by openssl (`tlsFiles`).
// It records each request (path, headers) and how many connections were opened.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface VaultStubOptions {
  token: string;
  /** mount -> path -> versions (index 0 = version 1); a null version is deleted. */
  kv: Record<string, Record<string, (Record<string, unknown> | null)[]>>;
  namespace?: string;
  tls?: { key: string; cert: string };
  /** Never answer (for the deadline). */
  hang?: boolean;
}

export interface VaultStub {
  addr: string;
  requests: { url: string; headers: IncomingMessage['headers'] }[];
  connections: () => number;
  close(): Promise<void>;
}

export async function startVaultStub(o: VaultStubOptions): Promise<VaultStub> {
  const requests: VaultStub['requests'] = [];
  let connections = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    if (o.hang) return;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return send(404, { errors: [] });
    if (req.headers['x-vault-token'] !== o.token) return send(403, { errors: ['permission denied'] });
    if (o.namespace !== undefined && req.headers['x-vault-namespace'] !== o.namespace) return send(403, { errors: ['permission denied'] });
    const versions = o.kv[decodeURIComponent(m[1] as string)]?.[(m[2] as string).split('/').map(decodeURIComponent).join('/')];
    if (!versions) return send(404, { errors: [] });
    const wanted = url.searchParams.get('version');
    const n = wanted ? Number(wanted) : versions.length;
    if (n < 1 || n > versions.length) return send(404, { errors: [] });
    const data = versions[n - 1] ?? null;
    const metadata = { created_time: '2026-01-01T00:00:00Z', deletion_time: data === null ? '2026-01-02T00:00:00Z' : '', destroyed: false, version: n };
    if (data === null) return send(404, { request_id: 'r', data: { data: null, metadata } });
    send(200, { request_id: 'r', lease_id: '', renewable: false, lease_duration: 0, data: { data, metadata }, wrap_info: null, warnings: null, auth: null });
  };
  const server: Server = o.tls ? createHttps({ key: o.tls.key, cert: o.tls.cert }, handler) : createHttp(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    addr: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A throwaway CA and a server certificate for 127.0.0.1 (openssl), written under `dir`. */
export function tlsFiles(dir: string): { caFile: string; key: string; cert: string } {
  const f = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=keyring-inject test CA'], { stdio: 'ignore' });
  execFileSync('openssl', ['req', ...ec, '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  execFileSync('openssl', ['x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('srv.pem'), '-days', '2', '-extfile', f('ext.cnf')], {
    stdio: 'ignore',
  });
  return { caFile: f('ca.pem'), key: readFileSync(f('srv.key'), 'utf8'), cert: readFileSync(f('srv.pem'), 'utf8') };
}
