// The per-run forward proxy of placeholder keys. It listens on loopback and serves only the
// child it was started for (the per-run token in the proxy URL's credentials; anything else gets
// 407). In a request whose target is one of a key's hosts (the URL or CONNECT target, the TLS SNI
// and the Host header must all name it), the key's placeholder becomes its value in the headers,
// the URL and text bodies; every other request goes out unchanged, placeholder and all. In every
// response the values become their placeholders again before the child sees them.
//
// Plain HTTP arrives as absolute-form requests; HTTPS as CONNECT. A CONNECT to a key's host is
// intercepted (TLS terminated with a leaf of our CA, `Interceptor`), any other CONNECT is a
// plain tunnel. Node's http parser does the HTTP: header limits, chunked bodies, keep-alive.
import { createServer, request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket, type SecureContext } from 'node:tls';
import { timingSafeEqual } from 'node:crypto';
import { Duplex, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { isLoopbackHost, matchesAny, splitAuthority } from '../core/hosts.js';
import { StreamRewriter, swapAll, type Swap } from './rewrite.js';
import { bareHost, openTunnel, proxyAuthorization, proxyFor, type Upstream } from './upstream.js';

export interface ProxyKey {
  name: string;
  value: string;
  placeholder: string;
  hosts: readonly string[];
}

/** One substitution, for an audit trail: never a value. */
export interface Substitution {
  key: string;
  host: string;
  method: string;
  path: string;
}

/** TLS interception: a server context for a host (a leaf of our CA, cached per run). */
export interface Interceptor {
  contextFor(host: string): Promise<SecureContext>;
}

export interface ProxyOptions {
  keys: readonly ProxyKey[];
  /** The per-run secret the child presents as the proxy URL's password. */
  token: string;
  upstream: Upstream;
  /** Absent: no interception; a CONNECT to a key's host is then a plain tunnel (the placeholder goes out as it is). */
  intercept?: Interceptor;
  onSubstitute?: (s: Substitution) => void;
}

export interface RunningProxy {
  port: number;
  /** http://ki:TOKEN@127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/** Where an intercepted connection goes (the CONNECT target). */
interface Origin {
  host: string;
  port: number;
  /** TLS intercepted; false: plain HTTP inside a CONNECT tunnel. */
  secure: boolean;
}

const USER = 'ki';
/** Bodies held whole to rewrite them with an exact length. Larger ones are streamed (chunked). */
const WHOLE_BODY = 1 << 20;
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const DECODERS: Record<string, () => Transform> = { gzip: () => createGunzip(), 'x-gzip': () => createGunzip(), deflate: () => createInflate(), br: () => createBrotliDecompress() };
const TEXT_TYPE = /^\s*(?:text\/|application\/(?:json|x-www-form-urlencoded|xml|graphql|javascript|x-ndjson)\b|application\/[a-z0-9.-]+\+(?:json|xml)\b|multipart\/form-data\b)/i;

export function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const expected = Buffer.from(`Basic ${Buffer.from(`${USER}:${opts.token}`).toString('base64')}`);
  const authorized = (req: IncomingMessage): boolean => {
    const got = Buffer.from(req.headers['proxy-authorization'] ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };
  // value -> placeholder, for every response: the value as is, URL-encoded and JSON-escaped (how an echo most often quotes it).
  const back: Swap[] = opts.keys
    .flatMap((k) => [...new Set([k.value, encodeURIComponent(k.value), JSON.stringify(k.value).slice(1, -1)])].map((v) => ({ from: Buffer.from(v), to: Buffer.from(k.placeholder) })))
    .sort((a, b) => b.from.length - a.from.length);
  const httpAgent = new HttpAgent({ keepAlive: true });
  const httpsAgent = new HttpsAgent({ keepAlive: true, ca: opts.upstream.ca });
  const origins = new WeakMap<Duplex, Origin>();
  const sockets = new Set<Duplex>();

  const keysFor = (host: string, port: number, defaultPort: number) => opts.keys.filter((k) => matchesAny(k.hosts, host, port, defaultPort));
  // The keys a request gets: its host's, and over plain HTTP only on this machine (elsewhere the network would see the value).
  const keysForTarget = (t: { host: string; port: number; secure: boolean }) => (t.secure || isLoopbackHost(t.host) ? keysFor(t.host, t.port, t.secure ? 443 : 80) : []);

  /** A request, as the child sent it: plain (absolute URL) or inside an intercepted tunnel. */
  const handle = (req: IncomingMessage, res: ServerResponse, origin: Origin | undefined) => {
    const target = targetOf(req, origin);
    if (typeof target === 'string') return refuse(res, target === 'auth' ? 407 : target === 'misdirected' ? 421 : 400, target);
    const keys = keysForTarget(target);
    const forth: Swap[] = keys.map((k) => ({ from: Buffer.from(k.placeholder), to: Buffer.from(k.value) }));
    const used = new Set<string>();
    const note = (text: string) => {
      for (const k of keys) if (text.includes(k.placeholder)) used.add(k.name);
    };
    note(target.path);
    const path = swapAll(target.path, forth);
    const headers = forwardHeaders(req.headers, forth, note);
    if (keys.length > 0) delete headers['accept-encoding']; // a response we can read, to rewrite it
    const textBody = keys.length > 0 && TEXT_TYPE.test(String(req.headers['content-type'] ?? '')) && !req.headers['content-encoding'];

    const send = (body: Buffer | undefined) => {
      // The path as the child wrote it (placeholder, never the value), without its query.
      for (const name of used) opts.onSubstitute?.({ key: name, host: target.host, method: req.method ?? '', path: target.path.split('?')[0] as string });
      if (body !== undefined) {
        headers['content-length'] = String(body.length);
        delete headers['transfer-encoding'];
      }
      let out: ReturnType<typeof outgoing>;
      try {
        out = outgoing(target, req.method ?? 'GET', path, headers);
      } catch {
        // Node refuses a header or path it cannot send (a value with a line break): so do we.
        req.resume();
        return refuse(res, 400, 'unsendable');
      }
      out.on('response', (up) => respond(up, res, req.method === 'HEAD', keys.length > 0));
      out.on('error', (err: NodeJS.ErrnoException) => refuse(res, 502, untrustedCertificate(err) ? 'untrusted' : 'upstream'));
      res.on('close', () => {
        if (!res.writableFinished) out.destroy();
      });
      if (body !== undefined) out.end(body);
      else if (textBody) {
        const rw = new StreamRewriter(forth);
        req.on('data', (c: Buffer) => {
          const b = rw.push(c);
          if (rw.swapped) for (const k of keys) used.add(k.name);
          if (b.length > 0) out.write(b);
        });
        req.on('end', () => out.end(rw.end()));
      } else req.pipe(out);
    };

    const length = Number(req.headers['content-length'] ?? Number.NaN);
    if (textBody && Number.isFinite(length)) {
      if (length > 16 * WHOLE_BODY) return refuse(res, 413, 'body');
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const whole = Buffer.concat(parts);
        const rw = new StreamRewriter(forth);
        const body = Buffer.concat([rw.push(whole), rw.end()]);
        if (rw.swapped) for (const k of keys) used.add(k.name);
        send(body);
      });
      return;
    }
    send(undefined);
  };

  const targetOf = (req: IncomingMessage, origin: Origin | undefined): { host: string; port: number; secure: boolean; path: string } | string => {
    const hostHeader = splitAuthority(String(req.headers.host ?? ''), origin?.secure ? 443 : 80);
    if (origin) {
      // Inside a tunnel: the Host header must name the CONNECT target.
      if (!hostHeader || hostHeader.host.replace(/\.$/, '') !== origin.host || hostHeader.port !== origin.port) return 'misdirected';
      if (!(req.url ?? '').startsWith('/')) return 'target';
      return { ...origin, path: req.url as string };
    }
    if (!authorized(req)) return 'auth';
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return 'target';
    }
    if (url.protocol !== 'http:' || url.username !== '' || url.password !== '') return 'target';
    const port = Number(url.port || 80);
    const host = url.hostname.toLowerCase();
    if (!hostHeader || hostHeader.host.replace(/\.$/, '') !== host.replace(/\.$/, '') || hostHeader.port !== port) return 'misdirected';
    return { host, port, secure: false, path: `${url.pathname}${url.search}` };
  };

  const outgoing = (t: { host: string; port: number; secure: boolean }, method: string, path: string, headers: OutgoingHttpHeaders) => {
    const via = proxyFor(opts.upstream, t.secure, t.host, t.port);
    const host = bareHost(t.host);
    if (!t.secure) {
      if (!via) return httpRequest({ host, port: t.port, method, path, headers, agent: httpAgent });
      const auth = proxyAuthorization(via);
      const absolute = `http://${t.host}${t.port === 80 ? '' : `:${t.port}`}${path}`;
      const viaTls = via.protocol === 'https:';
      return (viaTls ? httpsRequest : httpRequest)({
        host: bareHost(via.hostname),
        port: Number(via.port || (viaTls ? 443 : 80)),
        method,
        path: absolute,
        headers: { ...headers, ...(auth ? { 'proxy-authorization': auth } : {}) },
        ...(viaTls ? { ca: opts.upstream.ca } : {}),
      });
    }
    const servername = isIP(host) ? undefined : host;
    if (!via) return httpsRequest({ host, port: t.port, method, path, headers, agent: httpsAgent, ...(servername ? { servername } : {}) });
    return httpsRequest({
      host,
      port: t.port,
      method,
      path,
      headers,
      // No agent: with one (even `agent: false`, a fresh one), Node ignores createConnection.
      createConnection: (_o: unknown, done: (err: Error | null, s?: Duplex) => void) => {
        openTunnel(opts.upstream, t.host, t.port).then(
          (raw) => done(null, tlsConnect({ socket: raw, ca: opts.upstream.ca, ALPNProtocols: ['http/1.1'], ...(servername ? { servername } : {}) })),
          (err: Error) => done(err),
        );
        return undefined;
      },
    } as unknown as RequestOptions);
  };

  /** `decode`: a key's host, asked for an uncompressed body; one compressed anyway is decompressed, to be read. */
  const respond = (up: IncomingMessage, res: ServerResponse, head: boolean, decode: boolean) => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, v] of Object.entries(up.headers)) {
      if (v === undefined || HOP_BY_HOP.includes(name)) continue;
      headers[name] = Array.isArray(v) ? v.map((x) => swapAll(x, back)) : swapAll(v, back);
    }
    const status = up.statusCode ?? 502;
    const bodyless = head || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (bodyless) {
      res.writeHead(status, headers);
      up.resume();
      res.end();
      return;
    }
    let body: Readable = up;
    let length = Number(up.headers['content-length'] ?? Number.NaN);
    const encoding = String(up.headers['content-encoding'] ?? '')
      .trim()
      .toLowerCase();
    const decoder = decode ? DECODERS[encoding] : undefined;
    if (decoder) {
      body = up.pipe(decoder());
      delete headers['content-encoding'];
      length = Number.NaN;
    }
    const rw = new StreamRewriter(back);
    body.on('error', () => res.destroy());
    if (Number.isFinite(length) && length <= WHOLE_BODY) {
      const parts: Buffer[] = [];
      body.on('data', (c: Buffer) => parts.push(rw.push(c)));
      body.on('end', () => {
        parts.push(rw.end());
        const whole = Buffer.concat(parts);
        headers['content-length'] = String(whole.length);
        res.writeHead(status, headers);
        res.end(whole);
      });
      return;
    }
    delete headers['content-length'];
    res.writeHead(status, headers);
    body.on('data', (c: Buffer) => {
      const b = rw.push(c);
      if (b.length > 0) res.write(b);
    });
    body.on('end', () => res.end(rw.end()));
  };

  /** Websockets and other upgrades: the handshake like any request, then the bytes both ways, untouched. */
  const upgrade = (req: IncomingMessage, client: Duplex, head: Buffer, origin: Origin | undefined) => {
    const target = targetOf(req, origin);
    if (typeof target === 'string') {
      client.end(`HTTP/1.1 ${target === 'auth' ? '407 Proxy Authentication Required' : '400 Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const keys = keysForTarget(target);
    const forth: Swap[] = keys.map((k) => ({ from: Buffer.from(k.placeholder), to: Buffer.from(k.value) }));
    const headers = forwardHeaders(req.headers, forth, () => {});
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade ?? '';
    let out: ReturnType<typeof outgoing>;
    try {
      out = outgoing(target, req.method ?? 'GET', swapAll(target.path, forth), headers);
    } catch {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    out.on('upgrade', (up: IncomingMessage, server: Socket, upHead: Buffer) => {
      const lines = [`HTTP/1.1 ${up.statusCode} ${up.statusMessage}`];
      for (let i = 0; i < up.rawHeaders.length; i += 2) lines.push(`${up.rawHeaders[i]}: ${swapAll(up.rawHeaders[i + 1] as string, back)}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length > 0) client.write(upHead);
      if (head.length > 0) server.write(head);
      for (const x of [server, client]) {
        sockets.add(x);
        x.on('close', () => sockets.delete(x));
      }
      server.pipe(client).pipe(server);
      server.on('error', () => client.destroy());
      client.on('error', () => server.destroy());
      server.on('close', () => client.destroy());
      client.on('close', () => server.destroy());
    });
    out.on('response', (up) => {
      client.end(`HTTP/1.1 ${up.statusCode} ${up.statusMessage}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      up.resume();
    });
    out.on('error', () => client.destroy());
    out.end();
  };

  // Inside intercepted tunnels: an HTTP server that never listens; tunnels are handed to it.
  const inner = createServer((req, res) => guarded(res, () => handle(req, res, origins.get(req.socket))));
  inner.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(req, socket, head, origins.get(req.socket)));
  inner.on('clientError', (_err, socket: Duplex) => socket.destroy());

  const connect = (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (!authorized(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="keyring-inject"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // CONNECT names host:port, the port always given.
    const t = /:\d{1,5}$/.test(req.url ?? '') ? splitAuthority(req.url ?? '', 443) : undefined;
    if (!t) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (keysFor(t.host, t.port, 443).length === 0 && keysFor(t.host, t.port, 80).length === 0) return tunnel(client, t, head);
    // A key's host: look at the first bytes. TLS is intercepted (when we can); plain HTTP in a
    // tunnel (undici's ProxyAgent sends http:// requests so) is read like any proxied request.
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) client.unshift(head);
    const want = t.host.replace(/\.$/, '');
    peek(client, (first) => {
      if (first[0] !== 0x16) {
        const plain = jsDuplex(client);
        origins.set(plain, { host: want, port: t.port, secure: false });
        inner.emit('connection', plain);
        return;
      }
      if (!opts.intercept || keysFor(t.host, t.port, 443).length === 0) return tunnel(client, t, Buffer.alloc(0), true);
      const interceptor = opts.intercept;
      const tlsSocket = new TLSSocket(client as Socket, {
        isServer: true,
        ALPNProtocols: ['http/1.1'],
        // The certificate is chosen by SNI, which must name the CONNECT target; no SNI, no certificate.
        SNICallback: (servername, done) => {
          if (servername.toLowerCase().replace(/\.$/, '') !== want) return done(new Error('SNI does not name the CONNECT target'));
          interceptor.contextFor(want).then(
            (ctx) => done(null, ctx),
            (err: Error) => done(err),
          );
        },
      });
      tlsSocket.on('error', () => tlsSocket.destroy());
      tlsSocket.once('secure', () => {
        origins.set(tlsSocket, { host: want, port: t.port, secure: true });
        inner.emit('connection', tlsSocket);
      });
    });
  };

  /** A plain tunnel: bytes both ways, untouched. `established`: the 200 was sent already. */
  const tunnel = (client: Duplex, t: { host: string; port: number }, head: Buffer, established = false) => {
    openTunnel(opts.upstream, t.host, t.port).then(
      (server) => {
        sockets.add(server);
        server.on('close', () => sockets.delete(server));
        if (!established) client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) server.write(head);
        server.pipe(client).pipe(server);
        server.on('error', () => client.destroy());
        client.on('close', () => server.destroy());
      },
      () => (established ? client.destroy() : client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')),
    );
  };

  const outer: Server = createServer((req, res) => guarded(res, () => handle(req, res, undefined)));
  outer.on('connect', connect);
  outer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(req, socket, head, undefined));
  outer.on('clientError', (_err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  outer.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  return new Promise((resolve, reject) => {
    outer.once('error', reject);
    outer.listen(0, '127.0.0.1', () => {
      const port = (outer.address() as { port: number }).port;
      resolve({
        port,
        url: `http://${USER}:${opts.token}@127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            httpAgent.destroy();
            httpsAgent.destroy();
            outer.close(() => done());
          }),
      });
    });
  });
}

