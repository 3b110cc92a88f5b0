// The registry: which keys exist and where each one goes. Pure data and pure operations;
// it never holds a value (values live only in the secret store).
import type { BackendId } from '../keyring/backend.js';
import { parseSourceRef, type SourceRef } from './source-ref.js';
import { isRecord } from '../core/is-record.js';
import { sameEnv, sameHeader, sameServer, serverAddressOf, type EnvAddress, type HeaderAddress, type ServerAddress } from '../claude/address.js';
import { KiError } from '../core/errors.js';
import { parseJson } from '../core/parse-json.js';
import { normalizeHosts } from '../core/hosts.js';

/**
 * How a target gets its value: 'inject' (default, written into the server's `env` in
 * ~/.claude.json while a session needs it) or 'wrap' (zero-disk: the server is started through
 * `keyring-inject exec`, which reads the keyring at spawn time; nothing is ever written).
 */
export type TargetMode = 'inject' | 'wrap';

/** An env var of a server entry that a key feeds. */
export interface Target extends EnvAddress {
  /** Absent means 'inject' (registries written before zero-disk mode have no mode). */
  mode?: TargetMode;
}

/**
 * An HTTP/SSE server header fed by a key through Claude Code's `headersHelper` (always zero-disk).
 * `template` contains `{value}`, e.g. header "Authorization", template "Bearer {value}".
 */
export interface HeaderTarget extends HeaderAddress {
  template: string;
}

export interface KeyRecord {
  targets: Target[];
  /** Header targets (optional; absent in older registries). */
  headers?: HeaderTarget[];
  backend: BackendId;
  createdAt: string;
  rotatedAt?: string;
  /**
   * Where the value lives when it is not in our keyring under the key's name (absent: the
   * keyring, the default). A reference only (`pass github/token`, `aws prod/db`...), never a value.
   */
  source?: SourceRef;
  /**
   * The hosts the key may be sent to (host patterns, src/core/hosts.ts). A key with hosts is a
   * placeholder key: `run` gives its child a placeholder and the proxy puts the value into
   * requests to these hosts only. Absent or empty: the value itself, as before.
   */
  hosts?: string[];
  /**
   * Runtime only, never persisted: a project entry without targets (see sources/team-file.ts) is
   * given to `keyring-inject run` under this variable, its own name.
   */
  runEnv?: string;
}

export interface Registry {
  version: 1;
  keys: Record<string, KeyRecord>;
}

export function emptyRegistry(): Registry {
  return { version: 1, keys: {} };
}

export function targetMode(t: Target): TargetMode {
  return t.mode === 'wrap' ? 'wrap' : 'inject';
}

/**
 * The zero-disk servers (wrap-mode env targets, header targets) of key `name` that no other key
 * feeds: removing `name` leaves them wrapped but with nothing to read.
 */
export function wrappedServersOnlyFedBy(reg: Registry, name: string): ServerAddress[] {
  const rec = reg.keys[name];
  if (!rec) return [];
  const mine = [...rec.targets.filter((t) => targetMode(t) === 'wrap'), ...(rec.headers ?? [])];
  const others = Object.entries(reg.keys)
    .filter(([n]) => n !== name)
    .flatMap(([, r]) => [...r.targets, ...(r.headers ?? [])]);
  const out: ServerAddress[] = [];
  for (const t of mine) {
    if (others.some((o) => sameServer(o, t)) || out.some((o) => sameServer(o, t))) continue;
    out.push(serverAddressOf(t));
  }
  return out;
}

/** Which other key already feeds this header of this server, if any. */
export function headerOwnerOf(reg: Registry, target: HeaderTarget): string | undefined {
  for (const [name, rec] of Object.entries(reg.keys)) {
    if ((rec.headers ?? []).some((t) => sameHeader(t, target))) return name;
  }
  return undefined;
}

/**
 * The registry as the injection engine must see it: only targets in 'inject' mode. Targets in
 * 'wrap' mode get their value at spawn time from `keyring-inject exec` and must never be written
 * into ~/.claude.json. Header targets are never injected either (the engine only knows `targets`).
 */
