// The placeholder proxy against bad and hostile input, in-process on real loopback sockets: a
// Host header or SNI that disagrees with the CONNECT target, an IP literal for an allowed name,
// a process without the run's token, huge headers, chunked bodies, h2 offers, websockets.
// In every case the stub in hosts receives the value only through a request that names it.
import { createServer as createHttp, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { leafInterceptor, loadOrCreateCa } from '../../src/proxy/ca.js';
import { startProxy, type RunningProxy } from '../../src/proxy/proxy-server.js';
import { startPlaceholderRun, upstreamRoots } from '../../src/proxy/run-proxy.js';
import { selfSignedCert, startStub, startUpstreamProxy, type Stub } from '../helpers/http-stub.js';
import { upstreamFromEnv } from '../../src/proxy/upstream.js';
import { testSecret } from '../helpers/secret.js';

const value = testSecret('crm');
const placeholder = 'kiph_0123456789abcdef0123456789abcdef0123456789abcdef';
const token = 'tok0123456789';
const auth = `Basic ${Buffer.from(`ki:${token}`).toString('base64')}`;
let dir: string;
let ca: string;
let plain: Stub;
let secure: Stub;
let proxy: RunningProxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ki-proxy-'));
  const cert = selfSignedCert(dir, 'stub', ['localhost', '127.0.0.1']);
  plain = await startStub();
  secure = await startStub(cert);
  const local = await loadOrCreateCa(new MemoryBackend(), new Date());
  ca = local.certPem;
  proxy = await startProxy({
    keys: [{ name: 'crm', value, placeholder, hosts: [`localhost:${plain.port}`, `localhost:${secure.port}`] }],
    token,
    upstream: { noProxy: [], ca: [...upstreamRoots(), cert.cert] },
    intercept: leafInterceptor(local, () => new Date()),
  });
});
afterAll(async () => {
  await proxy.close();
  await plain.close();
  await secure.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes raw bytes to the proxy and collects the answer until the proxy closes or `until` matches. */
function raw(bytes: string | Buffer, until?: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port: proxy.port });
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (until?.test(got)) s.destroy();
    });
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    s.write(bytes);
  });
}

/** CONNECT host:port through the proxy; resolves the socket after the 200. */
function connectThrough(target: string, proxyAuth: string | undefined = auth): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port: proxy.port });
    s.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${proxyAuth ? `Proxy-Authorization: ${proxyAuth}\r\n` : ''}\r\n`);
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.removeListener('data', onData);
      if (head.startsWith('HTTP/1.1 200')) resolve(s);
      else reject(new Error(head.split('\r\n')[0]));
    };
    s.on('data', onData);
    s.on('error', reject);
  });
}

/** TLS inside a CONNECT tunnel, trusting our CA only. */
function tlsThrough(s: Socket, servername: string | undefined, alpn: string[] = ['http/1.1']): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tlsConnect({ socket: s, ca, ...(servername ? { servername } : {}), ALPNProtocols: alpn, checkServerIdentity: () => undefined });
    t.once('secureConnect', () => resolve(t));
    t.once('error', reject);
  });
}

/** One HTTP/1.1 request over an open stream; the status line and body. */
function requestOver(s: Socket | TLSSocket, head: string, body = ''): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
    });
    s.on('close', () => resolve(got));
    s.on('end', () => resolve(got));
    s.write(`${head}\r\nConnection: close\r\n\r\n${body}`);
  });
}

const auths = (stub: Stub) => stub.requests.map((q) => q.headers.authorization);
const reset = () => {
  plain.requests.length = 0;
  secure.requests.length = 0;
};

describe('the proxy serves only its child', () => {
  it('a request, a CONNECT or an upgrade without the token (or with a wrong one) gets 407, and nothing reaches the stub', async () => {
    reset();
    const url = `http://localhost:${plain.port}/x`;
    const wrong = `Basic ${Buffer.from('ki:guess').toString('base64')}`;
    for (const a of ['', `Proxy-Authorization: ${wrong}\r\n`]) {
      expect(await raw(`GET ${url} HTTP/1.1\r\nHost: localhost:${plain.port}\r\n${a}Authorization: Bearer ${placeholder}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 407/);
      expect(await raw(`CONNECT localhost:${secure.port} HTTP/1.1\r\nHost: localhost:${secure.port}\r\n${a}\r\n`)).toMatch(/^HTTP\/1\.1 407/);
      expect(await raw(`GET ${url} HTTP/1.1\r\nHost: localhost:${plain.port}\r\n${a}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)).toMatch(/^HTTP\/1\.1 407/);
    }
    // Sent straight to the port as if it were a server: no absolute URL, no token.
    expect(await raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${proxy.port}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 407/);
    expect(plain.requests).toEqual([]);
    expect(secure.requests).toEqual([]);
  });
});