/** Calls `done` with the first bytes of `s`, left unread in it. */
function peek(s: Duplex, done: (first: Buffer) => void): void {
  const onReadable = () => {
    const b = s.read() as Buffer | null;
    if (b === null) return;
    s.removeListener('readable', onReadable);
    s.unshift(b);
    done(b);
  };
  s.on('readable', onReadable);
}

/**
 * `s` as a plain JS stream. An HTTP server handed a net.Socket reads its handle directly, past
 * bytes already read into JS (the peeked ones); a wrapper has no handle.
 */
function jsDuplex(s: Duplex): Duplex {
  const d = new Duplex({
    read() {
      s.resume();
    },
    write(chunk, encoding, cb) {
      s.write(chunk, encoding, cb);
    },
    final(cb) {
      s.end();
      cb();
    },
    destroy(err, cb) {
      s.destroy();
      cb(err);
    },
  });
  s.on('data', (c: Buffer) => {
    if (!d.push(c)) s.pause();
  });
  s.on('end', () => d.push(null));
  s.on('close', () => d.destroy());
  s.on('error', () => d.destroy());
  return d;
}

/** The request headers that go on: hop-by-hop ones dropped, placeholders swapped (when `forth` has any). */
function forwardHeaders(incoming: IncomingHttpHeaders, forth: readonly Swap[], note: (text: string) => void): OutgoingHttpHeaders {
  const drop = new Set([
    ...HOP_BY_HOP,
    ...String(incoming.connection ?? '')
      .toLowerCase()
      .split(/\s*,\s*/),
  ]);
  const out: OutgoingHttpHeaders = {};
  for (const [name, v] of Object.entries(incoming)) {
    if (v === undefined || drop.has(name)) continue;
    const swap = (s: string) => {
      note(s);
      return swapAll(s, forth);
    };
    out[name] = Array.isArray(v) ? v.map(swap) : swap(v);
  }
  return out;
}

