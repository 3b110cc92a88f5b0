// Approval of a project's `.claude/secrets.json` before anything uses it (like direnv's `allow`):
// the file comes with a repository, so it is used only once the user has approved its exact bytes
// on this machine. The approval is per file (its real path), pinned to the sha256 of the bytes,
// and stored in our data dir (`approvals.json`, 0600) — never in the repository. Any change to
// the file needs approval again. A refusal says what the file would do — names, sources, ids,
// targets, never a value (the file holds none) — and, for a changed file, the change against the
// approved version in those terms.
//
// `loadApprovedProjectFile` is the one entry point for every command that uses a project file
// (run, the launcher, exec, and other engineers' code): it returns the file only when approved.
import { realpathSync } from 'node:fs';
import type { ClaudePaths } from '../core/paths.js';
import { join } from 'node:path';
import { KiError } from '../core/errors.js';
import { readPrivateStore, withPrivateStore, type PrivateStore } from '../core/private-store.js';
import { parseJson } from '../core/parse-json.js';
import { findProjectFile, loadProjectFile, type ProjectEntry, type ProjectFile } from './team-file.js';
import { isRecord } from '../core/is-record.js';
import { shellQuote } from '../core/shell.js';
import type { VaultPin } from '../registry/vault-pin.js';

/** What an approval remembers of the file: its hash, and its entries in the terms a diff shows. */
export interface Approval {
  sha256: string;
  approvedAt: string;
  entries: Record<string, EntrySummary>;
  /** Where the file's vault entries send your token: VAULT_ADDR (and VAULT_CACERT) where you approved it (the file cannot say). */
  vault?: VaultPin;
}

/** An entry without anything but what it does: source (as spelled), id, metadata, targets. */
export interface EntrySummary {
  source: string;
  id: string;
  metadata?: Record<string, string>;
  targets?: { server: string; env: string }[];
  hosts?: string[];
}

interface ApprovalsFile {
  version: 1;
  /** Real path of the project file -> its approval. */
  files: Record<string, Approval>;
}

export type ApprovalState =
  | { state: 'none' }
  | { state: 'approved'; project: ProjectFile }
  | { state: 'unapproved'; project: ProjectFile }
  | { state: 'changed'; project: ProjectFile; previous: Approval };

export function approvalsFile(paths: ClaudePaths): string {
  return join(paths.dataDir, 'approvals.json');
}

/** The file's identity for approvals: its real path (a moved or re-linked file is a new one). */
function fileKey(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** The approvals store: a damaged one is refused (every approval in it would be a guess). */
function approvalsStore(paths: ClaudePaths): PrivateStore<ApprovalsFile> {
  const file = approvalsFile(paths);
  return {
    file,
    empty: () => ({ version: 1, files: {} }),
    parse: (text) => {
      const damaged = () => new KiError('approvals-invalid', `${file} is damaged: move it away (every project file then needs 'keyring-inject allow' again)`);
      const data = parseJson(text, damaged);
      if (!isRecord(data) || data.version !== 1 || !isRecord(data.files)) throw damaged();
      return data as unknown as ApprovalsFile;
    },
  };
}

export function summarize(entry: ProjectEntry): EntrySummary {
  return {
    source: entry.sourceName,
    id: entry.ref.id,
    ...(entry.ref.metadata ? { metadata: { ...entry.ref.metadata } } : {}),
    ...(entry.targets.length > 0 ? { targets: entry.targets.map((t) => ({ server: t.server, env: t.env })) } : {}),
    ...(entry.hosts ? { hosts: [...entry.hosts] } : {}),
  };
}

export function summarizeAll(project: ProjectFile): Record<string, EntrySummary> {
  return Object.fromEntries([...project.entries].map(([name, e]) => [name, summarize(e)]));
}

/** "NAME <- doppler STRIPE_KEY (project=shop) -> stripe.env.STRIPE_API_KEY" — never a value (the file holds none). */
export function describeEntry(name: string, e: EntrySummary): string {
  const meta = Object.entries(e.metadata ?? {}).map(([k, v]) => `${k}=${v}`);
  const to = e.targets?.length ? e.targets.map((t) => `${t.server}.env.${t.env}`).join(', ') : `$${name} for 'keyring-inject run'`;
  const hosts = e.hosts?.length ? ` (placeholder key: its value goes only to ${e.hosts.join(', ')})` : '';
  return `${name} <- ${e.source} ${e.id}${meta.length ? ` (${meta.join(', ')})` : ''} -> ${to}${hosts}`;
}

/** The variables an entry sets: its targets' env names, else NAME itself (for 'keyring-inject run'). */
export function variablesOf(name: string, e: EntrySummary): string[] {
  return e.targets?.length ? e.targets.map((t) => t.env) : [name];
}

/** The change from `before` to `after`, one line per entry: "+ …" added, "- …" removed (a changed entry is both). */
export function diffEntries(before: Record<string, EntrySummary>, after: Record<string, EntrySummary>): string[] {
  const lines: string[] = [];
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const name of names) {
    const b = before[name];
    const a = after[name];
    if (b && a && JSON.stringify(b) === JSON.stringify(a)) continue;
    if (b) lines.push(`- ${describeEntry(name, b)}`);
    if (a) lines.push(`+ ${describeEntry(name, a)}`);
  }
  return lines;
}