describe('host checks', () => {
  it('plain HTTP: a Host header that disagrees with the URL is refused (421); the stub gets nothing', async () => {
    reset();
    const r = await raw(`GET http://localhost:${plain.port}/x HTTP/1.1\r\nHost: evil.example\r\nProxy-Authorization: ${auth}\r\nAuthorization: Bearer ${placeholder}\r\nConnection: close\r\n\r\n`);
    expect(r).toMatch(/^HTTP\/1\.1 421/);
    expect(plain.requests).toEqual([]);
  });

  it('HTTPS: a Host header that disagrees with CONNECT and SNI is refused (421); the stub gets nothing', async () => {
    reset();
    const t = await tlsThrough(await connectThrough(`localhost:${secure.port}`), 'localhost');
    const r = await requestOver(t, `GET /x HTTP/1.1\r\nHost: evil.example:${secure.port}\r\nAuthorization: Bearer ${placeholder}`);
    expect(r).toMatch(/^HTTP\/1\.1 421/);
    expect(secure.requests).toEqual([]);
  });

  it('HTTPS: an SNI that disagrees with CONNECT (or none) gets no certificate', async () => {
    reset();
    await expect(tlsThrough(await connectThrough(`localhost:${secure.port}`), 'evil.example')).rejects.toThrow();
    await expect(tlsThrough(await connectThrough(`localhost:${secure.port}`), undefined)).rejects.toThrow();
    expect(secure.requests).toEqual([]);
  });

  it('HTTPS: the matching request gets the value; h2 is not offered (ALPN http/1.1); the response echo is swapped back', async () => {
    reset();
    const t = await tlsThrough(await connectThrough(`localhost:${secure.port}`), 'localhost', ['h2', 'http/1.1']);
    expect(t.alpnProtocol).toBe('http/1.1');
    const r = await requestOver(t, `GET /x HTTP/1.1\r\nHost: localhost:${secure.port}\r\nAuthorization: Bearer ${placeholder}`);
    expect(r).toMatch(/^HTTP\/1\.1 200/);
    expect(auths(secure)).toEqual([`Bearer ${value}`]);
    expect(r).toContain(`x-echo: Bearer ${placeholder}`);
    expect(r).not.toContain(value);
  });

  it('an IP literal for an allowed name is another host: the placeholder goes out as it is (plain and CONNECT)', async () => {
    reset();
    const r = await raw(
      `GET http://127.0.0.1:${plain.port}/x HTTP/1.1\r\nHost: 127.0.0.1:${plain.port}\r\nProxy-Authorization: ${auth}\r\nAuthorization: Bearer ${placeholder}\r\nConnection: close\r\n\r\n`,
    );
    expect(r).toMatch(/^HTTP\/1\.1 200/);
    expect(auths(plain)).toEqual([`Bearer ${placeholder}`]);
    // CONNECT to the IP: a plain tunnel to the stub's own certificate (ours is not offered).
    const s = await connectThrough(`127.0.0.1:${secure.port}`);
    await expect(tlsThrough(s, undefined)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    expect(secure.requests).toEqual([]);
  });

  it('a CONNECT to a host with no key is a plain tunnel, never intercepted', async () => {
    reset();
    const other = await startStub(selfSignedCert(dir, 'other'));
    try {
      await expect(tlsThrough(await connectThrough(`localhost:${other.port}`), 'localhost')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    } finally {
      await other.close();
    }
  });

  it('a malformed CONNECT target is refused (400)', async () => {
    for (const target of ['localhost', 'local host:443', 'localhost:99999', ':443']) {
      expect(await raw(`CONNECT ${target} HTTP/1.1\r\nHost: x\r\nProxy-Authorization: ${auth}\r\n\r\n`), target).toMatch(/^HTTP\/1\.1 400/);
    }
  });
});

describe('bodies and limits', () => {
  it('huge headers get 431 (or the connection closes) and the proxy keeps serving', async () => {
    reset();
    const huge = 'x'.repeat(200_000);
    const r = await raw(`GET http://localhost:${plain.port}/x HTTP/1.1\r\nHost: localhost:${plain.port}\r\nProxy-Authorization: ${auth}\r\nX-Big: ${huge}\r\n\r\n`);
    expect(r === '' || /^HTTP\/1\.1 (431|400)/.test(r)).toBe(true);
    expect(plain.requests).toEqual([]);
    const ok = await raw(`GET http://localhost:${plain.port}/y HTTP/1.1\r\nHost: localhost:${plain.port}\r\nProxy-Authorization: ${auth}\r\nConnection: close\r\n\r\n`);
    expect(ok).toMatch(/^HTTP\/1\.1 200/);
  });

  it('a chunked JSON body with the placeholder split across chunks reaches the allowed host with the value', async () => {
    reset();
    const body = JSON.stringify({ key: placeholder, again: placeholder });
    const cut = body.indexOf(placeholder) + 10;
    const chunks = [body.slice(0, cut), body.slice(cut, cut + 30), body.slice(cut + 30)];
    const encoded = `${chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('')}0\r\n\r\n`;
    const r = await raw(
      `POST http://localhost:${plain.port}/c HTTP/1.1\r\nHost: localhost:${plain.port}\r\nProxy-Authorization: ${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${encoded}`,
    );
    expect(r).toMatch(/^HTTP\/1\.1 200/);
    expect(JSON.parse(plain.requests[0]?.body ?? '')).toEqual({ key: value, again: value });
  });

  it('a Content-Length form body gets the value and the right length; a binary body is left alone', async () => {
    reset();
    const form = `token=${placeholder}&x=1`;
    await raw(
      `POST http://localhost:${plain.port}/f HTTP/1.1\r\nHost: localhost:${plain.port}\r\nProxy-Authorization: ${auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`,
    );
    expect(plain.requests[0]?.body).toBe(`token=${value}&x=1`);
    expect(plain.requests[0]?.headers['content-length']).toBe(String(`token=${value}&x=1`.length));
    await raw(
      `POST http://localhost:${plain.port}/b HTTP/1.1\r\nHost: localhost:${plain.port}\r\nProxy-Authorization: ${auth}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`,
    );
    expect(plain.requests[1]?.body).toBe(form);
  });
});

describe('responses', () => {
  it("a key's host that compresses although asked not to: decompressed, and the echoed value swapped back", async () => {
    const api = createHttp((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ got: req.headers.authorization, ae: req.headers['accept-encoding'] ?? null })));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
    const port = (api.address() as { port: number }).port;
    const p2 = await startProxy({ keys: [{ name: 'crm', value, placeholder, hosts: [`localhost:${port}`] }], token, upstream: { noProxy: [], ca: [] } });
    try {
      const r = await new Promise<{ headers: IncomingMessage['headers']; body: string }>((resolve) => {
        const q = httpRequest(
          {
            host: '127.0.0.1',
            port: p2.port,
            path: `http://localhost:${port}/x`,
            headers: { host: `localhost:${port}`, 'proxy-authorization': auth, authorization: `Bearer ${placeholder}`, 'accept-encoding': 'gzip' },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString();
            });
            res.on('end', () => resolve({ headers: res.headers, body }));
          },
        );
        q.end();
      });
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(r.body)).toEqual({ got: `Bearer ${placeholder}`, ae: null });
      expect(r.body).not.toContain(value);
    } finally {
      await p2.close();
      api.closeAllConnections();
      await new Promise<void>((r) => api.close(() => r()));
    }
  });
});

