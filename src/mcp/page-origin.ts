// Whether a POST to the one-time page came from the page itself, judged from the headers real
// browsers send (measured with Chromium 156 and Firefox ESR 153; docs/claude-asks.md):
//
//   - Sec-Fetch-Site: both send it to 127.0.0.1 (a trustworthy origin). The page's own form:
//     `same-origin`; a page on another loopback port: `same-site`; localhost vs 127.0.0.1, a
//     sandboxed iframe, a file:// page: `cross-site`. Only `same-origin` is ours.
//   - Origin: both send it on every form POST. Our page sets Referrer-Policy `same-origin`, so
//     its own POST carries `http://127.0.0.1:PORT` (under `no-referrer` it would be `null`). A
//     sandboxed iframe and a file:// page send `null`, another port its own origin: anything but
//     our own origin is refused, `null` included.
//   - Neither header: not a browser (curl, a script). Such a client had to learn the 256-bit token
//     from the link, which is the capability the page hands out, so it is let through.
import type { IncomingHttpHeaders } from 'node:http';

export function submittedFromOwnPage(headers: IncomingHttpHeaders, port: number): boolean {
  const fetchSite = headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false;
  const origin = headers.origin;
  return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}
