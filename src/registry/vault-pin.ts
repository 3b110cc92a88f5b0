// Where a Vault token may go: the address (and CA file) the user meant, recorded with the
// reference when they add a key (metadata `addr`, `cacert`) or approve a project file (the
// approval). The environment of the process that resolves a key does not choose it: a wrapped
// server's `exec` runs with the `env` of the server's entry, which for a `.mcp.json` server the
// repository writes. Pure: the registry parser imports it on the hooks' path (node:net only when an
// address is checked: loading it costs every hook ~3 ms).
import { isAbsolute, resolve } from 'node:path';
import { nodeNet } from '../core/lazy-load.js';
import type { Env } from '../core/paths.js';

/** The part of a source reference a pin concerns (structural: source-ref.ts imports this module). */
interface Ref {
  source: string;
  metadata?: Record<string, string>;
}

export interface VaultPin {
  /** scheme://host[:port][/prefix], as `vaultAddress` spells it. */
  addr: string;
  /** Absolute path of the CA's PEM file (VAULT_CACERT). */
  cacert?: string;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (h.startsWith('127.') && nodeNet().isIP(h) === 4);
}

/**
 * An address in its one spelling (origin plus any path prefix, no trailing slash; a query or
 * fragment dropped, as requests never use them), or why it cannot be used. `what` names it in
 * the problem (VAULT_ADDR, metadata.addr).
 */
export function vaultAddress(raw: string, what = 'VAULT_ADDR'): { addr: string; url: URL } | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: `${what} is not a URL: set it to e.g. https://vault.example.com:8200` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: `${what} must start with https://` };
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) return { problem: `${what} uses plain http to a remote host, which would send your token unencrypted: use https://` };
  if (url.username || url.password) return { problem: `${what} holds credentials: remove them from the URL` };
  const addr = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return { addr, url: new URL(addr) };
}

/** VAULT_CACERT made absolute against `cwd`; undefined without it. */
export function cacertFromEnv(env: Env, cwd: string): string | undefined {
  return env.VAULT_CACERT ? resolve(cwd, env.VAULT_CACERT) : undefined;
}

/** The pin the environment names (VAULT_ADDR, and VAULT_CACERT as cacertFromEnv reads it); undefined without VAULT_ADDR. */
export function pinFromEnv(env: Env, cwd: string): VaultPin | { problem: string } | undefined {
  if (!env.VAULT_ADDR) return undefined;
  const a = vaultAddress(env.VAULT_ADDR);
  if ('problem' in a) return a;
  const cacert = cacertFromEnv(env, cwd);
  return { addr: a.addr, ...(cacert ? { cacert } : {}) };
}

/** The same address and CA file. */
export function samePin(a: VaultPin | undefined, b: VaultPin | undefined): boolean {
  return a?.addr === b?.addr && a?.cacert === b?.cacert;
}

/** The reference with `pin` recorded (replacing any earlier one). */
export function withPin<R extends Ref>(ref: R, pin: VaultPin): R {
  const { addr: _a, cacert: _c, ...rest } = ref.metadata ?? {};
  return { ...ref, metadata: { ...rest, addr: pin.addr, ...(pin.cacert ? { cacert: pin.cacert } : {}) } };
}

/** The reference without a pin: what it reads, whichever Vault it is read from. */
export function withoutPin<R extends Ref>(ref: R): R {
  if (ref.source !== 'vault' || !ref.metadata) return ref;
  const { addr: _a, cacert: _c, ...rest } = ref.metadata;
  const { metadata: _m, ...bare } = ref;
  return (Object.keys(rest).length > 0 ? { ...bare, metadata: rest } : bare) as R;
}

/** Why metadata `key` of a vault reference is not a valid pin (undefined: valid, or not a pin key). */
export function pinMetadataProblem(key: string, v: string): string | undefined {
  if (key === 'addr') {
    const a = vaultAddress(v, 'metadata.addr of the vault reference');
    if ('problem' in a) return a.problem;
    if (a.addr !== v) return `metadata.addr of the vault reference is not valid: give it as ${a.addr}`;
  }
  if (key === 'cacert' && !isAbsolute(v)) return 'metadata.cacert of the vault reference must be an absolute path';
  return undefined;
}

/** A project file (written by a repository) may not choose where your token goes. */
export function pinInProjectProblem(ref: Ref): string | undefined {
  if (ref.source !== 'vault' || (ref.metadata?.addr === undefined && ref.metadata?.cacert === undefined)) return undefined;
  return "a project file may not choose the Vault address or CA (metadata.addr, metadata.cacert): each developer's own VAULT_ADDR is recorded when they approve the file";
}
