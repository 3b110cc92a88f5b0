// HashiCorp Vault and OpenBao, KV version 2, over their HTTP API (no CLI): `id` is
// MOUNT/PATH#FIELD, read with GET ADDR/v1/MOUNT/data/PATH[?version=N] and the header
// X-Vault-Token (plus X-Vault-Namespace), the value being data.data[FIELD].
// - ADDR is the address recorded with the reference (metadata.addr: `add` takes it from
//   VAULT_ADDR; a project file's entries get the one the user approved the file with), never
//   the environment of the process that resolves: a wrapped server's `exec` runs with the
//   server entry's `env`, which a repository writes for a `.mcp.json` server. A VAULT_ADDR there
//   that names another address is refused, as is a VAULT_CACERT other than the recorded one
//   (a CA the repository picks could intercept TLS). A reference without an address is refused,
//   naming the command that records one; a project file may not hold one (vault-pin.ts).
// - TLS is always verified: the system CAs plus NODE_EXTRA_CA_CERTS (Node's own) and the
//   recorded CA file (VAULT_CACERT at `add`, a PEM file, as the vault CLI reads it).
//   VAULT_SKIP_VERIFY is ignored, and plain http is refused except to a loopback address (a dev
//   server).
// - The token: VAULT_TOKEN, else ~/.vault-token (what `vault login` writes).
// - One request per distinct secret, over one kept-alive connection per resolve; each request
//   has the source deadline; redirects are not followed; at most 1 MiB is read.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { oneLine } from '../core/errors.js';
import type { Env } from '../core/paths.js';
import { shellQuote } from '../core/shell.js';
import type { SourceRef } from '../registry/source-ref.js';
import { vaultAddress } from '../registry/vault-pin.js';
import type { Availability, Outcome, SecretSource, SourceContext, SourceRequest } from './source.js';

const MAX_BYTES = 1024 * 1024;
const LOGIN_FIX = "log in with 'vault login' (or 'bao login'), or set VAULT_TOKEN";

interface Settings {
  base: URL;
  token: string;
  namespace?: string;
  ca?: string[];
}

/**
 * The command that records the address again: `add` for a key of the registry (ids, names and
 * namespaces are of characters the shell takes as they are), `allow` for a project file's entry.
 */
function recordAgain(ref: SourceRef, name: string | undefined): { cmd: string; recorded: string } {
  if (ref.root !== undefined) return { cmd: `keyring-inject allow ${shellQuote(ref.root)}`, recorded: 'the Vault you approved the project file with' };
  const meta = ['namespace', 'version'].flatMap((k) => (ref.metadata?.[k] ? [` --meta ${k}=${ref.metadata[k]}`] : []));
  return { cmd: `keyring-inject add ${name ?? 'NAME'} --source vault --id ${ref.id}${meta.join('')}`, recorded: 'the Vault this key was added for' };
}

/** Where the token goes (the recorded address), the token and the CA, or why they are not usable (names the fix). */
function settings(env: Env, ref: SourceRef, name?: string): Settings | { problem: string } {
  const again = recordAgain(ref, name);
  const pinned = ref.metadata?.addr;
  if (pinned === undefined)
    return {
      problem: `no Vault address is recorded for this ${ref.root !== undefined ? 'project file' : 'key'}, and your token goes only to a recorded one: run '${again.cmd}' with VAULT_ADDR set to your Vault's address`,
    };
  const moved = (what: string) => `remove it from this program's environment (an MCP server's "env"), or if your Vault moved, run '${again.cmd}' with ${what}`;
  if (env.VAULT_ADDR) {
    const given = vaultAddress(env.VAULT_ADDR);
    if ('problem' in given || given.addr !== pinned)
      return {
        problem: `VAULT_ADDR here is ${'problem' in given ? 'not a valid address' : given.addr}, not ${pinned}, ${again.recorded}: refused, your Vault token goes only there; ${moved('VAULT_ADDR set to the new address')}`,
      };
  }
  const cacert = ref.metadata?.cacert;
  if (env.VAULT_CACERT && resolve(env.VAULT_CACERT) !== cacert)
    return {
      problem: `VAULT_CACERT here is ${oneLine(resolve(env.VAULT_CACERT)).slice(0, 200)}, not ${cacert ?? 'none'}, the CA file of ${again.recorded}: refused, a CA file decides who may answer for your Vault; ${moved('VAULT_CACERT set to the new CA file')}`,
    };
  const addr = vaultAddress(pinned, 'metadata.addr');
  if ('problem' in addr) return addr;
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
  const namespace = ref.metadata?.namespace ?? env.VAULT_NAMESPACE;
  // eslint-disable-next-line no-control-regex
  if (namespace !== undefined && (namespace === '' || /[\u0000-\u001f\u007f]/.test(namespace))) return { problem: 'VAULT_NAMESPACE is not a valid namespace: fix it' };
  let ca: string[] | undefined;
  if (cacert) {
    try {
      ca = [...rootCertificates, readFileSync(cacert, 'utf8')];
    } catch (err) {
      return {
        problem: `cannot read the CA file ${cacert} (VAULT_CACERT when the key was added; ${(err as NodeJS.ErrnoException).code ?? 'error'}): put it back, or run '${again.cmd}' with VAULT_CACERT set to the new one`,
      };
    }
  }
  return { base: addr.url, token, ...(namespace !== undefined ? { namespace } : {}), ...(ca ? { ca } : {}) };
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
      resolve({ error: `Vault did not answer within ${timeoutMs} ms (stopped): check the recorded Vault address and the network, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS` });
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
    return `the TLS certificate of ${url.host} is not trusted (${code}): record its CA's PEM file (VAULT_CACERT when you add the key or allow the project file) or set NODE_EXTRA_CA_CERTS`;
  if (code === 'ECONNREFUSED') return `nothing answers at ${url.origin} (connection refused): check the recorded Vault address and that the server runs`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${url.hostname}: check the recorded Vault address`;
  if (err.message === 'timeout') return `Vault did not answer within ${timeoutMs} ms (stopped): check the recorded Vault address and the network, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS`;
  return `cannot reach Vault at ${url.origin} (${code || oneLine(err.message).slice(0, 80)}): check the recorded Vault address`;
}

/** What one KV v2 answer means for `field`. Never quotes the body. */
export function kvOutcome(reply: Reply, ref: SourceRef, field: string): Outcome {
  if ('error' in reply) return { kind: 'failed', reason: reply.error };
  const { status } = reply;
  if (status === 403) return { kind: 'failed', reason: `Vault refused the token for ${ref.id} (403: permission denied): ${LOGIN_FIX}, and check the token's policy` };
  if (status === 404) return { kind: 'missing', reason: `Vault has no secret at ${ref.id.slice(0, ref.id.lastIndexOf('#'))} (404): check the mount and path (a KV version 2 engine)` };
  if (status >= 300 && status < 400)
    return { kind: 'failed', reason: `Vault answered with a redirect (${status}), which is not followed: record the active node's address (VAULT_ADDR when you add the key)` };
  if (status !== 200) return { kind: 'failed', reason: `Vault answered ${status} for ${ref.id}: check that the server is unsealed and the recorded address is right` };
  let data: unknown;
  try {
    data = (JSON.parse(reply.body) as { data?: { data?: unknown } }).data?.data;
  } catch {
    return { kind: 'failed', reason: `Vault's answer for ${ref.id} is not JSON: check the recorded Vault address` };
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
    // Every check is about the address recorded with a reference: without one there is nothing to check.
    if (!ref) return { ok: true };
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
          const s = settings(ctx.env, req.ref, req.name);
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