export function injectionRegistry(reg: Registry): Registry {
  const keys: Record<string, KeyRecord> = {};
  for (const [name, rec] of Object.entries(reg.keys)) {
    keys[name] = { ...rec, targets: rec.targets.filter((t) => targetMode(t) === 'inject') };
  }
  return { ...reg, keys };
}

/** Add header targets to a key (the key must exist). Returns a new registry. */
export function withHeaderTargets(reg: Registry, name: string, targets: readonly HeaderTarget[]): Registry {
  const existing = reg.keys[name];
  if (!existing) return reg;
  const merged = [...(existing.headers ?? [])];
  for (const t of targets) {
    const i = merged.findIndex((m) => sameHeader(m, t));
    if (i === -1) merged.push({ ...t });
    else merged[i] = { ...t }; // a new template replaces the old one
  }
  return { ...reg, keys: { ...reg.keys, [name]: { ...existing, headers: merged } } };
}

/** Set the mode of every env target of the given server entry (any key). Returns a new registry, or `reg` if nothing changed. */
export function withServerMode(reg: Registry, server: ServerAddress, mode: TargetMode): Registry {
  let changed = false;
  const keys: Record<string, KeyRecord> = {};
  for (const [name, rec] of Object.entries(reg.keys)) {
    const targets = rec.targets.map((t) => {
      if (!sameServer(t, server) || targetMode(t) === mode) return t;
      changed = true;
      const { mode: _old, ...rest } = t;
      return mode === 'wrap' ? { ...rest, mode } : rest;
    });
    keys[name] = { ...rec, targets };
  }
  return changed ? { ...reg, keys } : reg;
}

/** Which other key already feeds this exact target, if any: one env var gets one value. */
export function ownerOf(reg: Registry, target: Target): string | undefined {
  for (const [name, rec] of Object.entries(reg.keys)) {
    if (rec.targets.some((t) => sameEnv(t, target))) return name;
  }
  return undefined;
}

/** Add a key, or add targets to an existing key. Returns a new registry. */
export function withKey(reg: Registry, name: string, targets: readonly Target[], backend: BackendId, now: Date): Registry {
  const existing = reg.keys[name];
  const merged = existing ? [...existing.targets] : [];
  for (const t of targets) if (!merged.some((m) => sameEnv(m, t))) merged.push({ ...t });
  const record: KeyRecord = existing ? { ...existing, targets: merged, backend } : { targets: merged, backend, createdAt: now.toISOString() };
  return { ...reg, keys: { ...reg.keys, [name]: record } };
}

/** Set (or, for the default keyring source, clear) where a key's value lives. Returns a new registry. */
export function withSource(reg: Registry, name: string, source: SourceRef | undefined): Registry {
  const existing = reg.keys[name];
  if (!existing) return reg;
  const { source: _old, ...rest } = existing;
  const keep = source && !(source.source === 'keyring' && source.id === name && !source.metadata);
  // `root` is runtime-only (project references); it is never written.
  const record: KeyRecord = keep ? { ...rest, source: { source: source.source, id: source.id, ...(source.metadata ? { metadata: { ...source.metadata } } : {}) } } : rest;
  return { ...reg, keys: { ...reg.keys, [name]: record } };
}

