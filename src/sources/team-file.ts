// Project references: `<project root>/.claude/secrets.json`, meant to be committed. It says which
// keys a project needs and where each one lives, never a value. The shape is the
// secrets-management proposal's, verbatim:
//
//   {"DATABASE_URL": {"source": "built-in", "id": "db-url-prod"},
//    "STRIPE_KEY":   {"source": "doppler", "id": "STRIPE_KEY", "metadata": {"project": "shop", "config": "dev"},
//                     "targets": [{"server": "stripe", "env": "STRIPE_API_KEY"}]}}
//
// Without `targets`, the entry's NAME is the environment variable `keyring-inject run` sets; with
// them, the variables of the project's MCP servers (local scope or `.mcp.json`) the key goes to.
// `"built-in"` is our own store, the OS keyring.
//
// The file comes with a repository, i.e. from other people, so it is used only once the user has
// approved its exact content on this machine (approval.ts), it may not name loader/path variables
// nor read a keyring item of the user's registry (team-file-policy.ts), and on a name clash THE
// USER REGISTRY WINS (the project's entry is ignored, with a warning): a committed file must not
// redirect a name the user already relies on to another source or to other variables.
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { projectKeyFor } from '../claude/project-key.js';
import { KiError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { withoutBom } from '../core/bom.js';
import { nodeCrypto } from '../core/lazy-load.js';
import type { BackendId } from '../keyring/backend.js';
import type { KeyRecord, Registry } from '../registry/registry.js';
import { refPathProblem } from './source-path.js';
import { refusedVariable, userKeyringItems } from './team-file-policy.js';
import { parseSourceRef, type SourceRef } from '../registry/source-ref.js';
import { pinInProjectProblem, withPin, type VaultPin } from '../registry/vault-pin.js';
import { isRecord } from '../core/is-record.js';
import { normalizeHosts } from '../core/hosts.js';

export const PROJECT_FILE = join('.claude', 'secrets.json');

export interface ProjectTarget {
  server: string;
  env: string;
}

export interface ProjectEntry {
  /** Without `root`: exactly what the file says ("built-in" read as the keyring). */
  ref: SourceRef;
  /** Empty: the entry's name is the variable `run` sets. */
  targets: ProjectTarget[];
  /** The source as the file spells it ("built-in" or "keyring"...), written back as it was. */
  sourceName: string;
  /** Where the key may be sent (host patterns): a placeholder key for `run`. Absent: none. */
  hosts?: string[];
}

export interface ProjectFile {
  /** The project root: the directory holding `.claude/secrets.json`. */
  root: string;
  file: string;
  entries: Map<string, ProjectEntry>;
  /** sha256 (hex) of the file's bytes as read; undefined when there is no file. */
  sha256?: string;
  /** The Vault address (and CA file) the user approved the file with: never from the file itself. */
  vault?: VaultPin;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const ENTRY_FIELDS = ['source', 'id', 'metadata', 'targets', 'hosts'];
const VALUE_FIELDS = ['value', 'secret', 'password', 'token'];

/**
 * The project file that applies in `dir`: the nearest `.claude/secrets.json` walking up from
 * `dir`, not above the git work tree's top (the directory holding `.git`). Claude Code's own
 * config directory (`~/.claude`) is never taken for a project's.
 */
export function findProjectFile(dir: string, claudeConfigDir?: string): { root: string; file: string } | undefined {
  const skip = claudeConfigDir ? resolve(claudeConfigDir) : undefined;
  for (let d = resolve(dir); ; d = dirname(d)) {
    const file = join(d, PROJECT_FILE);
    if (resolve(d, '.claude') !== skip && isFile(file)) return { root: d, file };
    if (existsSync(join(d, '.git')) || dirname(d) === d) return undefined;
  }
}

/** Where `add --project DIR` writes: the file that applies in DIR, else a new one at the top of its git work tree (else DIR). */
export function projectFileFor(dir: string, claudeConfigDir?: string): { root: string; file: string } {
  const found = findProjectFile(dir, claudeConfigDir);
  if (found) return found;
  const start = resolve(dir);
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return { root: d, file: join(d, PROJECT_FILE) };
    if (dirname(d) === d) return { root: start, file: join(start, PROJECT_FILE) };
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function fail(file: string, why: string): never {
  throw new KiError('project-invalid', `the project file ${file} is not valid: ${why}`);
}

/** Parse and validate; messages name entries and fields, never quote the content. */
export function parseProjectFile(text: string, file: string, root: string): ProjectFile {
  let data: unknown;
  try {
    data = JSON.parse(withoutBom(text));
  } catch {
    fail(file, 'it is not valid JSON');
  }
  if (!isRecord(data)) fail(file, 'expected an object {"NAME": {"source": ..., "id": ...}}');
  const entries = new Map<string, ProjectEntry>();
  for (const [name, raw] of Object.entries(data)) {
    if (!KEY_NAME.test(name)) fail(file, `an entry name is not valid: use letters, digits, '.', '_' or '-' (at most 128)`);
    const where = `entry "${name}"`;
    if (!isRecord(raw)) fail(file, `${where} must be an object`);
    for (const field of Object.keys(raw)) {
      if (VALUE_FIELDS.includes(field.toLowerCase())) fail(file, `${where} has a "${field}" field: this file is committed and must never hold a value; keep only source, id, metadata and targets`);
      if (!ENTRY_FIELDS.includes(field)) fail(file, `${where} has an unknown field${/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(field) ? ` "${field}"` : ''} (allowed: ${ENTRY_FIELDS.join(', ')})`);
    }
    const ref = parseSourceRef(raw, name);
    if (typeof ref === 'string') fail(file, `${where}: ${ref}`);
    if (ref.source === 'os-keyring') fail(file, `${where}: a project file may not read other programs' keyring items (source os-keyring): use built-in, or another source`);
    const pinned = pinInProjectProblem(ref);
    if (pinned) fail(file, `${where}: ${pinned}`);
    const pathProblem = refPathProblem({ ...ref, root });
    if (pathProblem) fail(file, `${where}: ${pathProblem}`);
    if (raw.targets !== undefined && (!Array.isArray(raw.targets) || raw.targets.length === 0))
      fail(file, `${where}: "targets" must be a non-empty list [{"server": "S", "env": "VAR"}], or left out (then ${name} is the variable 'keyring-inject run' sets)`);
    const targets: ProjectTarget[] = ((raw.targets ?? []) as unknown[]).map((t: unknown) => {
      if (!isRecord(t) || typeof t.server !== 'string' || typeof t.env !== 'string') fail(file, `a target of ${where} must be {"server": "S", "env": "VAR"}`);
      if (Object.keys(t).some((k) => k !== 'server' && k !== 'env')) fail(file, `a target of ${where} has a field other than server and env`);
      if (t.server === '' || t.server.length > 256 || CONTROL.test(t.server)) fail(file, `a target of ${where} has an invalid server name`);
      if (!ENV_NAME.test(t.env)) fail(file, `a target of ${where} has an invalid env variable name (letters, digits and '_', not starting with a digit)`);
      const refused = refusedVariable(t.env);
      if (refused) fail(file, `a target of ${where}: ${refused}`);
      return { server: t.server, env: t.env };
    });
    if (targets.length === 0) {
      if (!ENV_NAME.test(name))
        fail(
          file,
          `${where} has no "targets", so its name is the variable 'keyring-inject run' sets, and it is not a valid one: use letters, digits and '_', not starting with a digit (or add "targets")`,
        );
      const refused = refusedVariable(name);
      if (refused) fail(file, `${where}: ${refused}`);
    }
    if (raw.hosts !== undefined && (!Array.isArray(raw.hosts) || raw.hosts.length === 0 || raw.hosts.some((h: unknown) => typeof h !== 'string')))
      fail(file, `${where}: "hosts" must be a non-empty list of host names ["api.example.com", "localhost:8443", "*.example.com"], or left out`);
    const hosts = raw.hosts === undefined ? undefined : normalizeHosts(raw.hosts as string[], (_h, why) => fail(file, `${where}: a host is not valid (${why})`));
    entries.set(name, { ref, targets, sourceName: raw.source as string, ...(hosts ? { hosts } : {}) });
  }
  return { root, file, entries };
}

export async function loadProjectFile(where: { root: string; file: string }): Promise<ProjectFile> {
  let bytes: Buffer;
  try {
    const st = statSync(where.file);
    // A file someone else owns (a shared /tmp, another user's directory) does not decide which of
    // your secrets a command gets.
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid && st.uid !== 0)
      throw new KiError('project-refused', `the project file ${where.file} belongs to another user: refused (move it away, or run without it: --no-project)`);
    // Approvals are keyed by the file's real path: a file (or .claude dir) linked to a file
    // approved in another project would borrow that approval for this project's servers.
    const real = realpathSync.native(where.file);
    if (real !== join(realpathSync.native(where.root), PROJECT_FILE))
      throw new KiError('project-refused', `the project file ${where.file} is a link to ${real}: refused (replace the link with a copy of the file, or run without it: --no-project)`);
    bytes = readFileSync(where.file);
  } catch (err) {
    if (err instanceof KiError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...where, entries: new Map() };
    throw new KiError('file-io', `cannot read the project file ${where.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): fix its permissions`, { cause: err });
  }
  // Hashed and parsed from the same bytes: what was approved is what is used.
  return { ...parseProjectFile(bytes.toString('utf8'), where.file, where.root), sha256: nodeCrypto().createHash('sha256').update(bytes).digest('hex') };
}

/** An entry's reference as commands read it: with the project root, and a vault entry with the address the user approved the file with. */
export function projectRef(project: ProjectFile, entry: ProjectEntry): SourceRef {
  const ref = { ...entry.ref, root: project.root };
  return ref.source === 'vault' && project.vault ? withPin(ref, project.vault) : ref;
}

/**
 * The user registry plus the project's entries whose names it does not have (the user registry
 * wins a clash: see the top of this file). Project keys become records with local-scope targets of
 * the project and their reference (with the project root, for env-file paths). Never persisted.
 */
export function mergeProject(reg: Registry, project: ProjectFile, backend: BackendId): { registry: Registry; added: string[]; shadowed: string[] } {
  const keys: Record<string, KeyRecord> = { ...reg.keys };
  const added: string[] = [];
  const shadowed: string[] = [];
  const projectKey = projectKeyFor(project.root);
  const mine = userKeyringItems(reg);
  for (const [name, entry] of project.entries) {
    if (reg.keys[name]) {
      shadowed.push(name);
      continue;
    }
    if (entry.ref.source === 'keyring' && mine.has(entry.ref.id)) {
      throw new KiError(
        'project-refused',
        `the project file ${project.file}: entry "${name}" reads the keyring item ${entry.ref.id}, which holds a key of your registry: refused (a project may only read keyring items of its own; give the entry another id)`,
      );
    }
    keys[name] = {
      targets: entry.targets.map((t) => ({ server: t.server, env: t.env, scope: 'local', project: projectKey })),
      backend,
      createdAt: '',
      source: projectRef(project, entry),
      ...(entry.targets.length === 0 ? { runEnv: name } : {}),
      ...(entry.hosts ? { hosts: [...entry.hosts] } : {}),
    };
    added.push(name);
  }
  return { registry: { ...reg, keys }, added, shadowed };
}

function serialize(entries: Map<string, ProjectEntry>): string {
  const out: Record<string, unknown> = {};
  for (const [name, e] of entries) {
    out[name] = {
      source: e.sourceName,
      id: e.ref.id,
      ...(e.ref.metadata ? { metadata: e.ref.metadata } : {}),
      ...(e.targets.length > 0 ? { targets: e.targets.map((t) => ({ server: t.server, env: t.env })) } : {}),
      ...(e.hosts ? { hosts: e.hosts } : {}),
    };
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Write the file with `entries` (atomically; an existing file keeps its mode). Holds references only. */
export async function writeProjectFile(project: ProjectFile): Promise<void> {
  mkdirSync(dirname(project.file), { recursive: true });
  await writeFileAtomic(project.file, serialize(project.entries));
}
