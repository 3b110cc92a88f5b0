// The registry: which keys exist and where each one goes. Pure data and pure operations;
// it never holds a value (values live only in the secret store).
import type { BackendId } from '../keyring/backend.js';

export type Scope = 'user' | 'local';

export interface Target {
  server: string;
  env: string;
  scope: Scope;
  /** Absolute project path: the key of `projects` in ~/.claude.json. Only for scope "local". */
  project?: string;
}

export interface KeyRecord {
  targets: Target[];
  backend: BackendId;
  createdAt: string;
  rotatedAt?: string;
}

export interface Registry {
  version: 1;
  keys: Record<string, KeyRecord>;
}

export function emptyRegistry(): Registry {
  return { version: 1, keys: {} };
}

export function sameTarget(a: Target, b: Target): boolean {
  return a.server === b.server && a.env === b.env && a.scope === b.scope && (a.project ?? '') === (b.project ?? '');
}

export function describeTarget(t: Target): string {
  return t.scope === 'local' ? `${t.server}.env.${t.env} (local: ${t.project})` : `${t.server}.env.${t.env} (user)`;
}

/** Which other key already feeds this exact target, if any: one env var gets one value. */
export function ownerOf(reg: Registry, target: Target): string | undefined {
  for (const [name, rec] of Object.entries(reg.keys)) {
    if (rec.targets.some((t) => sameTarget(t, target))) return name;
  }
  return undefined;
}

/** Add a key, or add targets to an existing key. Returns a new registry. */
export function withKey(reg: Registry, name: string, targets: readonly Target[], backend: BackendId, now: Date): Registry {
  const existing = reg.keys[name];
  const merged = existing ? [...existing.targets] : [];
  for (const t of targets) if (!merged.some((m) => sameTarget(m, t))) merged.push({ ...t });
  const record: KeyRecord = existing
    ? { ...existing, targets: merged, backend }
    : { targets: merged, backend, createdAt: now.toISOString() };
  return { ...reg, keys: { ...reg.keys, [name]: record } };
}

export function withRotated(reg: Registry, name: string, now: Date): Registry {
  const existing = reg.keys[name];
  if (!existing) return reg;
  return { ...reg, keys: { ...reg.keys, [name]: { ...existing, rotatedAt: now.toISOString() } } };
}

export function withoutKey(reg: Registry, name: string): Registry {
  const keys = { ...reg.keys };
  delete keys[name];
  return { ...reg, keys };
}

/** Parse and validate registry JSON; a hand-edited or damaged file gets a clear error. */
export function parseRegistry(text: string, file: string): Registry {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new RegistryFormatError(file, 'it is not valid JSON');
  }
  if (!isObject(data) || data.version !== 1 || !isObject(data.keys)) {
    throw new RegistryFormatError(file, 'expected {"version": 1, "keys": {...}}');
  }
  const keys: Record<string, KeyRecord> = {};
  for (const [name, rec] of Object.entries(data.keys)) {
    if (!isObject(rec) || !Array.isArray(rec.targets) || typeof rec.createdAt !== 'string') {
      throw new RegistryFormatError(file, `key ${JSON.stringify(name)} is malformed`);
    }
    const targets: Target[] = rec.targets.map((t: unknown) => {
      if (!isObject(t) || typeof t.server !== 'string' || typeof t.env !== 'string' || (t.scope !== 'user' && t.scope !== 'local')) {
        throw new RegistryFormatError(file, `a target of key ${JSON.stringify(name)} is malformed`);
      }
      if (t.scope === 'local' && typeof t.project !== 'string') {
        throw new RegistryFormatError(file, `a local target of key ${JSON.stringify(name)} has no project`);
      }
      return t.scope === 'local'
        ? { server: t.server, env: t.env, scope: 'local', project: t.project as string }
        : { server: t.server, env: t.env, scope: 'user' };
    });
    keys[name] = {
      targets,
      backend: (typeof rec.backend === 'string' ? rec.backend : 'secret-service') as BackendId,
      createdAt: rec.createdAt,
      ...(typeof rec.rotatedAt === 'string' ? { rotatedAt: rec.rotatedAt } : {}),
    };
  }
  return { version: 1, keys };
}

export class RegistryFormatError extends Error {
  constructor(file: string, why: string) {
    super(`the registry ${file} is damaged (${why}): fix it by hand, or move it away and re-add your keys`);
    this.name = 'RegistryFormatError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