describe('responses that quote the value', () => {
  it('as is, URL-encoded or JSON-escaped: each reaches the child as the placeholder', async () => {
    const odd = `${testSecret('odd')}/+="q\\`;
    const api = createHttp((req, res) => {
      const got = req.headers.authorization ?? '';
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`raw=${got}\nurl=${encodeURIComponent(got)}\njson=${JSON.stringify({ got })}\n`);
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
    const port = (api.address() as { port: number }).port;
    const p2 = await startProxy({ keys: [{ name: 'odd', value: odd, placeholder, hosts: [`localhost:${port}`] }], token, upstream: { noProxy: [], ca: [] } });
    try {
      const body = await new Promise<string>((resolve) => {
        const q = httpRequest(
          { host: '127.0.0.1', port: p2.port, path: `http://localhost:${port}/x`, headers: { host: `localhost:${port}`, 'proxy-authorization': auth, authorization: placeholder } },
          (res) => {
            let b = '';
            res.on('data', (c: Buffer) => {
              b += c.toString();
            });
            res.on('end', () => resolve(b));
          },
        );
        q.end();
      });
      expect(body).toBe(`raw=${placeholder}\nurl=${placeholder}\njson={"got":"${placeholder}"}\n`);
    } finally {
      await p2.close();
      api.closeAllConnections();
      await new Promise<void>((r) => api.close(() => r()));
    }
  });
});

describe("the user's own proxy", () => {
  /** CONNECT through `p`, then TLS trusting `trust`, then one GET with the placeholder. */
  const httpsThrough = async (p: RunningProxy, host: string, port: number, trust: string): Promise<string> => {
    const s = await new Promise<Socket>((resolve, reject) => {
      const c = netConnect({ host: '127.0.0.1', port: p.port });
      c.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\nProxy-Authorization: ${auth}\r\n\r\n`);
      c.once('data', (d: Buffer) => (d.toString().startsWith('HTTP/1.1 200') ? resolve(c) : reject(new Error(d.toString()))));
    });
    const t = await new Promise<TLSSocket>((resolve, reject) => {
      const x = tlsConnect({ socket: s, ca: trust, servername: host });
      x.once('secureConnect', () => resolve(x));
      x.once('error', reject);
    });
    return requestOver(t, `GET /s HTTP/1.1\r\nHost: ${host}:${port}\r\nAuthorization: Bearer ${placeholder}`);
  };
  const plainThrough = (p: RunningProxy, port: number): Promise<string> =>
    new Promise<string>((resolve) => {
      const c = netConnect({ host: '127.0.0.1', port: p.port });
      let got = '';
      c.on('data', (d: Buffer) => {
        got += d.toString('latin1');
      });
      c.on('close', () => resolve(got));
      c.write(`GET http://localhost:${port}/p HTTP/1.1\r\nHost: localhost:${port}\r\nProxy-Authorization: ${auth}\r\nAuthorization: Bearer ${placeholder}\r\nConnection: close\r\n\r\n`);
    });

  it('is chained, with its credentials, for HTTPS (CONNECT); the value still goes only to the allowed host', async () => {
    const named = selfSignedCert(dir, 'named', ['api.crm.test']);
    const api = await startStub(named);
    const corp = await startUpstreamProxy({ 'api.crm.test': '127.0.0.1' });
    const local = await loadOrCreateCa(new MemoryBackend(), new Date());
    const p2 = await startProxy({
      keys: [{ name: 'crm', value, placeholder, hosts: [`api.crm.test:${api.port}`] }],
      token,
      upstream: upstreamFromEnv({ HTTPS_PROXY: corp.url, HTTP_PROXY: corp.url }, [...upstreamRoots(), named.cert]),
      intercept: leafInterceptor(local, () => new Date()),
    });
    try {
      expect(await httpsThrough(p2, 'api.crm.test', api.port, local.certPem)).toMatch(/^HTTP\/1\.1 200/);
      expect(corp.seen).toEqual([{ line: `CONNECT api.crm.test:${api.port}`, auth: `Basic ${Buffer.from('corp:pw').toString('base64')}` }]);
      expect(api.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${value}`]);
    } finally {
      await p2.close();
      await corp.close();
      await api.close();
    }
  });

  it("never carries a request to a key's loopback host: that host is this machine, and HTTP_PROXY could name anyone (plain HTTP would hand it the value)", async () => {
    const corp = await startUpstreamProxy();
    const local = await loadOrCreateCa(new MemoryBackend(), new Date());
    const p2 = await startProxy({
      keys: [{ name: 'crm', value, placeholder, hosts: [`localhost:${plain.port}`, `localhost:${secure.port}`] }],
      token,
      upstream: upstreamFromEnv({ HTTPS_PROXY: corp.url, HTTP_PROXY: corp.url }, [...upstreamRoots(), readFileSync(join(dir, 'stub.crt'), 'utf8')]),
      intercept: leafInterceptor(local, () => new Date()),
    });
    try {
      reset();
      expect(await plainThrough(p2, plain.port)).toMatch(/^HTTP\/1\.1 200/);
      expect(await httpsThrough(p2, 'localhost', secure.port, local.certPem)).toMatch(/^HTTP\/1\.1 200/);
      expect(corp.seen).toEqual([]);
      expect(auths(plain)).toEqual([`Bearer ${value}`]);
      expect(auths(secure)).toEqual([`Bearer ${value}`]);
    } finally {
      await p2.close();
      await corp.close();
    }
  });
});

describe('the substitution record (for an audit trail)', () => {
  it('names key, host, method and path, never the value, even when the placeholder is in the path', async () => {
    const events: unknown[] = [];
    const p2 = await startProxy({ keys: [{ name: 'crm', value, placeholder, hosts: [`localhost:${plain.port}`] }], token, upstream: { noProxy: [], ca: [] }, onSubstitute: (e) => events.push(e) });
    try {
      reset();
      await new Promise<void>((resolve) => {
        const q = httpRequest(
          { host: '127.0.0.1', port: p2.port, path: `http://localhost:${plain.port}/v1/${placeholder}/x?k=${placeholder}`, headers: { host: `localhost:${plain.port}`, 'proxy-authorization': auth } },
          (res) => {
            res.resume();
            res.on('end', () => resolve());
          },
        );
        q.end();
      });
      expect(plain.requests[0]?.url).toBe(`/v1/${value}/x?k=${value}`);
      expect(events).toEqual([{ key: 'crm', host: 'localhost', method: 'GET', path: `/v1/${placeholder}/x` }]);
      expect(JSON.stringify(events)).not.toContain(value);
    } finally {
      await p2.close();
    }
  });
});

