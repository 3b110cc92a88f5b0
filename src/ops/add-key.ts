// Add a key to the user's registry: the value into the keyring (or a reference to another
// source), the targets it feeds into the registry, and, in wrap mode, the servers wrapped.
import { resolve } from 'node:path';
import { describeEnv, describeHeader, type ServerAddress } from '../claude/address.js';
import { readConfigView, serversIn, type ConfigView } from '../claude/config-read.js';
import { HTTP_TYPES } from '../claude/config-servers.js';
import { projectKeyFor } from '../claude/project-key.js';
import { parseScope } from '../claude/scope.js';
import { KiError, UsageError } from '../core/errors.js';
import { checkEnvName, checkServerName } from '../core/names.js';
import { registryFile } from '../core/paths.js';
import { suggestEnv } from '../core/server-env.js';
import {
  headerOwnerOf,
  ownerOf,
  withHeaderTargets,
  withHosts,
  withKey,
  withServerMode,
  withSource,
  type HeaderTarget,
  type KeyRecord,
  type Registry,
  type Target,
  type TargetMode,
} from '../registry/registry.js';
import { describeRef, sameRef, type SourceRef } from '../registry/source-ref.js';
import { loadRegistry, updateRegistry } from '../registry/registry-file.js';
import { parseHeaderSpec, parseMode, wrapAfterAdd, wrappedServers } from '../wrap/add-zero-disk.js';
import type { SecretBackend } from '../keyring/backend.js';
import type { OpsContext } from './ops-context.js';
import { withoutPin } from '../registry/vault-pin.js';
import { addForSource, pinnedRef, refuseStdinFor, sourceNeedsAdd, sourceOrKeyring, type KeyInput } from './key-sources.js';

/** The flags of `add` as given (checked here, in the order the user meets them). */
export interface AddKeyRequest extends KeyInput {
  name: string;
  /** Empty: asked on a terminal. */
  servers: readonly string[];
  env?: string;
  header?: string;
  mode?: string;
  scope?: string;
  project?: string;
  /** Where the value lives; undefined: the keyring under the key's name. */
  source?: SourceRef;
  /** A source was named (--source), even the keyring. */
  sourceGiven: boolean;
  hosts: readonly string[];
}

export interface AddKeyReport {
  name: string;
  /** The key was not in the registry before. */
  isNew: boolean;
  /** The value was stored in the keyring. */
  stored: boolean;
  backend: { id: string; label: string };
  /** The source the key was added with, when it is not the keyring. */
  source?: SourceRef;
  /** The key's source as recorded (the keyring under its name by default). */
  keySource: SourceRef;
  record: KeyRecord | undefined;
  mode: TargetMode;
  /** Servers wrapped by this add (wrap mode), as they read in messages. */
  wrapped: string[];
  /** Servers that were wrapped already: the new targets follow them. */
  alreadyWrapped: ServerAddress[];
  /** A key that was there: its source's settings recorded again (a Vault address). */
  sourceUpdated: boolean;
}

/** One env var or header gets one key. `withFix`: say how to free it (not for the re-check under the lock, whose wording is shorter). */
function refuseTaken(reg: Registry, name: string, targets: readonly Target[], headers: readonly HeaderTarget[], withFix: boolean): void {
  const fix = (owner: string, flag: string) => (withFix ? `: run 'keyring-inject remove ${owner}' or choose another ${flag}` : '');
  for (const t of targets) {
    const owner = ownerOf(reg, t);
    if (owner && owner !== name) throw new KiError('key-conflict', `${describeEnv(t)} already receives key ${owner}${fix(owner, '--env')}`);
  }
  for (const t of headers) {
    const owner = headerOwnerOf(reg, t);
    if (owner && owner !== name) throw new KiError('key-conflict', `${describeHeader(t)} already receives key ${owner}${fix(owner, '--header')}`);
  }
}

