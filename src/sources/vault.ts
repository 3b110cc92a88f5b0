// HashiCorp Vault and OpenBao, KV version 2, over their HTTP API (no CLI): `id` is
// MOUNT/PATH#FIELD, read with GET $VAULT_ADDR/v1/MOUNT/data/PATH[?version=N] and the header
// X-Vault-Token (plus X-Vault-Namespace), the value being data.data[FIELD].
// - The address comes from VAULT_ADDR only, never from a reference: a committed project file
//   must not be able to send your token to a server it names.
// - TLS is always verified: the system CAs plus NODE_EXTRA_CA_CERTS (Node's own) and
//   VAULT_CACERT (a PEM file, as the vault CLI reads it). VAULT_SKIP_VERIFY is ignored, and
//   plain http is refused except to a loopback address (a dev server).
// - The token: VAULT_TOKEN, else ~/.vault-token (what `vault login` writes).
// - One request per distinct secret, over one kept-alive connection per resolve; each request
//   has the source deadline; redirects are not followed; at most 1 MiB is read.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { oneLine } from '../core/errors.js';
import type { Env } from '../core/paths.js';
import type { SourceRef } from '../registry/source-ref.js';
import type { Availability, Outcome, SecretSource, SourceContext, SourceRequest } from './source.js';

const MAX_BYTES = 1024 * 1024;
const LOGIN_FIX = "log in with 'vault login' (or 'bao login'), or set VAULT_TOKEN";

interface Settings {
  base: URL;
  token: string;
  namespace?: string;
  ca?: string[];
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** VAULT_ADDR, the token and the CA, or why they are not usable (names the fix). */
function settings(env: Env, ref?: SourceRef): Settings | { problem: string } {
  const addr = env.VAULT_ADDR;
  if (!addr) return { problem: "VAULT_ADDR is not set: set it to your Vault or OpenBao server's address, e.g. https://vault.example.com:8200" };
  let base: URL;
  try {
    base = new URL(addr);
  } catch {
    return { problem: 'VAULT_ADDR is not a URL: set it to e.g. https://vault.example.com:8200' };
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') return { problem: 'VAULT_ADDR must start with https://' };
  if (base.protocol === 'http:' && !isLoopback(base.hostname)) return { problem: 'VAULT_ADDR uses plain http to a remote host, which would send your token unencrypted: use https://' };
  if (base.username || base.password) return { problem: 'VAULT_ADDR holds credentials: remove them from the URL' };
  let token = env.VAULT_TOKEN;
  if (!token && env.HOME) {
    try {
      token = readFileSync(join(env.HOME, '.vault-token'), 'utf8').trim();
    } catch {
      token = undefined;
    }
  }
  // eslint-disable-next-line no-control-regex
  if (!token || /[\u0000-\u001f\u007f]/.test(token)) return { problem: `no Vault token (VAULT_TOKEN or ~/.vault-token): ${LOGIN_FIX}` };
  const namespace = ref?.metadata?.namespace ?? env.VAULT_NAMESPACE;
  // eslint-disable-next-line no-control-regex
  if (namespace !== undefined && (namespace === '' || /[\u0000-\u001f\u007f]/.test(namespace))) return { problem: 'VAULT_NAMESPACE is not a valid namespace: fix it' };
  let ca: string[] | undefined;
  if (env.VAULT_CACERT) {
    try {
      ca = [...rootCertificates, readFileSync(env.VAULT_CACERT, 'utf8')];
    } catch (err) {
      return { problem: `cannot read VAULT_CACERT ${env.VAULT_CACERT} (${(err as NodeJS.ErrnoException).code ?? 'error'}): fix the path` };
    }
  }
  return { base, token, ...(namespace !== undefined ? { namespace } : {}), ...(ca ? { ca } : {}) };
}

/** The request URL of a reference: /v1/MOUNT/data/PATH (each segment escaped), ?version=N. */
export function vaultUrl(base: URL, ref: SourceRef): { url: URL; field: string } {
  const hash = ref.id.lastIndexOf('#');
  const [mount, ...path] = ref.id.slice(0, hash).split('/');
  const prefix = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.origin);
  url.pathname = `${prefix}/v1/${encodeURIComponent(mount as string)}/data/${path.map(encodeURIComponent).join('/')}`;
  if (ref.metadata?.version) url.searchParams.set('version', ref.metadata.version);
  return { url, field: ref.id.slice(hash + 1) };
}

type Reply = { status: number; body: string } | { error: string };

function get(url: URL, s: Settings, agent: HttpAgent, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'X-Vault-Token': s.token, 'X-Vault-Request': 'true', Accept: 'application/json' };
    if (s.namespace) headers['X-Vault-Namespace'] = s.namespace;
    const opts = { method: 'GET', headers, agent, timeout: timeoutMs, ...(s.ca ? { ca: s.ca } : {}) };
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) {
          req.destroy();
          resolve({ error: `the Vault answer was larger than 1 MiB: check the path` });
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ error: 'the connection to Vault broke off: try again' }));
    };
    const req = url.protocol === 'https:' ? httpsRequest(url, opts, onResponse) : httpRequest(url, opts, onResponse);
    const deadline = setTimeout(() => {
      req.destroy();
      resolve({ error: `Vault did not answer within ${timeoutMs} ms (stopped): check VAULT_ADDR and the network, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS` });
    }, timeoutMs);
    deadline.unref();
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: connectError(err, url, timeoutMs) }));
    req.on('close', () => clearTimeout(deadline));
    req.end();
  });
}