describe('a value HTTP cannot carry', () => {
  it('a value with a line break is never sent (no header injection): 400, and the proxy keeps serving', async () => {
    const p2 = await startProxy({ keys: [{ name: 'bad', value: 'v\r\nX-Injected: 1', placeholder, hosts: [`localhost:${plain.port}`] }], token, upstream: { noProxy: [], ca: [] } });
    try {
      reset();
      const ask = (path: string) =>
        new Promise<string>((resolve) => {
          const s = netConnect({ host: '127.0.0.1', port: p2.port });
          let got = '';
          s.on('data', (c: Buffer) => {
            got += c.toString('latin1');
          });
          s.on('close', () => resolve(got));
          s.write(
            `GET http://localhost:${plain.port}${path} HTTP/1.1\r\nHost: localhost:${plain.port}\r\nProxy-Authorization: ${auth}\r\nAuthorization: Bearer ${placeholder}\r\nConnection: close\r\n\r\n`,
          );
        });
      expect(await ask('/x')).toMatch(/^HTTP\/1\.1 400/);
      expect(plain.requests).toEqual([]);
      // Still alive, and a request without the placeholder in a header goes out.
      const s = netConnect({ host: '127.0.0.1', port: p2.port });
      const ok = await new Promise<string>((resolve) => {
        let got = '';
        s.on('data', (c: Buffer) => {
          got += c.toString('latin1');
        });
        s.on('close', () => resolve(got));
        s.write(`GET http://localhost:${plain.port}/y HTTP/1.1\r\nHost: localhost:${plain.port}\r\nProxy-Authorization: ${auth}\r\nConnection: close\r\n\r\n`);
      });
      expect(ok).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      await p2.close();
    }
  });
});

