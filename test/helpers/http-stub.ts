// Loopback HTTP(S) servers that stand for an API in placeholder-key tests: each records what it
// received and answers with the Authorization header it got (so a response that echoes the key
// can be checked), and self-signed certificates for the HTTPS ones (made by the openssl CLI).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttp, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect } from 'node:net';
import { createServer as createHttps } from 'node:https';
import { join } from 'node:path';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The TLS SNI the client sent (HTTPS stubs). */
  servername?: string;
}

export interface Stub {
  port: number;
  requests: Recorded[];
  close(): Promise<void>;
}

export interface StubCert {
  key: string;
  cert: string;
  certFile: string;
}

/** A self-signed certificate for `names` (DNS names, or IP addresses), valid for a day. */
export function selfSignedCert(dir: string, label: string, names: readonly string[] = ['localhost']): StubCert {
  const keyFile = join(dir, `${label}.key`);
  const certFile = join(dir, `${label}.crt`);
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

function answer(requests: Recorded[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const servername = (req.socket as { servername?: string | false }).servername;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts).toString(), ...(servername ? { servername } : {}) });
      const body = JSON.stringify({ got: req.headers.authorization ?? null, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': String(req.headers.authorization ?? '') });
      res.end(body);
    });
  };
}

/** An HTTP stub, or an HTTPS one with `cert`, on 127.0.0.1 and an ephemeral port. */
export function startStub(cert?: StubCert): Promise<Stub> {
  const requests: Recorded[] = [];
  const server: Server = cert ? createHttps({ key: cert.key, cert: cert.cert }, answer(requests)) : createHttp(answer(requests));
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * Real clients for `run`: each sends `Authorization: Bearer $CRM_KEY` to every URL given as an
 * argument, prints each response body on a line of its own, and copies its /proc/self/environ
 * to $ENV_DUMP. Returns argv per client (curl, python3 urllib, python3 requests, node fetch).
 */
export function httpClients(dir: string): Record<'curl' | 'urllib' | 'requests' | 'fetch', string[]> {
  const write = (name: string, body: string) => {
    const f = join(dir, name);
    execFileSync('sh', ['-c', 'cat > "$0"', f], { input: body });
    return f;
  };
  const curl = write(
    'client-curl.sh',
    `cat /proc/self/environ > "$ENV_DUMP"
for u in "$@"; do curl -sS --max-time 10 -H "Authorization: Bearer $CRM_KEY" "$u" || echo "curl failed: $?"; echo; done
`,
  );
  const urllib = write(
    'client-urllib.py',
    `import os, sys, urllib.request
open(os.environ['ENV_DUMP'], 'wb').write(open('/proc/self/environ', 'rb').read())
for u in sys.argv[1:]:
    try:
        r = urllib.request.urlopen(urllib.request.Request(u, headers={'Authorization': 'Bearer ' + os.environ['CRM_KEY']}), timeout=10)
        print(r.read().decode())
    except Exception as e:
        print('urllib failed:', type(e).__name__)
`,
  );
  const requests = write(
    'client-requests.py',
    `import os, sys, requests
open(os.environ['ENV_DUMP'], 'wb').write(open('/proc/self/environ', 'rb').read())
for u in sys.argv[1:]:
    try:
        print(requests.get(u, headers={'Authorization': 'Bearer ' + os.environ['CRM_KEY']}, timeout=10).text)
    except Exception as e:
        print('requests failed:', type(e).__name__)
`,
  );
  const fetchClient = write(
    'client-fetch.mjs',
    `import { readFileSync, writeFileSync } from 'node:fs';
writeFileSync(process.env.ENV_DUMP, readFileSync('/proc/self/environ'));
for (const u of process.argv.slice(2)) {
  try {
    const r = await fetch(u, { headers: { authorization: 'Bearer ' + process.env.CRM_KEY } });
    console.log(await r.text());
  } catch (e) {
    console.log('fetch failed:', e.cause?.code ?? e.name);
  }
}
`,
  );
  return { curl: ['sh', curl], urllib: ['python3', urllib], requests: ['python3', requests], fetch: [process.execPath, fetchClient] };
}

export interface UpstreamProxy {
  url: string;
  /** "CONNECT host:port" and "GET http://..." lines it was asked, and the Proxy-Authorization each carried. */
  seen: { line: string; auth: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A minimal forward proxy standing for the user's own (corporate) HTTPS_PROXY: CONNECT tunnels
 * and absolute-form HTTP. `names`: host names it resolves itself (name -> address), as a remote
 * proxy's own DNS would.
 */
export function startUpstreamProxy(names: Record<string, string> = {}): Promise<UpstreamProxy> {
  const seen: UpstreamProxy['seen'] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createHttp((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, auth: req.headers['proxy-authorization'] });
    const u = new URL(req.url ?? '');
    const { 'proxy-authorization': _drop, ...headers } = req.headers;
    const out = httpRequest({ host: names[u.hostname] ?? u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(out);
  });
  server.on('connect', (req: IncomingMessage, client: import('node:net').Socket, head: Buffer) => {
    seen.push({ line: `CONNECT ${req.url}`, auth: req.headers['proxy-authorization'] });
    const [host, port] = (req.url ?? '').split(':');
    const up = netConnect({ host: names[host as string] ?? host, port: Number(port) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client).pipe(up);
    });
    for (const s of [up, client]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://corp:pw@127.0.0.1:${(server.address() as { port: number }).port}`,
        seen,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
