// Add a key to a project: a reference (never a value) in the project's .claude/secrets.json,
// for 'keyring-inject run' there; a keyring reference gets its value stored too.
import { resolve } from 'node:path';
import { KiError, UsageError } from '../core/errors.js';
import { checkEnvName, checkServerName, defaultEnvName } from '../core/names.js';
import { registryFile } from '../core/paths.js';
import { describeRef, sameRef, type SourceKind, type SourceRef } from '../registry/source-ref.js';
import { loadRegistry } from '../registry/registry-file.js';
import { pinFromEnv, pinInProjectProblem, withPin } from '../registry/vault-pin.js';
import { approvalState, approve } from '../sources/approval.js';
import { refusedVariable, userKeyringItems } from '../sources/team-file-policy.js';
import { loadProjectFile, projectFileFor, writeProjectFile, type ProjectTarget } from '../sources/team-file.js';
import { refPathProblem } from '../sources/source-path.js';
import type { OpsContext } from './ops-context.js';
import { addForSource, checkedRef, type KeyInput } from './key-sources.js';

export interface AddProjectKeyRequest extends KeyInput {
  name: string;
  /** A directory of the project (relative to the current one). */
  project: string;
  /** The source as given; none of the three: the entry's own source, or the keyring under NAME. */
  kind?: SourceKind;
  id?: string;
  metadata?: Record<string, string>;
  /** Empty (and no env): asked on a terminal, or none for a new entry `run` gives as NAME. */
  servers: readonly string[];
  env?: string;
  hosts: readonly string[];
}

export interface AddProjectKeyReport {
  name: string;
  /** A value was stored in the keyring under `ref.id`. */
  stored: boolean;
  backendLabel: string;
  ref: SourceRef;
  projectFile: string;
  /** The entry was there before (and is updated). */
  existed: boolean;
  targets: ProjectTarget[];
  hosts: string[];
  /** The user's registry has a key of the same name, which wins on this machine. */
  shadowedByRegistry: boolean;
}

export async function addProjectKey(ctx: OpsContext, req: AddProjectKeyRequest): Promise<AddProjectKeyReport> {
  const { name } = req;
  const where = projectFileFor(resolve(ctx.cwd, req.project), ctx.paths.configDir);
  const project = await loadProjectFile(where);
  const existing = project.entries.get(name);

  let ref: SourceRef;
  if (req.kind === undefined && req.id === undefined && !req.metadata && existing) ref = existing.ref;
  else ref = checkedRef({ source: req.kind ?? 'keyring', id: req.id ?? name, ...(req.metadata ? { metadata: req.metadata } : {}) });
  if (ref.source === 'os-keyring') throw new UsageError("a project file may not read other programs' keyring items (--source os-keyring): use the keyring or another source");
  const pinned = pinInProjectProblem(ref);
  if (pinned) throw new UsageError(`${pinned} (leave out --meta addr= and cacert=)`);
  // Your own approval of the file records VAULT_ADDR here for its vault entries (never the file).
  const envPin = ref.source === 'vault' ? pinFromEnv(ctx.env, ctx.cwd) : undefined;
  if (envPin && 'problem' in envPin) throw new UsageError(envPin.problem);
  const pathProblem = refPathProblem({ ...ref, root: where.root });
  if (pathProblem) throw new UsageError(pathProblem);
  if (existing && !sameRef(existing.ref, ref)) {
    throw new KiError('key-conflict', `${where.file}: ${name} already refers to ${describeRef(existing.ref)}: edit the file, or choose another NAME`);
  }

  let servers = [...req.servers];
  let envVar = req.env;
  const fresh: ProjectTarget[] = [];
  // A new entry without --server and --env whose NAME is a variable name: no targets, the
  // proposal's shape ({"NAME": {"source": "built-in", "id": ...}}): `run` gives it as NAME.
  const runOnly = !existing && servers.length === 0 && envVar === undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
  if (servers.length > 0 || envVar !== undefined || (!existing && !runOnly) || (runOnly && req.interactive)) {
    if (servers.length === 0) {
      if (!req.interactive) throw new UsageError('missing --server: name the MCP server that gets this key');
      const answer = (await req.ask(runOnly ? `MCP server (Enter for none: 'keyring-inject run' gives it as ${name}): ` : 'MCP server: ')).trim();
      if (!answer && !runOnly) throw new UsageError('missing --server: name the MCP server that gets this key');
      servers = answer ? [answer] : [];
    }
  }
  if (servers.length === 0 && runOnly) {
    const refused = refusedVariable(name);
    if (refused) throw new UsageError(refused);
  }
  if (servers.length > 0 || envVar !== undefined) {
    servers.forEach(checkServerName);
    if (envVar === undefined) {
      if (!req.interactive) throw new UsageError('missing --env: name the environment variable the server reads');
      const suggestion = defaultEnvName(name);
      envVar = (await req.ask(`Environment variable [${suggestion}]: `)).trim() || suggestion;
    }
    checkEnvName(envVar);
    for (const server of servers) fresh.push({ server, env: envVar });
  }
  for (const t of fresh) {
    for (const [other, e] of project.entries) {
      if (other !== name && e.targets.some((x) => x.server === t.server && x.env === t.env)) {
        throw new KiError('key-conflict', `${where.file}: ${t.server}.env.${t.env} already receives ${other}: choose another --env, or edit the file`);
      }
    }
  }

  if (ref.source === 'keyring' && userKeyringItems(await loadRegistry(registryFile(ctx.paths))).has(ref.id)) {
    throw new KiError('key-conflict', `the keyring item ${ref.id} holds a key of your registry: a project entry may only read keyring items of its own (choose another --id)`);
  }
  let stored = false;
  if (ref.source === 'keyring') {
    const backend = ctx.backend();
    if ((await backend.get(ref.id)) === undefined) {
      await backend.set(ref.id, await req.readValue(`Value for ${name} (input hidden)`));
      stored = true;
    } else if (req.stdin) {
      throw new UsageError(`a value is already stored in the keyring under ${ref.id}: leave out --stdin to only write the reference, or choose another --id`);
    }
  } else {
    await addForSource(ctx, req, envPin ? withPin({ ...ref, root: where.root }, envPin) : { ...ref, root: where.root }, name);
  }

  const targets = [...(existing?.targets ?? [])];
  for (const t of fresh) if (!targets.some((x) => x.server === t.server && x.env === t.env)) targets.push(t);
  const hosts = [...(existing?.hosts ?? [])];
  for (const h of req.hosts) if (!hosts.includes(h)) hosts.push(h);
  const changed = !existing || targets.length !== existing.targets.length || hosts.length !== (existing.hosts?.length ?? 0);
  if (changed) {
    // The file's own spelling of the source ("built-in") is kept. The user writes this change here:
    // a file this command creates, or one approved as it was, is approved as it is now; a file
    // that was not approved stays so (approving it is 'allow', after reading it).
    const before = (await approvalState(ctx.paths, where)).state;
    project.entries.set(name, { ref, targets, sourceName: existing?.sourceName ?? ref.source, ...(hosts.length > 0 ? { hosts } : {}) });
    await writeProjectFile(project);
    if (before === 'approved' || before === 'none') await approve(ctx.paths, await loadProjectFile(where), ctx.now(), envPin);
  }

  return {
    name,
    stored,
    backendLabel: stored ? ctx.backend().label : '',
    ref,
    projectFile: where.file,
    existed: existing !== undefined,
    targets,
    hosts,
    shadowedByRegistry: (await loadRegistry(registryFile(ctx.paths))).keys[name] !== undefined,
  };
}