/** Where the key goes: scope, servers and variable or header, asked on a terminal where missing; and the config as read (null: unreadable, warned). */
async function whereItGoes(ctx: OpsContext, req: AddKeyRequest) {
  const { name } = req;
  const warn = (text: string) => req.notify({ kind: 'warn', text });
  const note = (text: string) => req.notify({ kind: 'note', text });
  let scope = parseScope(req.scope);
  if (req.project !== undefined && scope !== 'local') throw new UsageError('--project goes with --scope local');
  let project = scope === 'local' ? projectKeyFor(resolve(ctx.cwd, req.project ?? '.')) : undefined;

  const view = await readConfigView(ctx.paths.configFile).catch((err: Error) => {
    warn(err.message);
    return null; // unreadable: warned once here, not again as "missing"
  });
  const known = view ? serversIn(view, scope, project) : [];

  let servers = [...req.servers];
  if (servers.length === 0) {
    if (!req.interactive) throw new UsageError('missing --server: name the MCP server that gets this key');
    const suggestion = known[0];
    const hint = known.length ? ` (${known.join(', ')})` : '';
    const answer = (await req.ask(`MCP server${hint}${suggestion ? ` [${suggestion}]` : ''}: `)).trim() || suggestion;
    if (!answer) throw new UsageError('missing --server: name the MCP server that gets this key');
    servers = [answer];
  }
  servers.forEach(checkServerName);
  // 'claude mcp add' puts a server in the local scope of the current project by default: a
  // key for it must go there too, not to a user-scope server of the same name that does not exist.
  if (req.scope === undefined && view) {
    const here = projectKeyFor(ctx.cwd);
    if (servers.every((s) => !view.userServers.includes(s) && view.localServers(here).includes(s))) {
      scope = 'local';
      project = here;
      note(`${servers.join(', ')}: a local-scope server of ${here}, so the key goes there (--scope user to choose the user scope)`);
    }
  }

  if (req.header !== undefined && req.env !== undefined) throw new UsageError('give either --env (stdio server) or --header (http server), not both');
  const mode = parseMode(req.mode, req.header !== undefined);
  const header = req.header === undefined ? undefined : parseHeaderSpec(req.header);

  let envVar = req.env;
  if (envVar === undefined && header === undefined) {
    // The variable the server actually reads: from its config entry or its documentation.
    const first = servers[0] as string;
    const facts = view?.server(scope, project, first);
    const suggestion = suggestEnv({ server: first, ...facts }, name);
    if (suggestion.sure) {
      envVar = suggestion.env;
      note(`environment variable: ${envVar} (${suggestion.why}; --env to choose another)`);
    } else if (!req.interactive) {
      throw new UsageError(`missing --env: name the environment variable the server reads${suggestion.why === 'from the key name' ? '' : ` (perhaps ${suggestion.env}: ${suggestion.why})`}`);
    } else {
      envVar = (await req.ask(`Environment variable ${first} reads [${suggestion.env}]: `)).trim() || suggestion.env;
    }
  }
  if (envVar !== undefined) checkEnvName(envVar);
  const modeField = mode === 'wrap' ? { mode } : {};
  const refs: ServerAddress[] = servers.map((server) => (scope === 'local' ? { server, scope, project: project as string } : { server, scope }));
  const targets: Target[] = envVar === undefined ? [] : refs.map((r) => ({ ...r, env: envVar, ...modeField }));
  const headerTargets: HeaderTarget[] = header === undefined ? [] : refs.map((r) => ({ ...r, ...header }));
  return { view, mode, header, envVar, refs, targets, headerTargets };
}

/** The servers as the config has them: missing, or an http server that an env var does not reach. A warning each: the key is stored anyway. */
function warnAboutServers(ctx: OpsContext, view: ConfigView | null | undefined, refs: readonly ServerAddress[], envVar: string | undefined, warn: (text: string) => void): void {
  if (view === undefined) warn(`${ctx.paths.configFile} does not exist yet: run Claude Code once and add the MCP server with 'claude mcp add'; the key is stored anyway`);
  for (const t of refs) {
    if (view && !serversIn(view, t.scope, t.project).includes(t.server)) {
      warn(`MCP server ${JSON.stringify(t.server)} is not in ${ctx.paths.configFile} (${t.scope} scope) yet; add it with 'claude mcp add', the key is stored anyway`);
    }
    const type = view?.server(t.scope, t.project, t.server)?.type;
    if (envVar !== undefined && type !== undefined && HTTP_TYPES.has(type)) {
      warn(
        `MCP server ${JSON.stringify(t.server)} is an ${type} server: Claude Code gives it no environment, so ${envVar} reaches nothing; use --header 'Authorization: Bearer {value}' (or the header its docs name) instead`,
      );
    }
  }
}

