// `add --source/--id/--meta` (a key whose value lives in another source) and `add --project DIR`
// (a reference written into the project's .claude/secrets.json). Kept out of add.ts so that the
// command itself changes little.
import { resolve } from 'node:path';
import { KiError, UsageError } from '../core/errors.js';
import { normalizeHosts } from '../core/hosts.js';
import { checkEnvName, checkServerName, defaultEnvName } from '../core/names.js';
import { registryFile } from '../core/paths.js';
import { loadRegistry } from '../registry/store.js';
import { bool, list, str, type Parsed } from './args.js';
import { output, type CliContext } from './context.js';
import { askLine, readSecret } from './secret-input.js';
import { refPathProblem } from '../sources/source-path.js';
import { approvalState, approve } from '../sources/approval.js';
import { refusedVariable, userKeyringItems } from '../sources/project-policy.js';
import { loadProjectFile, projectFileFor, writeProjectFile, type ProjectTarget } from '../sources/project.js';
import { describeRef, keyringRef, PATH_METADATA, refProblem, sameRef, SOURCE_KINDS, sourceKindOf, type SourceKind, type SourceRef } from '../registry/source-ref.js';
import { sourceContext, sourceFor } from '../sources/resolver.js';

/** The flags `add` gains. */
export const SOURCE_FLAGS = {
  source: { type: 'string' },
  id: { type: 'string' },
  meta: { type: 'string', multiple: true },
} as const;

export const SOURCE_HELP = `  --source KIND  where the value lives: keyring (default: stored by add, in the OS keyring),
                 pass, env-file, 1password, doppler, aws, gcp, keepassxc, age, vault,
                 bitwarden, azure or infisical (add stores no value then: it records the
                 reference and the source is asked whenever the key is needed; keepassxc:
                 the database password is asked once and kept in the keyring; age: the value
                 is written encrypted into the file, from --stdin or the prompt)
  --id ID        the source's name for the secret: pass path (github/token), variable in the
                 env or age file, op://vault/item/field, Doppler/AWS/GCP/Azure/Infisical secret
                 name, KeePassXC entry (Group/Title), Vault MOUNT/PATH#FIELD, Bitwarden secret
                 id (default: NAME; for --source keyring only with --project)
  --meta K=V     source settings (repeat): env-file path=FILE; 1password account=A;
                 doppler project=P, config=C; aws region=R, profile=P, key=JSON_FIELD;
                 gcp project=P, version=N, key=JSON_FIELD; keepassxc database=FILE,
                 keyFile=FILE; age file=FILE, identity=FILE; vault namespace=NS, version=N;
                 azure vault=V, version=ID; infisical project=ID, env=SLUG, path=/FOLDER`;

export const HOST_HELP = `  --host HOST    a host the key may be sent to (repeat for several): 'api.example.com',
                 'localhost:8443' (a port; without one, 443/80 only), '*.example.com' (every
                 subdomain). The key becomes a placeholder key: 'keyring-inject run' gives its
                 command a placeholder, and a local proxy puts the value into HTTP(S) requests to
                 these hosts only. For HTTP APIs only: a database URL, an SSH key or any
                 non-HTTP use needs the value itself, so give such a key no --host`;

/** `--host` values, validated, in their one spelling. */
export function hostsFromFlags(p: Parsed): string[] {
  return normalizeHosts(list(p, 'host'), (host, why) => {
    throw new UsageError(`--host ${JSON.stringify(host).slice(0, 80)} is not a valid host: ${why}`);
  });
}

function kindOf(p: Parsed): SourceKind | undefined {
  const v = str(p, 'source');
  if (v === undefined) return undefined;
  const kind = sourceKindOf(v);
  if (kind === undefined) throw new UsageError(`--source must be one of ${SOURCE_KINDS.join(', ')}`);
  return kind;
}

