// Our session state file: live sessions and what is injected where. Never a value: an
// injected value is recognised by a salted HMAC, with a fresh random salt per injection.
import { join } from 'node:path';
import type { ClaudePaths } from '../core/paths.js';
import { readTextIfExists } from '../core/secure-file.js';
import type { Target } from '../registry/registry.js';

export interface SessionRecord {
  sessionId: string;
  /** The Claude Code process and its start time (clock ticks since boot), so a reused pid is not mistaken for it. */
  pid: number;
  procStart: string;
  startedAt: string;
  /** Registered by `keyring-inject claude` rather than by the SessionStart hook. */
  launcher?: boolean;
}

export interface InjectionRecord extends Target {
  key: string;
  /** The config file we wrote into. */
  file: string;
  /** We created the server's env object, so strip removes it again when it is empty. */
  createdEnv: boolean;
  salt: string;
  mac: string;
}

export interface State {
  version: 1;
  sessions: SessionRecord[];
  injected: InjectionRecord[];
}

export function stateFile(paths: ClaudePaths): string {
  return join(paths.dataDir, 'state.json');
}

export function emptyState(): State {
  return { version: 1, sessions: [], injected: [] };
}

export function parseState(text: string): State {
  const data = JSON.parse(text) as Partial<State>;
  if (data.version !== 1 || !Array.isArray(data.sessions) || !Array.isArray(data.injected)) {
    throw new Error('unexpected shape');
  }
  return { version: 1, sessions: data.sessions, injected: data.injected };
}

/** Best-effort read for reports: a missing or damaged state reads as empty. */
export async function readStateForReport(paths: ClaudePaths): Promise<State> {
  const text = await readTextIfExists(stateFile(paths)).catch(() => undefined);
  if (text === undefined) return emptyState();
  try {
    return parseState(text);
  } catch {
    return emptyState();
  }
}
