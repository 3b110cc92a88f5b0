// Files Claude Code wrote a blocked prompt into, waiting for the scrub at SessionEnd: the prompt
// guard notes them (it runs before the client has finished writing, so it cannot scrub them
// itself), the session-end hook takes and scrubs them. One JSONL file in our data directory;
// names and paths only, never a value.
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ClaudePaths } from '../core/paths.js';

export interface PendingScrub {
  session: string;
  /** The session's transcript, as the hook input gave it. */
  file?: string;
  /** Names of the keys found in the blocked prompt. */
  keys: string[];
}

function pendingFile(paths: Pick<ClaudePaths, 'dataDir'>): string {
  return join(paths.dataDir, 'pending-scrub.jsonl');
}

/** Is there a note? One stat: the session-end hook asks every time. */
export function hasPendingScrubs(paths: Pick<ClaudePaths, 'dataDir'>): boolean {
  return existsSync(pendingFile(paths));
}

/** Append a note (0600, our data dir). Throws on failure: the caller says so to the user. */
export function notePendingScrub(paths: Pick<ClaudePaths, 'dataDir'>, note: PendingScrub): void {
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const fd = openSync(pendingFile(paths), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(note)}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Every note, removed from the file (renamed away first, so that a note added meanwhile is kept for the next taker). */
export function takePendingScrubs(paths: Pick<ClaudePaths, 'dataDir'>): PendingScrub[] {
  const file = pendingFile(paths);
  const mine = `${file}.${process.pid}`;
  try {
    renameSync(file, mine);
  } catch {
    return [];
  }
  let text = '';
  try {
    text = readFileSync(mine, 'utf8');
  } finally {
    try {
      unlinkSync(mine);
    } catch {
      // gone already
    }
  }
  const out: PendingScrub[] = [];
  for (const l of text.split('\n')) {
    try {
      const n = JSON.parse(l) as PendingScrub;
      if (typeof n.session === 'string' && Array.isArray(n.keys)) out.push(n);
    } catch {
      // blank or torn
    }
  }
  return out;
}

/** Put notes back (the scrub of their files failed or their session is still running). */
export function returnPendingScrubs(paths: Pick<ClaudePaths, 'dataDir'>, notes: readonly PendingScrub[]): void {
  for (const n of notes) notePendingScrub(paths, n);
}