function metadataOf(p: Parsed): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const item of list(p, 'meta')) {
    const eq = item.indexOf('=');
    const k = eq === -1 ? '' : item.slice(0, eq);
    if (!/^[a-z][A-Za-z0-9_-]{0,31}$/.test(k)) throw new UsageError('--meta takes KEY=VALUE, e.g. --meta region=eu-west-1');
    out[k] = item.slice(eq + 1);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function checked(ref: SourceRef): SourceRef {
  const problem = refProblem(ref);
  if (problem) throw new UsageError(problem);
  return ref;
}

/**
 * The source of a key of the user registry, from the flags: undefined for the default (the
 * keyring under NAME). env-file paths are made absolute (relative to the current directory).
 */
export function userSourceFromFlags(p: Parsed, name: string, cwd: string): SourceRef | undefined {
  const kind = kindOf(p);
  const id = str(p, 'id');
  const metadata = metadataOf(p);
  if (kind === undefined || kind === 'keyring') {
    if (id !== undefined && id !== name) throw new UsageError('--id with the keyring source goes with --project: a key of your registry is stored under its own NAME');
    if (metadata) throw new UsageError('--meta goes with --source (the keyring takes none)');
    return undefined;
  }
  // Files named on the command line are relative to the current directory; the registry keeps them absolute.
  const meta = kind === 'env-file' ? { path: '.env', ...metadata } : metadata;
  for (const k of PATH_METADATA[kind] ?? []) if (meta?.[k] !== undefined && !meta[k].startsWith('-')) meta[k] = resolve(cwd, meta[k]);
  return checked({ source: kind, id: id ?? name, ...(meta ? { metadata: meta } : {}) });
}

/** Warn (not fail) when the source cannot be used on this machine right now. */
export async function warnIfUnavailable(ctx: CliContext, ref: SourceRef): Promise<void> {
  if (ref.source === 'keyring') return;
  const a = await (await sourceFor(ref.source)).available(sourceContext(ctx.backend, ctx.env), ref);
  if (!a.ok) output(ctx).warn(`${a.reason} (the reference is recorded anyway)`);
}

/** Whether `add` has work to do for this source besides recording the reference (a password to keep, a value to write). */
export async function sourceNeedsAdd(ref: SourceRef): Promise<boolean> {
  if (ref.source === 'keyring') return false;
  const source = await sourceFor(ref.source);
  return source.prepare !== undefined || source.store !== undefined;
}

/**
 * What `add` does for a reference to another source: a source keyring-inject can write (age)
 * gets the value (--stdin, or the hidden prompt when the file does not have it yet); a source
 * that needs a secret of its own (a KeePassXC database password) asks for it once; the others
 * refuse --stdin and only warn when they cannot be used here.
 */
export async function addForSource(p: Parsed, ctx: CliContext, ref: SourceRef, name: string): Promise<void> {
  const source = await sourceFor(ref.source);
  const sctx = sourceContext(ctx.backend, ctx.env);
  const interactive = ctx.stdin.isTTY === true && !bool(p, 'stdin');
  const out = output(ctx);
  if (source.store) {
    let wanted = bool(p, 'stdin');
    if (!wanted && interactive) {
      const now = (await source.resolve([{ name, ref }], sctx)).get(name);
      wanted = now?.kind === 'missing';
    }
    if (wanted) {
      const value = await readSecret(ctx, { fromStdin: bool(p, 'stdin'), label: `Value for ${name} (input hidden; written encrypted into ${ref.metadata?.file ?? 'the file'})` });
      out.line(await source.store(ref, value, sctx));
    } else {
      await warnIfUnavailable(ctx, ref);
    }
    return;
  }
  if (source.prepare) {
    await source.prepare(ref, sctx, {
      askHidden: async (label) => (bool(p, 'stdin') || interactive ? readSecret(ctx, { fromStdin: bool(p, 'stdin'), label }) : undefined),
      note: (line) => out.note(line),
    });
    return;
  }
  refuseStdinFor(p, ref);
  await warnIfUnavailable(ctx, ref);
}

/** Refuse --stdin for a source whose value we do not store. */
export function refuseStdinFor(p: Parsed, ref: SourceRef): void {
  if (bool(p, 'stdin')) throw new UsageError(`--stdin: keyring-inject stores no value for a ${ref.source} key; put the value into ${ref.source} itself`);
}

/** `add NAME --project DIR ...` (no --scope): write a reference into the project file. */
export async function addToProject(p: Parsed, name: string, ctx: CliContext): Promise<number> {
  const out = output(ctx);
  if (str(p, 'header') !== undefined) throw new UsageError('--header does not go with --project: a project file maps keys to env variables only');
  if (str(p, 'mode') !== undefined) throw new UsageError('--mode does not go with --project: project references are read by keyring-inject run');
  const interactive = ctx.stdin.isTTY === true && !bool(p, 'stdin');
  const where = projectFileFor(resolve(ctx.cwd, str(p, 'project') as string), ctx.paths.configDir);
  const project = await loadProjectFile(where);
  const existing = project.entries.get(name);

  const kind = kindOf(p);
  const metadata = metadataOf(p);
  let ref: SourceRef;
  if (kind === undefined && str(p, 'id') === undefined && !metadata && existing) ref = existing.ref;
  else ref = checked({ source: kind ?? 'keyring', id: str(p, 'id') ?? name, ...(metadata ? { metadata } : {}) });
  if (ref.source === 'os-keyring') throw new UsageError("a project file may not read other programs' keyring items (--source os-keyring): use the keyring or another source");
  const pathProblem = refPathProblem({ ...ref, root: where.root });
  if (pathProblem) throw new UsageError(pathProblem);
  if (existing && !sameRef(existing.ref, ref)) {
    throw new KiError('key-conflict', `${where.file}: ${name} already refers to ${describeRef(existing.ref)}: edit the file, or choose another NAME`);
  }

  let servers = list(p, 'server');
  let envVar = str(p, 'env');
  const fresh: ProjectTarget[] = [];
  // A new entry without --server and --env whose NAME is a variable name: no targets, the
  // proposal's shape ({"NAME": {"source": "built-in", "id": ...}}): `run` gives it as NAME.
  const runOnly = !existing && servers.length === 0 && envVar === undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
  if (servers.length > 0 || envVar !== undefined || (!existing && !runOnly) || (runOnly && interactive)) {
    if (servers.length === 0) {
      if (!interactive) throw new UsageError('missing --server: name the MCP server that gets this key');
      const answer = (await askLine(ctx, runOnly ? `MCP server (Enter for none: 'keyring-inject run' gives it as ${name}): ` : 'MCP server: ')).trim();
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
      if (!interactive) throw new UsageError('missing --env: name the environment variable the server reads');
      const suggestion = defaultEnvName(name);
      envVar = (await askLine(ctx, `Environment variable [${suggestion}]: `)).trim() || suggestion;
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
      const value = await readSecret(ctx, { fromStdin: bool(p, 'stdin'), label: `Value for ${name} (input hidden)` });
      await backend.set(ref.id, value);
      stored = true;
    } else if (bool(p, 'stdin')) {
      throw new UsageError(`a value is already stored in the keyring under ${ref.id}: leave out --stdin to only write the reference, or choose another --id`);
    }
  } else {
    await addForSource(p, ctx, { ...ref, root: where.root }, name);
  }

  const targets = [...(existing?.targets ?? [])];
  for (const t of fresh) if (!targets.some((x) => x.server === t.server && x.env === t.env)) targets.push(t);
  const hosts = [...(existing?.hosts ?? [])];
  for (const h of hostsFromFlags(p)) if (!hosts.includes(h)) hosts.push(h);
  const changed = !existing || targets.length !== existing.targets.length || hosts.length !== (existing.hosts?.length ?? 0);
  if (changed) {
    // The file's own spelling of the source ("built-in") is kept. The user writes this change here:
    // a file this command creates, or one approved as it was, is approved as it is now; a file
    // that was not approved stays so (approving it is 'allow', after reading it).
    const before = (await approvalState(ctx.paths, where)).state;
    project.entries.set(name, { ref, targets, sourceName: existing?.sourceName ?? ref.source, ...(hosts.length > 0 ? { hosts } : {}) });
    await writeProjectFile(project);
    if (before === 'approved' || before === 'none') await approve(ctx.paths, await loadProjectFile(where), ctx.now());
  }

  if ((await loadRegistry(registryFile(ctx.paths))).keys[name]) {
    out.warn(`your registry also has a key ${name}: on this machine it wins over the project's reference (keyring-inject run ignores the project entry)`);
  }
  if (bool(p, 'json')) {
    out.json({
      name,
      stored,
      source: { source: ref.source, id: ref.id, ...(ref.metadata ? { metadata: ref.metadata } : {}) },
      projectFile: where.file,
      targets,
      ...(hosts.length > 0 ? { hosts } : {}),
    });
  } else {
    if (stored) out.line(`stored ${name} in the ${ctx.backend().label} under ${ref.id}`);
    out.line(`${existing ? 'updated' : 'added'} ${name} -> ${describeRef(ref)} in ${where.file} (a reference, no value: safe to commit)`);
    for (const t of targets) out.line(`  -> ${t.server}.env.${t.env}`);
    if (hosts.length > 0) out.line(`  placeholder key: 'keyring-inject run' gives its command a placeholder; the value goes only into HTTP(S) requests to ${hosts.join(', ')}`);
  }
  return 0;
}

/** The registry key's source for messages and --json: its own, or the keyring under its name. */
export function sourceOrKeyring(name: string, source: SourceRef | undefined): SourceRef {
  return source ?? keyringRef(name);
}