/** Add hosts to a key (in their one spelling, no duplicates). Returns a new registry. */
export function withHosts(reg: Registry, name: string, hosts: readonly string[]): Registry {
  const existing = reg.keys[name];
  if (!existing || hosts.length === 0) return reg;
  const merged = [...(existing.hosts ?? [])];
  for (const h of hosts) if (!merged.includes(h)) merged.push(h);
  return { ...reg, keys: { ...reg.keys, [name]: { ...existing, hosts: merged } } };
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
  const data = parseJson(text, () => new RegistryFormatError(file, 'it is not valid JSON'));
  if (!isRecord(data) || data.version !== 1 || !isRecord(data.keys)) {
    throw new RegistryFormatError(file, 'expected {"version": 1, "keys": {...}}');
  }
  const keys: Record<string, KeyRecord> = {};
  for (const [name, rec] of Object.entries(data.keys)) {
    if (!isRecord(rec) || !Array.isArray(rec.targets) || typeof rec.createdAt !== 'string') {
      throw new RegistryFormatError(file, `key ${JSON.stringify(name)} is malformed`);
    }
    const targets: Target[] = rec.targets.map((t: unknown) => {
      if (!isRecord(t) || typeof t.server !== 'string' || typeof t.env !== 'string' || (t.scope !== 'user' && t.scope !== 'local')) {
        throw new RegistryFormatError(file, `a target of key ${JSON.stringify(name)} is malformed`);
      }
      if (t.scope === 'local' && typeof t.project !== 'string') {
        throw new RegistryFormatError(file, `a local target of key ${JSON.stringify(name)} has no project`);
      }
      if (t.mode !== undefined && t.mode !== 'inject' && t.mode !== 'wrap') {
        throw new RegistryFormatError(file, `a target of key ${JSON.stringify(name)} has an unknown mode`);
      }
      const mode = t.mode === 'wrap' ? { mode: 'wrap' as const } : {};
      return t.scope === 'local' ? { server: t.server, env: t.env, scope: 'local', project: t.project as string, ...mode } : { server: t.server, env: t.env, scope: 'user', ...mode };
    });
    if (rec.headers !== undefined && !Array.isArray(rec.headers)) throw new RegistryFormatError(file, `the headers of key ${JSON.stringify(name)} are malformed`);
    const headers: HeaderTarget[] | undefined = rec.headers?.map((t: unknown) => {
      if (!isRecord(t) || typeof t.server !== 'string' || typeof t.header !== 'string' || typeof t.template !== 'string' || (t.scope !== 'user' && t.scope !== 'local')) {
        throw new RegistryFormatError(file, `a header target of key ${JSON.stringify(name)} is malformed`);
      }
      if (t.scope === 'local' && typeof t.project !== 'string') {
        throw new RegistryFormatError(file, `a local header target of key ${JSON.stringify(name)} has no project`);
      }
      return t.scope === 'local'
        ? { server: t.server, header: t.header, template: t.template, scope: 'local', project: t.project as string }
        : { server: t.server, header: t.header, template: t.template, scope: 'user' };
    });
    let source: SourceRef | undefined;
    if (rec.source !== undefined) {
      const parsed = parseSourceRef(rec.source, name);
      if (typeof parsed === 'string') throw new RegistryFormatError(file, `the source of key ${JSON.stringify(name)} is malformed (${parsed})`);
      source = parsed;
    }
    if (rec.hosts !== undefined && (!Array.isArray(rec.hosts) || rec.hosts.some((h: unknown) => typeof h !== 'string')))
      throw new RegistryFormatError(file, `the hosts of key ${JSON.stringify(name)} are malformed`);
    const hosts =
      rec.hosts === undefined
        ? undefined
        : normalizeHosts(rec.hosts as string[], () => {
            throw new RegistryFormatError(file, `a host of key ${JSON.stringify(name)} is not a valid host pattern`);
          });
    keys[name] = {
      targets,
      ...(headers !== undefined ? { headers } : {}),
      ...(hosts !== undefined && hosts.length > 0 ? { hosts } : {}),
      backend: (typeof rec.backend === 'string' ? rec.backend : 'secret-service') as BackendId,
      createdAt: rec.createdAt,
      ...(typeof rec.rotatedAt === 'string' ? { rotatedAt: rec.rotatedAt } : {}),
      ...(source !== undefined ? { source } : {}),
    };
  }
  return { version: 1, keys };
}

export class RegistryFormatError extends KiError {
  constructor(file: string, why: string) {
    super('registry-invalid', `the registry ${file} is damaged (${why}): fix it by hand, or move it away and re-add your keys`);
    this.name = 'RegistryFormatError';
  }
}