describe('websockets', () => {
  it('an upgrade to an allowed host gets the value in its handshake, then the bytes pass both ways untouched', async () => {
    const seen: IncomingMessage[] = [];
    const upgraded: Socket[] = [];
    const ws = createHttp();
    ws.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      seen.push(req);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      upgraded.push(socket);
      socket.on('data', (c: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), c])));
    });
    await new Promise<void>((r) => ws.listen(0, '127.0.0.1', () => r()));
    const port = (ws.address() as { port: number }).port;
    const p2 = await startProxy({ keys: [{ name: 'crm', value, placeholder, hosts: [`localhost:${port}`] }], token, upstream: { noProxy: [], ca: [] } });
    try {
      const reply = await new Promise<string>((resolve) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: p2.port,
          path: `http://localhost:${port}/ws`,
          headers: { host: `localhost:${port}`, 'proxy-authorization': auth, connection: 'Upgrade', upgrade: 'websocket', authorization: `Bearer ${placeholder}` },
        });
        req.on('upgrade', (_res, socket: Socket) => {
          socket.on('data', (c: Buffer) => {
            resolve(c.toString());
            socket.destroy();
          });
          socket.write(`frame ${placeholder}`);
        });
        req.end();
      });
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${value}`);
      // After the handshake the proxy does not rewrite: the bytes are the client's own.
      expect(reply).toBe(`echo:frame ${placeholder}`);
    } finally {
      await p2.close();
      for (const s of upgraded) s.destroy();
      await new Promise<void>((r) => ws.close(() => r()));
    }
  });
});

describe('upstream TLS, where the value travels, as run sets it up', () => {
  it("does not trust a CA named by run's environment (NODE_EXTRA_CA_CERTS: a repository's .mcp.json or settings env can set it, with HTTPS_PROXY): the value never reaches a host only that CA vouches for", async () => {
    const local = await loadOrCreateCa(new MemoryBackend(), new Date());
    const dataDir = mkdtempSync(join(tmpdir(), 'ki-data-'));
    const run = await startPlaceholderRun({
      base: { NODE_EXTRA_CA_CERTS: join(dir, 'stub.crt') },
      dataDir,
      values: { CRM_KEY: value },
      placeholderVars: { CRM_KEY: 'crm' },
      hosts: { crm: [`localhost:${secure.port}`] },
      tls: { interceptor: leafInterceptor(local, () => new Date()), caBundle: '/unused.pem' },
    });
    try {
      reset();
      const url = new URL(run.env.HTTPS_PROXY as string);
      const s = await new Promise<Socket>((resolve, reject) => {
        const c = netConnect({ host: '127.0.0.1', port: Number(url.port) });
        c.write(`CONNECT localhost:${secure.port} HTTP/1.1\r\nHost: localhost:${secure.port}\r\nProxy-Authorization: Basic ${Buffer.from(`ki:${url.password}`).toString('base64')}\r\n\r\n`);
        c.once('data', (d: Buffer) => (d.toString().startsWith('HTTP/1.1 200') ? resolve(c) : reject(new Error(d.toString()))));
      });
      const t = await new Promise<TLSSocket>((resolve, reject) => {
        const x = tlsConnect({ socket: s, ca: local.certPem, servername: 'localhost' });
        x.once('secureConnect', () => resolve(x));
        x.once('error', reject);
      });
      const got = await requestOver(t, `GET /s HTTP/1.1\r\nHost: localhost:${secure.port}\r\nAuthorization: Bearer ${run.env.CRM_KEY}`);
      expect(got).toMatch(/^HTTP\/1\.1 502/);
      expect(got).toContain('put its CA in proxy/upstream-ca.pem');
      expect(secure.requests).toEqual([]);
    } finally {
      await run.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("trusts the CA file the user put in our data directory (proxy/upstream-ca.pem), as it trusts the registry's hosts", async () => {
    const local = await loadOrCreateCa(new MemoryBackend(), new Date());
    const dataDir = mkdtempSync(join(tmpdir(), 'ki-data-'));
    mkdirSync(join(dataDir, 'proxy'));
    writeFileSync(join(dataDir, 'proxy', 'upstream-ca.pem'), readFileSync(join(dir, 'stub.crt')));
    const run = await startPlaceholderRun({
      base: {},
      dataDir,
      values: { CRM_KEY: value },
      placeholderVars: { CRM_KEY: 'crm' },
      hosts: { crm: [`localhost:${secure.port}`] },
      tls: { interceptor: leafInterceptor(local, () => new Date()), caBundle: '/unused.pem' },
    });
    try {
      reset();
      const url = new URL(run.env.HTTPS_PROXY as string);
      const s = await new Promise<Socket>((resolve, reject) => {
        const c = netConnect({ host: '127.0.0.1', port: Number(url.port) });
        c.write(`CONNECT localhost:${secure.port} HTTP/1.1\r\nHost: localhost:${secure.port}\r\nProxy-Authorization: Basic ${Buffer.from(`ki:${url.password}`).toString('base64')}\r\n\r\n`);
        c.once('data', (d: Buffer) => (d.toString().startsWith('HTTP/1.1 200') ? resolve(c) : reject(new Error(d.toString()))));
      });
      const t = await new Promise<TLSSocket>((resolve, reject) => {
        const x = tlsConnect({ socket: s, ca: local.certPem, servername: 'localhost' });
        x.once('secureConnect', () => resolve(x));
        x.once('error', reject);
      });
      expect(await requestOver(t, `GET /s HTTP/1.1\r\nHost: localhost:${secure.port}\r\nAuthorization: Bearer ${run.env.CRM_KEY}`)).toMatch(/^HTTP\/1\.1 200/);
      expect(auths(secure)).toEqual([`Bearer ${value}`]);
    } finally {
      await run.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
