// What the two MCP tools do, without the protocol: list the secrets Claude may use (names and
// where they live, never values), and store one the user types on the one-time page.
//
// A secret asked for in a project goes where the secrets-management proposal puts it: the value
// in the OS keyring under an id (CRM_API_KEY -> crm-api-key), and the reference
// {"CRM_API_KEY": {"source": "built-in", "id": "crm-api-key"}} in the project's
// .claude/secrets.json, which `keyring-inject run` reads (the name is the variable it sets).
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { KiError, oneLine } from '../core/errors.js';
import { registryFile, type ClaudePaths, type Env } from '../core/paths.js';
import type { SecretBackend } from '../keyring/backend.js';
import type { Registry } from '../registry/registry.js';
import { loadRegistry } from '../registry/registry-file.js';
import { allowCommand, approvalState } from '../sources/approval.js';
import { loadProjectFile, projectFileFor } from '../sources/team-file.js';
import { placeholderNote } from './session-context.js';
import { describeRef } from '../registry/source-ref.js';
import { writeProjectReference } from './team-file-reference.js';

export interface SecretsDeps {
  paths: ClaudePaths;
  env: Env;
  /** The session's project directory (CLAUDE_PROJECT_DIR, else the server's cwd). */
  projectDir: string;
  backend: () => SecretBackend;
  now: () => Date;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const KEYRING_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** CRM_API_KEY -> crm-api-key: the proposal's id style. */
export function idFor(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/_+/g, '-')
    .replace(/^-+|-+$/g, '');
  return KEYRING_ID.test(id) ? id : 'secret';
}

/** Why `name` cannot be asked for, or undefined. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !ENV_NAME.test(name)) return 'the name must be an environment variable name such as CRM_API_KEY (letters, digits and _, not starting with a digit)';
  return undefined;
}

/** The project file request_secret writes to, or a reason there is none. */
export function projectTarget(deps: SecretsDeps): { root: string; file: string } | { problem: string } {
  const dir = resolve(deps.projectDir);
  const home = resolve(deps.env.HOME || deps.env.USERPROFILE || homedir());
  if (dir === home || dir === resolve('/'))
    return { problem: `Claude Code runs in ${dir}, not in a project: start it in the project's directory, or store the key in a terminal with 'keyring-inject add'` };
  return projectFileFor(dir, deps.paths.configDir);
}

export interface PlannedRequest {
  name: string;
  id: string;
  file: string;
  root: string;
  /** A value is stored under `id` already (asked again only with replace). */
  stored: boolean;
  /** Set by storeSecret: the project file is approved with our entry in it. */
  approved?: boolean;
}

/**
 * Decide what request_secret will do before any page opens: where the value goes, or why
 * nothing will be asked (already stored, or the name belongs to something else).
 */
export async function planRequest(deps: SecretsDeps, name: string, replace: boolean): Promise<{ plan: PlannedRequest } | { answer: string; isError: boolean }> {
  const bad = nameProblem(name);
  if (bad) return { answer: `not stored: ${bad}`, isError: true };
  const where = projectTarget(deps);
  if ('problem' in where) return { answer: `not stored: ${where.problem}`, isError: true };
  let registry: Registry;
  try {
    registry = await loadRegistry(registryFile(deps.paths));
  } catch (err) {
    return { answer: `not stored: ${oneLine((err as Error).message)}`, isError: true };
  }
  if (registry.keys[name])
    return {
      answer: `not asked: ${name} is a key of the user's own registry already ('keyring-inject list'); run commands that need it with 'keyring-inject run --only ${name} -- COMMAND'`,
      isError: false,
    };
  let project;
  try {
    project = await loadProjectFile(where);
  } catch (err) {
    return { answer: `not stored: ${oneLine((err as Error).message)}`, isError: true };
  }
  const entry = project.entries.get(name);
  let id = idFor(name);
  if (entry) {
    if (entry.ref.source !== 'keyring') return { answer: `not asked: ${where.file} says ${name} comes from ${describeRef(entry.ref)}, not from the keyring: the user keeps it there`, isError: false };
    id = entry.ref.id;
  }
  // A keyring item of the user's registry is not the project's to overwrite or read.
  for (const [key, rec] of Object.entries(registry.keys)) {
    const item = rec.source === undefined ? key : rec.source.source === 'keyring' ? rec.source.id : undefined;
    if (item === id) return { answer: `not stored: the keyring item ${id} holds the user's registry key ${key}; ask under another name`, isError: true };
  }
  let stored: boolean;
  try {
    stored = (await deps.backend().get(id)) !== undefined;
  } catch (err) {
    return { answer: `not stored: ${oneLine((err as Error).message)}`, isError: true };
  }
  if (stored && entry && !replace) {
    return {
      answer: `already stored: ${name} is in the OS keyring as ${id} and listed in ${where.file}. Use it without asking: keyring-inject run --only ${name} -- COMMAND (COMMAND gets it as $${name}; you never see the value). Call request_secret with replace: true only if the user wants to change it.`,
      isError: false,
    };
  }
  return { plan: { name, id, file: where.file, root: where.root, stored } };
}

