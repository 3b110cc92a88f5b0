// Whether the keys that servers need can be read right now: the secret store answers, and every
// key mapped to a wrapped or injected server resolves from its source. A wrapped server whose key
// does not resolve fails to start; an injected one starts without it. Names only: the values
// resolved here are dropped at once, never printed.
import { KeyringUnavailableError, oneLine } from '../core/errors.js';
import type { Env } from '../core/paths.js';
import type { SecretBackend } from '../keyring/backend.js';
import type { Registry } from '../registry/registry.js';
import { describeProblem, requestFor, resolveRequests, sourceContext } from '../sources/resolver.js';
import type { ServerHealth } from './report.js';

export interface StoreCheck {
  /** The store's name, e.g. "Secret Service (gnome-keyring, KWallet, KeePassXC)". */
  store: string;
  /** Keys that servers need (checked). */
  needed: number;
  /** Set when the store did not answer: what happened and the fix. */
  unreachable?: { reason: string; fix: string; servers: string[] };
  /** Per key that did not resolve: the problem line (with the fix). */
  keys: { key: string; problem: string }[];
}

export const NEEDS_KEYS: ReadonlySet<ServerHealth['mode']> = new Set(['wrapped', 'inject']);

export async function checkStore(reg: Registry, servers: readonly ServerHealth[], backend: SecretBackend, env: Env): Promise<StoreCheck> {
  const needed = [...new Set(servers.filter((s) => NEEDS_KEYS.has(s.mode)).flatMap((s) => s.keys))].filter((k) => reg.keys[k] !== undefined).sort();
  const check: StoreCheck = { store: backend.label, needed: needed.length, keys: [] };
  if (needed.length === 0) return check;
  const res = await resolveRequests(
    needed.map((k) => requestFor(k, reg.keys[k]?.source)),
    sourceContext(backend, env),
  );
  res.values.clear();
  for (const f of res.failed) {
    if (f.request.ref.source === 'keyring') {
      // The keyring fails as a whole (no bus, locked, no provider): one line for the store.
      if (!check.unreachable) {
        const e = f.error instanceof KeyringUnavailableError ? f.error : undefined;
        check.unreachable = { reason: oneLine(e?.what ?? f.reason), fix: oneLine(e?.fix ?? 'run keyring-inject setup, which explains the choices'), servers: [] };
      }
      continue;
    }
    check.keys.push({ key: f.request.name, problem: describeProblem(f.request, f.reason) });
  }
  for (const m of res.missing) {
    const fix = m.request.ref.source === 'keyring' ? `: run 'keyring-inject rotate ${m.request.name}' to store its value` : '';
    check.keys.push({ key: m.request.name, problem: `${describeProblem(m.request, m.reason)}${fix}` });
  }
  if (check.unreachable) {
    const keyringKeys = new Set(res.failed.filter((f) => f.request.ref.source === 'keyring').map((f) => f.request.name));
    check.unreachable.servers = servers.filter((s) => NEEDS_KEYS.has(s.mode) && s.keys.some((k) => keyringKeys.has(k))).map((s) => s.server);
  }
  return check;
}
