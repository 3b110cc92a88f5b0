// Adds {"NAME": {"source": "built-in", "id": "ID"}} to a project's .claude/secrets.json, keeping
// every other entry exactly as the file has it (the file is committed: a small diff).
//
// The file is used only once the user approved its exact bytes (sources/approval.ts). The user
// has just typed the value on our page for this very entry, so our own edit is approved again —
// but only when the file was approved (or absent) before it: content someone else put there and
// the user never approved stays unapproved, whatever we add to it.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KiError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { withoutBom } from '../core/bom.js';
import type { ClaudePaths } from '../core/paths.js';
import { approvalState, approve } from '../sources/approval.js';
import { loadProjectFile } from '../sources/team-file.js';
import { isRecord } from '../core/is-record.js';

/** The file's text with the reference added (undefined: it is there already). Pure. */
export function withReference(text: string | undefined, name: string, id: string): string | undefined {
  let data: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(withoutBom(text));
    } catch {
      throw new KiError('project-invalid', 'the project file is not valid JSON: fix it first');
    }
    if (!isRecord(parsed)) throw new KiError('project-invalid', 'the project file is not a JSON object: fix it first');
    data = parsed;
  }
  const old = data[name];
  if (isRecord(old) && (old.source === 'built-in' || old.source === 'keyring') && old.id === id) return undefined;
  data[name] = isRecord(old) && old.source === 'keyring' ? { ...old, id } : { ...(isRecord(old) ? old : {}), source: 'built-in', id };
  return `${JSON.stringify(data, null, 2)}\n`;
}

/** Write the reference; returns whether the file is approved afterwards. */
export async function writeProjectReference(target: { file: string; root: string; name: string; id: string }, paths: ClaudePaths, now: Date): Promise<boolean> {
  const where = { root: target.root, file: target.file };
  const before = await approvalState(paths, where);
  let text: string | undefined;
  try {
    text = await readFile(target.file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Judged on the bytes we edit: a change landing between the check and our read stays unapproved.
  const wasApproved = before.state === 'none' ? text === undefined : before.state === 'approved' && text !== undefined && createHash('sha256').update(text).digest('hex') === before.project.sha256;
  const next = withReference(text, target.name, target.id);
  if (next !== undefined) {
    await mkdir(dirname(target.file), { recursive: true });
    // A new file is meant to be committed: 0644 like any other; an existing one keeps its mode.
    await writeFileAtomic(target.file, next, text === undefined ? { mode: 0o644 } : {});
  }
  if (!wasApproved) return false;
  // Approve exactly the bytes we wrote: if anything else changed the file meanwhile, it stays unapproved.
  const project = await loadProjectFile(where);
  const ours = createHash('sha256')
    .update(next ?? text ?? '')
    .digest('hex');
  if (project.sha256 !== ours) return false;
  await approve(paths, project, now);
  return true;
}
