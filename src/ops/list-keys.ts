// The registered keys with their targets and whether each is injected now. Reads no value.
import { sameEnv } from '../claude/address.js';
import type { Scope } from '../claude/scope.js';
import { registryFile } from '../core/paths.js';
import { readStateForReport } from '../engine/state.js';
import type { BackendId } from '../keyring/backend.js';
import { loadRegistry } from '../registry/registry-file.js';
import type { OpsContext } from './ops-context.js';

/** One key as `list --json` shows it (a stable shape). */
export interface KeyListing {
  name: string;
  backend: BackendId;
  createdAt: string;
  rotatedAt: string | null;
  targets: { server: string; env: string; scope: Scope; project: string | null; mode: 'inject' | 'wrap'; injected: boolean }[];
  headers: { server: string; header: string; scope: Scope; project: string | null }[];
  hosts: string[];
}

export interface ListKeysReport {
  keys: KeyListing[];
  /** With no key registered and `leftovers` asked for: the names still in the keyring under our service (best effort). */
  leftInKeyring: string[];
}

export async function listKeys(ctx: Pick<OpsContext, 'paths' | 'backend'>, req: { leftovers: boolean }): Promise<ListKeysReport> {
  const reg = await loadRegistry(registryFile(ctx.paths));
  const state = await readStateForReport(ctx.paths);
  const keys = Object.entries(reg.keys)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, rec]) => ({
      name,
      backend: rec.backend,
      createdAt: rec.createdAt,
      rotatedAt: rec.rotatedAt ?? null,
      targets: rec.targets.map((t) => ({
        server: t.server,
        env: t.env,
        scope: t.scope,
        project: t.project ?? null,
        mode: t.mode === 'wrap' ? ('wrap' as const) : ('inject' as const),
        injected: state.injected.some((i) => i.key === name && sameEnv(i, t)),
      })),
      headers: (rec.headers ?? []).map((h) => ({ server: h.server, header: h.header, scope: h.scope, project: h.project ?? null })),
      hosts: rec.hosts ?? [],
    }));
  // The registry can be gone while values stay (after 'uninstall --all'): say so, best effort.
  const leftInKeyring =
    req.leftovers && keys.length === 0
      ? await ctx
          .backend()
          .list()
          .catch(() => [])
      : [];
  return { keys, leftInKeyring };
}