/** Is the project file `where` approved as it is now? Reads and hashes it once (what is checked is what is used). */
export async function approvalState(paths: ClaudePaths, where: { root: string; file: string }): Promise<ApprovalState> {
  return stateOf(paths, await loadProjectFile(where));
}

/** The approval state of a file as read (loadProjectFile). */
async function stateOf(paths: ClaudePaths, project: ProjectFile): Promise<ApprovalState> {
  if (project.sha256 === undefined) return { state: 'none' };
  const previous = (await readPrivateStore(approvalsStore(paths))).files[fileKey(project.file)];
  if (!previous) return { state: 'unapproved', project };
  if (previous.sha256 === project.sha256) return { state: 'approved', project: previous.vault ? { ...project, vault: previous.vault } : project };
  return { state: 'changed', project, previous };
}

/** A refusal: one line (the error), then what the file would do, line by line. */
export class ProjectNotApprovedError extends KiError {
  constructor(message: string, details: string[]) {
    super('project-not-approved', message, { details });
    this.name = 'ProjectNotApprovedError';
  }
}

/** The command that approves the file of project `root`. */
export function allowCommand(root: string): string {
  return `keyring-inject allow ${shellQuote(root)}`;
}

/** The refusal for a file that is not approved as it is (undefined when it is). */
export function refusalFor(st: ApprovalState): ProjectNotApprovedError | undefined {
  if (st.state === 'unapproved') {
    const entries = summarizeAll(st.project);
    return new ProjectNotApprovedError(
      `the project file ${st.project.file} is not approved on this machine: read what it would do (below), then run '${allowCommand(st.project.root)}'`,
      Object.keys(entries).length ? Object.entries(entries).map(([n, e]) => describeEntry(n, e)) : ['(no entries)'],
    );
  }
  if (st.state === 'changed') {
    const diff = diffEntries(st.previous.entries, summarizeAll(st.project));
    return new ProjectNotApprovedError(
      `the project file ${st.project.file} changed since you approved it: read the change (below), then run '${allowCommand(st.project.root)}'`,
      diff.length ? diff : ['(formatting only: the same names, sources and targets)'],
    );
  }
  return undefined;
}

/**
 * The project file that applies in `dir` (nearest `.claude/secrets.json` up to the git top), if it
 * is approved as it is. Undefined when there is none. Throws ProjectNotApprovedError (a KiError
 * with `details`) when there is one that is not approved, or changed since; KiError when it is not
 * valid. Never reads a value.
 */
export async function loadApprovedProjectFile(paths: ClaudePaths, dir: string): Promise<ProjectFile | undefined> {
  const where = findProjectFile(dir, paths.configDir);
  if (!where) return undefined;
  const st = await approvalState(paths, where);
  if (st.state === 'none') return undefined;
  if (st.state === 'approved') return st.project;
  throw refusalFor(st) as ProjectNotApprovedError;
}

/**
 * For the wrapper of server `server` of the project in `dir`: the approved project file when it
 * maps keys to that server; undefined when there is no file or it does not name the server (an
 * unapproved file that does not concern this server does not stop it). Throws the refusal when
 * the file names the server but is not approved as it is.
 */
export async function approvedProjectFileFor(paths: ClaudePaths, dir: string, server: string): Promise<ProjectFile | undefined> {
  const where = findProjectFile(dir, paths.configDir);
  if (!where) return undefined;
  const project = await loadProjectFile(where);
  // Whether the file concerns this server is decided first: a file (or an approvals store) that
  // has nothing to do with it must not stop it.
  if (![...project.entries.values()].some((e) => e.targets.some((t) => t.server === server))) return undefined;
  const st = await stateOf(paths, project);
  if (st.state === 'none') return undefined;
  if (st.state === 'approved') return st.project;
  throw refusalFor(st) as ProjectNotApprovedError;
}

/** Record the approval of `project` exactly as it was read (its hash), with `vault` as its Vault address (default: the one approved before). */
export async function approve(paths: ClaudePaths, project: ProjectFile, now: Date, vault?: VaultPin): Promise<void> {
  if (project.sha256 === undefined) throw new KiError('project-missing', `there is no project file ${project.file} to approve`);
  await withPrivateStore(approvalsStore(paths), async ({ value: all, write }) => {
    const key = fileKey(project.file);
    const pin = vault ?? all.files[key]?.vault;
    all.files[key] = { sha256: project.sha256 as string, approvedAt: now.toISOString(), entries: summarizeAll(project), ...(pin ? { vault: pin } : {}) };
    await write(all);
  });
}

/** Forget the approval of the project file `file`. Returns whether there was one. */
export async function revoke(paths: ClaudePaths, file: string): Promise<boolean> {
  return withPrivateStore(approvalsStore(paths), async ({ value: all, write }) => {
    const key = fileKey(file);
    if (!all.files[key]) return false;
    delete all.files[key];
    await write(all);
    return true;
  });
}
