// How the proxy reaches a target: directly, or through the proxy the user already had
// (HTTPS_PROXY / HTTP_PROXY of the environment `run` started in, minus their NO_PROXY and
// loopback targets): chained, never replaced. Upstream TLS trusts the system roots plus the user's upstream CA file (run-proxy.ts).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { isLoopbackHost } from '../core/hosts.js';
import type { Env } from '../core/paths.js';

export interface Upstream {
  /** The user's proxy for plain HTTP, if any. */
  httpProxy?: URL;
  /** The user's proxy for HTTPS (CONNECT), if any. */
  httpsProxy?: URL;
  noProxy: string[];
  /** PEM certificates upstream TLS trusts. */
  ca: string[];
}

function proxyUrl(text: string | undefined): URL | undefined {
  if (!text) return undefined;
  try {
    const u = new URL(text.includes('://') ? text : `http://${text}`);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

export function upstreamFromEnv(env: Env, ca: string[]): Upstream {
  const httpsProxy = proxyUrl(env.https_proxy ?? env.HTTPS_PROXY ?? env.all_proxy ?? env.ALL_PROXY);
  const httpProxy = proxyUrl(env.http_proxy ?? env.HTTP_PROXY ?? env.all_proxy ?? env.ALL_PROXY);
  const noProxy = (env.no_proxy ?? env.NO_PROXY ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  return { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}), noProxy, ca };
}

/** NO_PROXY as curl reads it: "*", a name (and its subdomains), ".name", "name:port". */
export function bypasses(noProxy: readonly string[], host: string, port: number): boolean {
  const h = host.toLowerCase();
  return noProxy.some((entry) => {
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry) as RegExpExecArray;
    if (m[2] !== undefined && Number(m[2]) !== port) return false;
    const name = (m[1] as string).replace(/^\*?\./, '');
    return h === name || h.endsWith(`.${name}`);
  });
}

/**
 * The user's proxy for a target, if it goes through one. Never for a loopback target: that is
 * this machine (a proxy elsewhere would reach its own), and plain HTTP to it carries the value.
 */
export function proxyFor(up: Upstream, secure: boolean, host: string, port: number): URL | undefined {
  const p = secure ? up.httpsProxy : up.httpProxy;
  return p && !isLoopbackHost(host) && !bypasses(up.noProxy, host, port) ? p : undefined;
}

/** The Proxy-Authorization a proxy URL's credentials ask for, if any. */
export function proxyAuthorization(p: URL): string | undefined {
  if (p.username === '' && p.password === '') return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}`;
}

/** A bare host for net.connect ("[::1]" -> "::1"). */
export function bareHost(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

function connectTo(p: URL, ca: string[]): Socket {
  const port = Number(p.port || (p.protocol === 'https:' ? 443 : 80));
  const host = bareHost(p.hostname);
  return p.protocol === 'https:' ? tlsConnect({ host, port, ca, ...(isIP(host) ? {} : { servername: host }) }) : netConnect({ host, port });
}

/** A raw TCP stream to host:port: direct, or a CONNECT tunnel through the user's proxy. */
export function openTunnel(up: Upstream, host: string, port: number): Promise<Socket> {
  const via = proxyFor(up, true, host, port);
  return new Promise<Socket>((resolve, reject) => {
    if (!via) {
      const s = netConnect({ host: bareHost(host), port });
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
      return;
    }
    const s = connectTo(via, up.ca);
    const auth = proxyAuthorization(via);
    s.once('error', reject);
    s.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > 16384) fail(new Error('the upstream proxy sent an oversized reply'));
        return;
      }
      s.removeListener('data', onData);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1];
      if (status !== '200') return fail(new Error(`the upstream proxy refused the tunnel (${status ?? 'no status'})`));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) s.unshift(rest);
      s.removeListener('error', reject);
      resolve(s);
    };
    const fail = (err: Error) => {
      s.removeListener('data', onData);
      s.destroy();
      reject(err);
    };
    s.on('data', onData);
  });
}
