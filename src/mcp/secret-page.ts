// The one-time page where the user types a secret that Claude asked for (request_secret). It
// never passes through Claude Code: the browser posts it straight to this process, which hands
// it to `store` (the keyring) and forgets it.
//
//   - 127.0.0.1 only, a random port, a 256-bit token in the path (http://127.0.0.1:P/s/TOKEN);
//   - single use: the first acceptable POST consumes the token and closes the page;
//   - expires (default 5 minutes);
//   - the value only in a POST body (application/x-www-form-urlencoded, at most 32 KiB); a value
//     in a GET query is refused (the browser keeps URLs in its history);
//   - Host must be 127.0.0.1:P or localhost:P (a DNS-rebinding page on another name is refused),
//     and a browser's POST must come from this page itself (page-origin.ts);
//   - a plain HTML form, no script, no external resource; no-store, no framing, a referrer only
//     to this origin (so that the browser's Origin header names it).
//
// A request without the token is answered and forgotten: any local program can connect, and it
// must not be able to end a page that is waiting for its user. Anything hostile that holds the
// token (another origin, a value in a URL, an oversized body) means the link got out: it ends
// the page, nothing is stored and the tool call answers why. Nothing here logs; error texts
// never hold the body.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderDone, renderForm, renderRefusal } from './page-html.js';
import { submittedFromOwnPage } from './page-origin.js';
import type { PageRequest } from './page-request.js';

export const DEFAULT_PAGE_TTL_MS = 5 * 60_000;
export const MAX_BODY_BYTES = 32 * 1024;
/** How long the "Stored" page stays readable after the value was stored. */
export const DONE_PAGE_LINGER_MS = 30_000;

export type PageOutcome =
  | { kind: 'stored' }
  /** A hostile or malformed request ended the page; nothing stored. */
  | { kind: 'refused'; reason: string }
  | { kind: 'expired'; minutes: number }
  /** close() was called (the user declined in Claude Code, or the client went away). */
  | { kind: 'closed' }
  /** `store` failed (keyring locked...). One line, never the value. */
  | { kind: 'failed'; reason: string };

export interface SecretPage {
  url: string;
  /** Settles once, with the first thing that ends the page. */
  outcome: Promise<PageOutcome>;
  close(): void;
}

const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Open the page; `store` receives the submitted value (memory only) and must throw on failure. */
export async function openSecretPage(req: PageRequest, store: (value: string) => Promise<void>): Promise<SecretPage> {
  const token = randomBytes(32).toString('base64url');
  const ttlMs = req.ttlMs ?? DEFAULT_PAGE_TTL_MS;
  let settle!: (o: PageOutcome) => void;
  const outcome = new Promise<PageOutcome>((resolve) => (settle = resolve));
  let done = false;
  let consumed = false;
  let stored = false;
  let port = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      // handle() answers every request itself; this only guards against a broken socket.
      if (!response.headersSent) reply(response, 500, renderRefusal('Something went wrong. Nothing was stored.'));
    });
  });
  const finish = (o: PageOutcome) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    settle(o);
    if (o.kind === 'stored') {
      // The browser follows the redirect to the "Stored" page, and a reload or the back button
      // re-reads that page (a GET) for a little while, instead of offering to post the form
      // again; then the port closes. It never keeps the process alive.
      server.unref();
      setTimeout(stopListening, DONE_PAGE_LINGER_MS).unref();
    } else stopListening();
  };
  // Stop listening; the answer to the request that ended the page still goes out.
  const stopListening = () => {
    server.close();
    setImmediate(() => server.closeIdleConnections());
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  };
  const timer = setTimeout(() => finish({ kind: 'expired', minutes: Math.max(1, Math.round(ttlMs / 60_000)) }), ttlMs);
  timer.unref();

  const reply = (res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      connection: 'close',
      ...extra,
    });
    res.end(html);
  };
  const refuse = (res: ServerResponse, status: number, why: string, page: string) => {
    reply(res, status, renderRefusal(page));
    finish({ kind: 'refused', reason: why });
  };

  async function handle(request: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (!path.startsWith('/s/') || !sameToken(path.slice(3), token)) {
      // /favicon.ico, a stale link, or another program probing the port: it ends nothing.
      reply(res, 404, renderRefusal('Wrong or expired link. Nothing was stored.'));
      return;
    }
    const host = request.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      // Another host name pointing at 127.0.0.1: a web page trying DNS rebinding.
      return refuse(res, 421, 'a request for another host name reached the page (a web page trying to reach it through DNS rebinding?)', 'Wrong host. Nothing was stored.');
    }
    if (stored && request.method === 'GET' && q < 0) {
      reply(res, 200, renderDone(req));
      return;
    }
    if (done || consumed) {
      // Whatever ended the page (or the submission under way) decides the outcome.
      reply(res, 410, renderRefusal('This link was used already or has expired. Nothing was stored from this request.'));
      return;
    }
    if (request.method === 'GET') {
      if (q >= 0)
        return refuse(
          res,
          400,
          'the value came in the page address (a GET query), which browsers keep in their history; use the form',
          'The value was put in the address, where the browser keeps it in its history. Nothing was stored: close this tab and ask Claude again.',
        );
      reply(res, 200, renderForm(req, path));
      return;
    }
    if (request.method !== 'POST') {
      reply(res, 405, renderRefusal('Use the form.'), { allow: 'GET, POST' });
      return;
    }
    if (!submittedFromOwnPage(request.headers, port)) return refuse(res, 403, 'a form on another web site tried to submit to the page', 'Submitted from another site. Nothing was stored.');
    if (q >= 0) return refuse(res, 400, 'the value came in the page address (a query), which browsers keep in their history; use the form', 'The value was put in the address. Nothing was stored.');
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') return refuse(res, 415, 'the submission was not a form post (application/x-www-form-urlencoded)', 'Not a form submission. Nothing was stored.');
    const declared = Number(request.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) return refuse(res, 413, `the submission was larger than ${MAX_BODY_BYTES / 1024} KiB`, 'Too large. Nothing was stored.');
    const body = await readBody(request, MAX_BODY_BYTES);
    if (body === undefined) return refuse(res, 413, `the submission was larger than ${MAX_BODY_BYTES / 1024} KiB`, 'Too large. Nothing was stored.');
    if (done || consumed) {
      reply(res, 410, renderRefusal('This link was used already or has expired. Nothing was stored from this request.'));
      return;
    }
    const value = new URLSearchParams(body.toString('utf8')).get('value');
    const clean = value?.replace(/\r?\n$/, '');
    if (clean === undefined || clean === '') {
      reply(res, 400, renderForm(req, path, 'The value was empty. Paste it and submit again.'));
      return;
    }
    if (clean.includes('\u0000')) {
      reply(res, 400, renderForm(req, path, 'The value contains a NUL character, which an environment variable cannot hold.'));
      return;
    }
    consumed = true;
    try {
      await store(clean);
    } catch (err) {
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
      reply(res, 500, renderRefusal(`It could not be stored: ${reason}`));
      finish({ kind: 'failed', reason });
      return;
    }
    stored = true;
    // Post/Redirect/Get: the "Stored" page is a GET, so reloading it never posts again.
    reply(res, 303, renderDone(req), { location: path });
    finish({ kind: 'stored' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/s/${token}`, outcome, close: () => finish({ kind: 'closed' }) };
}

/** The body, or undefined past `max` bytes (then the rest is not read). */
function readBody(request: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        request.removeAllListeners('data');
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    request.once('end', () => resolve(size > max ? undefined : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}
