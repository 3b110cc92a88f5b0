// Stored keys that already sit in Claude Code's own files: `scan`, `scrub`, `doctor --values`
// and the scrub after a blocked prompt share this. The values (the registry's keys and those of
// an approved project file, from their sources) are held in memory only; what is reported is
// file, line, key name and form.
import { realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { audit } from '../core/audit-trail.js';
import { oneLine } from '../core/errors.js';
import type { PendingScrub } from '../claude/pending-scrub.js';
import { registryFile, type ClaudePaths, type Env } from '../core/paths.js';
import { makeMatcher, scanFile, scrubFile, type Secret } from '../claude/leak-scan.js';
import { storeFiles, type SkippedEntry } from '../claude/stores.js';
import type { FormName } from '../core/secret-forms.js';
import type { SecretBackend } from '../keyring/backend.js';
import { loadRegistry } from '../registry/registry-file.js';
import { loadApprovedProjectFile } from '../sources/approval.js';
import { mergeProject } from '../sources/team-file.js';
import { describeProblem, requestFor, resolveRequests, sourceContext } from '../sources/resolver.js';

export interface StoredSecrets {
  secrets: Secret[];
  /** Keys that could not be read, an unapproved project file...: one line each, never a value. */
  problems: string[];
}

/** Every stored key's value (registry, and the approved project file of `cwd`), or only those named. */
export async function storedSecrets(paths: ClaudePaths, cwd: string, backend: () => SecretBackend, env: Env, only?: readonly string[]): Promise<StoredSecrets> {
  const problems: string[] = [];
  let reg = await loadRegistry(registryFile(paths));
  try {
    const project = await loadApprovedProjectFile(paths, cwd);
    if (project) reg = mergeProject(reg, project, backend().id).registry;
  } catch (err) {
    problems.push(`the project file's keys were not looked for: ${oneLine((err as Error).message)}`);
  }
  const requests = Object.entries(reg.keys)
    .filter(([name]) => !only || only.includes(name))
    .map(([name, rec]) => requestFor(name, rec.source));
  if (requests.length === 0) return { secrets: [], problems };
  const res = await resolveRequests(requests, sourceContext(backend, env));
  for (const f of [...res.failed, ...res.missing]) problems.push(`not looked for: ${describeProblem(f.request, oneLine(f.reason))}`);
  const secrets = requests.flatMap((r) => (res.values.has(r.name) ? [{ name: r.name, value: res.values.get(r.name) as string }] : []));
  return { secrets, problems };
}

export interface LeakFinding {
  file: string;
  store: string;
  line: number;
  key: string;
  form: FormName;
}

export interface ScanReport {
  findings: LeakFinding[];
  /** Files and bytes read. */
  files: number;
  bytes: number;
  skipped: SkippedEntry[];
  unreadable: SkippedEntry[];
}

function errCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : 'error';
}

/** Look for every form of every secret in every store file (docs/leaks.md lists the stores). */
export function scanStores(paths: ClaudePaths, env: Env, secrets: readonly Secret[]): ScanReport {
  const report: ScanReport = { findings: [], files: 0, bytes: 0, skipped: [], unreadable: [] };
  const m = makeMatcher(secrets);
  if (m.longestBytes === 0) return report;
  for (const f of storeFiles(paths, env, report.skipped)) {
    try {
      for (const h of scanFile(f.file, m)) report.findings.push({ file: f.file, store: f.store, line: h.line, key: h.name, form: h.form });
      report.files++;
      report.bytes += f.size;
    } catch (err) {
      report.unreadable.push({ file: f.file, reason: `could not be read (${errCode(err)})` });
    }
  }
  return report;
}

export interface ScrubFileReport {
  file: string;
  keys: string[];
  /** Occurrences replaced (or, in a dry run, that would be). */
  occurrences: number;
  written: boolean;
  /** Lines of a JSON-lines file that are not JSON (left as they are, but for the values in them). */
  notJson: number[];
  /** Lines someone appended while the scrub ran, kept. */
  appendedDuring: number;
  /** Why the file was left as it is. */
  refused?: string;
}