function connectError(err: NodeJS.ErrnoException, url: URL, timeoutMs: number): string {
  const code = err.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/.test(code))
    return `the TLS certificate of ${url.host} is not trusted (${code}): set VAULT_CACERT (or NODE_EXTRA_CA_CERTS) to its CA's PEM file`;
  if (code === 'ECONNREFUSED') return `nothing answers at ${url.origin} (connection refused): check VAULT_ADDR and that the server runs`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${url.hostname}: check VAULT_ADDR`;
  if (err.message === 'timeout') return `Vault did not answer within ${timeoutMs} ms (stopped): check VAULT_ADDR and the network, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS`;
  return `cannot reach Vault at ${url.origin} (${code || oneLine(err.message).slice(0, 80)}): check VAULT_ADDR`;
}

/** What one KV v2 answer means for `field`. Never quotes the body. */
export function kvOutcome(reply: Reply, ref: SourceRef, field: string): Outcome {
  if ('error' in reply) return { kind: 'failed', reason: reply.error };
  const { status } = reply;
  if (status === 403) return { kind: 'failed', reason: `Vault refused the token for ${ref.id} (403: permission denied): ${LOGIN_FIX}, and check the token's policy` };
  if (status === 404) return { kind: 'missing', reason: `Vault has no secret at ${ref.id.slice(0, ref.id.lastIndexOf('#'))} (404): check the mount and path (a KV version 2 engine)` };
  if (status >= 300 && status < 400) return { kind: 'failed', reason: `Vault answered with a redirect (${status}), which is not followed: set VAULT_ADDR to the active node` };
  if (status !== 200) return { kind: 'failed', reason: `Vault answered ${status} for ${ref.id}: check that the server is unsealed and VAULT_ADDR is right` };
  let data: unknown;
  try {
    data = (JSON.parse(reply.body) as { data?: { data?: unknown } }).data?.data;
  } catch {
    return { kind: 'failed', reason: `Vault's answer for ${ref.id} is not JSON: check VAULT_ADDR` };
  }
  // A deleted or destroyed version answers with data null.
  if (data === null) return { kind: 'missing', reason: `the Vault secret ${ref.id} is deleted in that version: restore it or write a new version` };
  if (typeof data !== 'object' || data === undefined || Array.isArray(data)) return { kind: 'failed', reason: `Vault's answer for ${ref.id} has no data.data: is the mount a KV version 2 engine?` };
  const v = (data as Record<string, unknown>)[field];
  if (v === undefined || v === null) return { kind: 'missing', reason: `the Vault secret ${ref.id.slice(0, ref.id.lastIndexOf('#'))} has no field "${field}": fix the part after '#'` };
  if (typeof v === 'string') return v === '' ? { kind: 'missing', reason: `Vault returned an empty value for ${ref.id}` } : { kind: 'value', value: v };
  if (typeof v === 'number' || typeof v === 'boolean') return { kind: 'value', value: String(v) };
  return { kind: 'failed', reason: `field "${field}" of the Vault secret is not a string: pick a string field` };
}

export const vaultSource: SecretSource = {
  kind: 'vault',
  label: 'Vault / OpenBao (KV v2)',

  async available(ctx: SourceContext, ref?: SourceRef): Promise<Availability> {
    const s = settings(ctx.env, ref);
    return 'problem' in s ? { ok: false, reason: s.problem } : { ok: true };
  },

  async resolve(requests: readonly SourceRequest[], ctx: SourceContext): Promise<Map<string, Outcome>> {
    const out = new Map<string, Outcome>();
    const agents: HttpAgent[] = [];
    const calls = new Map<string, Promise<Reply>>();
    try {
      await Promise.all(
        requests.map(async (req) => {
          const s = settings(ctx.env, req.ref);
          if ('problem' in s) return void out.set(req.name, { kind: 'failed', reason: s.problem });
          const { url, field } = vaultUrl(s.base, req.ref);
          const key = `${s.namespace ?? ''}\u0000${url.href}`;
          let call = calls.get(key);
          if (!call) {
            // One kept-alive connection for all the secrets of this resolve.
            let agent = agents[0];
            if (!agent) {
              agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
              agents.push(agent);
            }
            call = get(url, s, agent, ctx.timeoutMs);
            calls.set(key, call);
          }
          out.set(req.name, kvOutcome(await call, req.ref, field));
        }),
      );
    } finally {
      for (const a of agents) a.destroy();
    }
    return out;
  },
};