/** A failure in one request ends that request (502), never the run that hosts the proxy. */
function guarded(res: ServerResponse, fn: () => void): void {
  try {
    fn();
  } catch {
    refuse(res, 502, 'upstream');
  }
}

/** A TLS failure because the upstream certificate does not chain to a trusted root. */
function untrustedCertificate(err: NodeJS.ErrnoException): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(String(err.code ?? ''));
}

function refuse(res: ServerResponse, status: number, why: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text: Record<string, string> = {
    auth: 'keyring-inject proxy: this proxy serves only the command it was started for\n',
    misdirected: 'keyring-inject proxy: the Host header does not name the request target\n',
    target: 'keyring-inject proxy: expected an absolute http:// URL (or CONNECT for https)\n',
    upstream: 'keyring-inject proxy: the target could not be reached\n',
    untrusted:
      "keyring-inject proxy: the target's TLS certificate is not trusted (the system roots decide, never NODE_EXTRA_CA_CERTS): if your network inspects TLS, put its CA in proxy/upstream-ca.pem of keyring-inject's data directory (~/.claude/keyring-inject)\n",
    body: 'keyring-inject proxy: the request body is too large to rewrite\n',
    unsendable: 'keyring-inject proxy: the request cannot be sent as it is (a header or the path would hold a character HTTP forbids)\n',
  };
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close', ...(status === 407 ? { 'proxy-authenticate': 'Basic realm="keyring-inject"' } : {}) });
  res.end(text[why] ?? '');
}