/** Scrub these files (each atomically, mode kept); a failure in one is reported, the others go on. */
export function scrubFiles(files: readonly string[], secrets: readonly Secret[], dryRun: boolean): ScrubFileReport[] {
  const m = makeMatcher(secrets);
  const out: ScrubFileReport[] = [];
  for (const file of files) {
    try {
      const r = scrubFile(file, m, { jsonLines: file.endsWith('.jsonl'), dryRun });
      if (r.hits.length === 0 && !r.refused && r.notJson.length === 0) continue;
      out.push({
        file,
        keys: [...new Set(r.hits.map((h) => h.name))],
        occurrences: r.hits.length,
        written: r.written,
        notJson: r.notJson,
        appendedDuring: r.appendedDuring,
        ...(r.refused ? { refused: r.refused } : {}),
      });
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') continue;
      const why =
        code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? `its directory is not writable (${code})`
          : code === 'ELOOP'
            ? 'a symbolic link (not followed)'
            : `could not be rewritten (${code})`;
      out.push({ file, keys: [], occurrences: 0, written: false, notJson: [], appendedDuring: 0, refused: why });
    }
  }
  return out;
}

/** Scan every store, then scrub the files that hold a value. */
export function scrubStores(paths: ClaudePaths, env: Env, secrets: readonly Secret[], dryRun: boolean): { scan: ScanReport; files: ScrubFileReport[] } {
  const scan = scanStores(paths, env, secrets);
  const files = [...new Set(scan.findings.map((f) => f.file))];
  const reports = scrubFiles(files, secrets, dryRun);
  if (!dryRun) checkScrubbed(files, secrets, reports);
  return { scan, files: reports };
}

/**
 * Scan each scrubbed file again: what the line-wise replacement could not reach (an occurrence
 * that the matcher finds across a line break) is reported as left, never as done.
 */
function checkScrubbed(files: readonly string[], secrets: readonly Secret[], reports: ScrubFileReport[]): void {
  const m = makeMatcher(secrets);
  for (const file of files) {
    let left: string[];
    try {
      left = [...new Set(scanFile(file, m).map((h) => h.name))];
    } catch {
      continue; // gone, or unreadable: reported by the scrub already
    }
    if (left.length === 0) continue;
    const r = reports.find((x) => x.file === file);
    const refused = 'a value in it spans lines (wrapped base64?): remove it by hand';
    if (!r) reports.push({ file, keys: left, occurrences: 0, written: false, notJson: [], appendedDuring: 0, refused });
    else if (!r.refused) Object.assign(r, { refused, keys: [...new Set([...r.keys, ...left])] });
  }
}

/**
 * The scrub after a blocked prompt (SessionEnd): the blocked keys out of the session's
 * transcript, its debug log and the prompt history. Returns the notes to keep for a later try
 * (the values could not be read). A transcript path outside <config dir>/projects is ignored:
 * the hook input names it, and only Claude Code's own files are rewritten here.
 */
export async function scrubBlockedPrompts(paths: ClaudePaths, env: Env, cwd: string, backend: () => SecretBackend, notes: readonly PendingScrub[]): Promise<PendingScrub[]> {
  const names = [...new Set(notes.flatMap((n) => n.keys))];
  const { secrets } = await storedSecrets(paths, cwd, backend, env, names);
  if (secrets.length === 0) return [...notes];
  const projects = realOr(join(paths.configDir, 'projects'));
  const files = new Set([join(paths.configDir, 'history.jsonl')]);
  for (const n of notes) {
    if (n.file && realOr(n.file).startsWith(`${projects}${sep}`)) files.add(n.file);
    if (/^[A-Za-z0-9._-]{1,128}$/.test(n.session)) files.add(join(paths.configDir, 'debug', `${n.session}.txt`));
  }
  const done = scrubFiles([...files], secrets, false);
  const keys = [...new Set(done.flatMap((f) => f.keys))];
  if (keys.length > 0) audit(paths, { event: 'scrub', keys, outcome: 'after-block' }, env);
  return [];
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