/** Store the submitted value and record the reference. Undoes the keyring write if the file cannot be written. */
export async function storeSecret(deps: SecretsDeps, plan: PlannedRequest, value: string): Promise<void> {
  const backend = deps.backend();
  await backend.set(plan.id, value);
  try {
    plan.approved = await writeProjectReference(plan, deps.paths, deps.now());
  } catch (err) {
    if (!plan.stored) await backend.delete(plan.id).catch(() => undefined);
    throw err instanceof KiError ? err : new KiError('file-io', `could not update ${plan.file}: ${oneLine((err as Error).message)}`, { cause: err });
  }
}

export interface SecretListing {
  project?: { file: string; secrets: { name: string; source: string; id: string; stored: boolean | null; hosts?: string[] }[]; problem?: string; unapproved?: string };
  registry: { name: string; source: string; env: string[]; stored: boolean | null; hosts?: string[] }[];
  problems: string[];
}

/** Names, sources and whether a value is there; never a value. */
export async function listSecrets(deps: SecretsDeps): Promise<SecretListing> {
  const out: SecretListing = { registry: [], problems: [] };
  let names: Set<string> | undefined;
  const storedIn = async (id: string): Promise<boolean | null> => {
    try {
      names ??= new Set(await deps.backend().list());
      return names.has(id);
    } catch (err) {
      if (!out.problems.some((p) => p.startsWith('keyring:'))) out.problems.push(`keyring: ${oneLine((err as Error).message)}`);
      return null;
    }
  };
  try {
    const registry = await loadRegistry(registryFile(deps.paths));
    for (const [name, rec] of Object.entries(registry.keys).sort(([a], [b]) => a.localeCompare(b))) {
      const ref = rec.source ?? { source: 'keyring' as const, id: name };
      out.registry.push({
        name,
        source: describeRef(ref),
        env: [...new Set(rec.targets.map((t) => t.env))],
        stored: ref.source === 'keyring' ? await storedIn(ref.id) : null,
        ...(rec.hosts?.length ? { hosts: [...rec.hosts] } : {}),
      });
    }
  } catch (err) {
    out.problems.push(`registry: ${oneLine((err as Error).message)}`);
  }
  const where = projectTarget(deps);
  if (!('problem' in where)) {
    try {
      const st = await approvalState(deps.paths, where);
      if (st.state !== 'none') {
        const secrets = [];
        for (const [name, e] of st.project.entries)
          secrets.push({
            name,
            source: e.ref.source === 'keyring' ? 'built-in' : e.ref.source,
            id: e.ref.id,
            stored: e.ref.source === 'keyring' ? await storedIn(e.ref.id) : null,
            ...(e.hosts ? { hosts: [...e.hosts] } : {}),
          });
        out.project = {
          file: where.file,
          secrets,
          ...(st.state === 'approved'
            ? {}
            : {
                unapproved: `not approved on this machine${st.state === 'changed' ? ' since it changed' : ''}: nothing uses it until the user reads it and runs '${allowCommand(where.root)}' in a terminal`,
              }),
        };
      }
    } catch (err) {
      out.project = { file: where.file, secrets: [], problem: oneLine((err as Error).message) };
    }
  }
  return out;
}

/** The listing as the model reads it: one line per secret. */
export function formatListing(l: SecretListing): string {
  const lines: string[] = [];
  const state = (s: boolean | null) => (s === null ? 'in its source' : s ? 'stored' : 'NOT stored (call request_secret)');
  if (l.project) {
    lines.push(`Project secrets (${l.project.file}):`);
    if (l.project.problem) lines.push(`  unusable: ${l.project.problem}`);
    if (l.project.unapproved) lines.push(`  ${l.project.unapproved}`);
    for (const s of l.project.secrets) lines.push(`  ${s.name}: ${s.source} ${s.id}, ${state(s.stored)}${s.hosts ? `, placeholder key for ${s.hosts.join(', ')}` : ''}`);
    if (!l.project.problem && l.project.secrets.length === 0) lines.push('  (none)');
  } else lines.push('Project secrets: none (no .claude/secrets.json)');
  lines.push("User registry keys (the user's own, for MCP servers):");
  for (const k of l.registry)
    lines.push(`  ${k.name}: ${k.source}${k.env.length ? `, as ${k.env.join(', ')}` : ''}, ${state(k.stored)}${k.hosts ? `, placeholder key for ${k.hosts.join(', ')}` : ''}`);
  if (l.registry.length === 0) lines.push('  (none)');
  for (const p of l.problems) lines.push(`Could not check: ${p}`);
  lines.push('Values are never shown. Run a command with them in its environment: keyring-inject run [--only NAME,...] -- COMMAND');
  const placeholders = [...(l.project?.secrets ?? []), ...l.registry].filter((s) => s.hosts).map((s) => s.name);
  if (placeholders.length > 0) lines.push(placeholderNote([...new Set(placeholders)]));
  return lines.join('\n');
}
