// Files Claude Code wrote a blocked prompt into, waiting for the scrub at SessionEnd: the prompt
// guard notes them (it runs before the client has finished writing, so it cannot scrub them
// itself), the session-end hook takes and scrubs them. One JSONL file in our data directory;
// names and paths only, never a value.
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { listDir } from '../core/list-dir.js';
import type { ClaudePaths } from '../core/paths.js';
import { isPidRunning } from '../core/process-info.js';

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

/** Notes a taker left under its pid (pending-scrub.jsonl.PID) and did not finish: it was killed. */
function orphans(paths: Pick<ClaudePaths, 'dataDir'>): string[] {
  return listDir(paths.dataDir)
    .filter((n) => {
      const m = /^pending-scrub\.jsonl\.(\d+)$/.exec(n);
      return m !== null && Number(m[1]) !== process.pid && !isPidRunning(Number(m[1]));
    })
    .map((n) => join(paths.dataDir, n));
}

/** Is there a note? A stat, and a listing of our data dir: the session-end hook asks every time. */
export function hasPendingScrubs(paths: Pick<ClaudePaths, 'dataDir'>): boolean {
  return existsSync(pendingFile(paths)) || orphans(paths).length > 0;
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

export interface TakenScrubs {
  notes: PendingScrub[];
  /** Done with the notes (the ones left were put back): the taken files go. */
  release(): void;
}

/**
 * Every note, taken from the file (renamed away to pending-scrub.jsonl.PID first, so that a note
 * added meanwhile is kept for the next taker), and those of takers killed before they finished.
 * The taken files stay until `release`: a taker killed mid-scrub leaves its notes to the next.
 */
export function takePendingScrubs(paths: Pick<ClaudePaths, 'dataDir'>): TakenScrubs {
  const file = pendingFile(paths);
  const mine = `${file}.${process.pid}`;
  const taken: string[] = [];
  let text = '';
  const read = (f: string) => {
    try {
      text += `${readFileSync(f, 'utf8')}\n`;
      taken.push(f);
    } catch {
      // gone: another taker has it
    }
  };
  // A file under our own pid before we took anything: left by an earlier process with this pid.
  if (existsSync(mine)) read(mine);
  for (const o of orphans(paths)) read(o);
  try {
    renameSync(file, mine);
    read(mine);
  } catch {
    // no new note
  }
  const notes: PendingScrub[] = [];
  const seen = new Set<string>();
  for (const l of text.split('\n')) {
    try {
      const n = JSON.parse(l) as PendingScrub;
      if (typeof n.session === 'string' && Array.isArray(n.keys) && !seen.has(l)) {
        seen.add(l);
        notes.push(n);
      }
    } catch {
      // blank or torn
    }
  }
  return {
    notes,
    release: () => {
      for (const f of new Set(taken)) {
        try {
          unlinkSync(f);
        } catch {
          // gone already
        }
      }
    },
  };
}

/** Put notes back (the scrub of their files failed or their session is still running). */
export function returnPendingScrubs(paths: Pick<ClaudePaths, 'dataDir'>, notes: readonly PendingScrub[]): void {
  for (const n of notes) notePendingScrub(paths, n);
}