/** The value: into the keyring for a new key, to its source (see addForSource), or, piped in again for a stored key, checked to be the same. */
async function takeValue(ctx: OpsContext, req: AddKeyRequest, source: SourceRef | undefined, before: KeyRecord | undefined, backend: SecretBackend): Promise<void> {
  const { name } = req;
  const isNew = before === undefined;
  if (source && (isNew || (await sourceNeedsAdd(source)))) {
    // Another source holds the value: only the reference to record (and what that source needs: see addForSource).
    await addForSource(ctx, req, source, name);
  } else if (isNew) {
    await backend.set(name, await req.readValue(`Value for ${name} (input hidden)`));
  } else if (req.stdin) {
    // add only adds targets to a stored key. A script that pipes the same value again is
    // fine; a different value is refused rather than silently dropped or swapped in.
    const ref = sourceOrKeyring(name, before.source);
    if (ref.source !== 'keyring') refuseStdinFor(req, ref);
    const value = await req.readValue('');
    if ((await backend.get(ref.id)) !== value) {
      throw new KiError(
        'key-conflict',
        `key ${name} is already stored with a different value: nothing changed; 'keyring-inject rotate ${name}' replaces the value, then add the targets without --stdin`,
      );
    }
  }
}

export async function addKey(ctx: OpsContext, req: AddKeyRequest): Promise<AddKeyReport> {
  const { name } = req;
  // A vault reference records where its token may go, from here (refused when nothing says).
  const source = req.source && pinnedRef(ctx, req.source);
  const warn = (text: string) => req.notify({ kind: 'warn', text });
  const file = registryFile(ctx.paths);
  // A vault key added again with its reference and no target: its address recorded again (from here, the user's shell).
  const existing = (await loadRegistry(file)).keys[name];
  if (source?.source === 'vault' && existing?.source && sameRef(withoutPin(existing.source), withoutPin(source)) && req.servers.length === 0 && req.env === undefined && req.header === undefined) {
    return recordSourceAgain(ctx, name, source);
  }
  const { view, mode, header, envVar, refs, targets, headerTargets } = await whereItGoes(ctx, req);

  // Refuse before asking for the value: one env var gets one key.
  const current = await loadRegistry(file);
  const before = current.keys[name];
  const sameSource = before !== undefined && sameRef(withoutPin(sourceOrKeyring(name, before.source)), withoutPin(sourceOrKeyring(name, source)));
  if (before && req.sourceGiven && !sameSource) {
    throw new KiError('key-external', `key ${name} already takes its value from ${describeRef(sourceOrKeyring(name, before.source))}: run 'keyring-inject remove ${name}' first to change its source`);
  }
  const sourceUpdated = before !== undefined && source !== undefined && before.source !== undefined && sameSource && !sameRef(before.source, source);
  refuseTaken(current, name, targets, headerTargets, true);
  warnAboutServers(ctx, view, refs, envVar, warn);

  const alreadyWrapped = req.mode === undefined && header === undefined ? await wrappedServers(ctx.paths.configFile, refs) : [];
  const backend = ctx.backend();
  const isNew = before === undefined;
  await takeValue(ctx, req, source, before, backend);

  const record = await updateRegistry(file, (reg) => {
    refuseTaken(reg, name, targets, headerTargets, false);
    let registry = withKey(reg, name, targets, backend.id, ctx.now());
    if ((isNew || sourceUpdated) && source) registry = withSource(registry, name, source);
    if (headerTargets.length > 0) registry = withHeaderTargets(registry, name, headerTargets);
    registry = withHosts(registry, name, req.hosts);
    // A server that is wrapped already reads all its keys at spawn: new targets follow it.
    for (const r of alreadyWrapped) registry = withServerMode(registry, r, 'wrap');
    return { registry, result: registry.keys[name] };
  });

  const wrapped = mode === 'wrap' ? await wrapAfterAdd(ctx, refs, warn) : [];
  return {
    name,
    isNew,
    stored: isNew && !source,
    backend: { id: backend.id, label: backend.label },
    ...(isNew && source ? { source } : {}),
    keySource: sourceOrKeyring(name, record?.source),
    record,
    mode,
    wrapped,
    alreadyWrapped,
    sourceUpdated,
  };
}

/** The key's source replaced by `source` (the same reference, a new Vault address); its targets untouched. */
async function recordSourceAgain(ctx: OpsContext, name: string, source: SourceRef): Promise<AddKeyReport> {
  const record = await updateRegistry(registryFile(ctx.paths), (reg) => {
    const registry = reg.keys[name] ? withSource(reg, name, source) : reg;
    return { registry, result: registry.keys[name] };
  });
  if (!record) throw new KiError('key-not-found', `key ${name} was removed meanwhile: add it again`);
  const backend = ctx.backend();
  const mode = record.targets.some((t) => t.mode === 'wrap') ? 'wrap' : 'inject';
  const keySource = sourceOrKeyring(name, record.source);
  return { name, isNew: false, stored: false, backend: { id: backend.id, label: backend.label }, keySource, record, mode, wrapped: [], alreadyWrapped: [], sourceUpdated: true };
}
