// Project references: `<project root>/.claude/secrets.json`, meant to be committed. It says which
// keys a project needs and where each one lives, never a value:
//
//   {"STRIPE_KEY": {"source": "doppler", "id": "STRIPE_KEY", "metadata": {"project": "shop", "config": "dev"},
//                   "targets": [{"server": "stripe", "env": "STRIPE_API_KEY"}]}}
//
// `keyring-inject run` inside the project resolves every name in it, merged with the user
// registry. Precedence: on a name clash THE USER REGISTRY WINS (the entry of the project file is
// ignored, with a warning). The file comes with a repository, i.e. from other people; the registry
// is this machine's owner's own choice. A committed file must not be able to redirect a name the
// user already relies on to another source (say, an env file in the repository holding someone
// else's token) or to other variables.
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { projectKeyFor } from '../claude/project-key.js';
import { KiError } from '../core/errors.js';
import type { BackendId } from '../keyring/backend.js';
import type { KeyRecord, Registry } from '../registry/registry.js';
import { envFilePath } from './env-file.js';
import { parseSourceRef, type SourceRef } from './ref.js';

export const PROJECT_FILE = join('.claude', 'secrets.json');

export interface ProjectTarget {
  server: string;
  env: string;
}

export interface ProjectEntry {
  /** Without `root`: exactly what the file says. */
  ref: SourceRef;
  targets: ProjectTarget[];
}

export interface ProjectFile {
  /** The project root: the directory holding `.claude/secrets.json`. */
  root: string;
  file: string;
  entries: Map<string, ProjectEntry>;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const ENTRY_FIELDS = ['source', 'id', 'metadata', 'targets'];
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
  throw new KiError(`the project file ${file} is not valid: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and validate; messages name entries and fields, never quote the content. */
export function parseProjectFile(text: string, file: string, root: string): ProjectFile {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    fail(file, 'it is not valid JSON');
  }
  if (!isObject(data)) fail(file, 'expected an object {"NAME": {"source": ..., "id": ..., "targets": [...]}}');
  const entries = new Map<string, ProjectEntry>();
  for (const [name, raw] of Object.entries(data)) {
    if (!KEY_NAME.test(name)) fail(file, `an entry name is not valid: use letters, digits, '.', '_' or '-' (at most 128)`);
    const where = `entry "${name}"`;
    if (!isObject(raw)) fail(file, `${where} must be an object`);
    for (const field of Object.keys(raw)) {
      if (VALUE_FIELDS.includes(field.toLowerCase())) fail(file, `${where} has a "${field}" field: this file is committed and must never hold a value; keep only source, id, metadata and targets`);
      if (!ENTRY_FIELDS.includes(field)) fail(file, `${where} has an unknown field${/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(field) ? ` "${field}"` : ''} (allowed: ${ENTRY_FIELDS.join(', ')})`);
    }
    const ref = parseSourceRef(raw, name);
    if (typeof ref === 'string') fail(file, `${where}: ${ref}`);
    if (ref.source === 'env-file') {
      const p = envFilePath({ ...ref, root });
      if ('problem' in p) fail(file, `${where}: ${p.problem}`);
    }
    if (!Array.isArray(raw.targets) || raw.targets.length === 0) fail(file, `${where} needs "targets": [{"server": "S", "env": "VAR"}]`);
    const targets: ProjectTarget[] = raw.targets.map((t: unknown) => {
      if (!isObject(t) || typeof t.server !== 'string' || typeof t.env !== 'string') fail(file, `a target of ${where} must be {"server": "S", "env": "VAR"}`);
      if (Object.keys(t).some((k) => k !== 'server' && k !== 'env')) fail(file, `a target of ${where} has a field other than server and env`);
      if (t.server === '' || t.server.length > 256 || CONTROL.test(t.server)) fail(file, `a target of ${where} has an invalid server name`);
      if (!ENV_NAME.test(t.env)) fail(file, `a target of ${where} has an invalid env variable name (letters, digits and '_', not starting with a digit)`);
      return { server: t.server, env: t.env };
    });
    entries.set(name, { ref, targets });
  }
  return { root, file, entries };
}

export async function loadProjectFile(where: { root: string; file: string }): Promise<ProjectFile> {
  let text: string;
  try {
    const st = await stat(where.file);
    // A file someone else owns (a shared /tmp, another user's directory) does not decide which of
    // your secrets a command gets.
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid && st.uid !== 0) throw new KiError(`the project file ${where.file} belongs to another user: refused (move it away, or run without it: --no-project)`);
    text = await readFile(where.file, 'utf8');
  } catch (err) {
    if (err instanceof KiError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...where, entries: new Map() };
    throw new KiError(`cannot read the project file ${where.file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): fix its permissions`);
  }
  return parseProjectFile(text, where.file, where.root);
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
  for (const [name, entry] of project.entries) {
    if (reg.keys[name]) {
      shadowed.push(name);
      continue;
    }
    keys[name] = {
      targets: entry.targets.map((t) => ({ server: t.server, env: t.env, scope: 'local', project: projectKey })),
      backend,
      createdAt: '',
      source: { ...entry.ref, root: project.root },
    };
    added.push(name);
  }
  return { registry: { ...reg, keys }, added, shadowed };
}

function serialize(entries: Map<string, ProjectEntry>): string {
  const out: Record<string, unknown> = {};
  for (const [name, e] of entries) {
    out[name] = { source: e.ref.source, id: e.ref.id, ...(e.ref.metadata ? { metadata: e.ref.metadata } : {}), targets: e.targets.map((t) => ({ server: t.server, env: t.env })) };
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Write the file with `entries` (atomically; an existing file keeps its mode). Holds references only. */
export async function writeProjectFile(project: ProjectFile): Promise<void> {
  await mkdir(dirname(project.file), { recursive: true });
  await writeFileAtomic(project.file, serialize(project.entries));
}
