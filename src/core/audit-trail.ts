// The audit trail: one JSONL file in our data directory with a line for each use of a key (a
// wrapped server start, a header, a `run`, an injection or strip, a request_secret outcome, an
// approval, a guard's block or mask, a scrub). Key NAMES only: never a value, never a command
// line (a program is recorded by its base name).
//
// It is written on the hooks' hot path, so a write is one open(O_APPEND) + write + fstat, and a
// failure is swallowed: the audit never stops what it records. Its settings are read only from
// our own data directory (`settings.json`, key `audit`), never from the environment or a
// project's files, so that a repository cannot switch it off.
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ClaudePaths, Env } from './paths.js';

export type AuditEvent = 'exec' | 'headers' | 'run' | 'inject' | 'strip' | 'request_secret' | 'approval' | 'guard-block' | 'guard-mask' | 'scrub' | 'substitute';

export interface AuditEntry {
  event: AuditEvent;
  /** Key names. */
  keys: readonly string[];
  server?: string;
  /** The program's base name (run, exec): never its arguments. */
  program?: string;
  /** What happened (request_secret: stored / declined / ...; scrub: files). */
  outcome?: string;
  /** A tool or a project directory, where it says where the use was. */
  where?: string;
  /** substitute: the request the placeholder proxy put the value into (the path without its query). */
  host?: string;
  method?: string;
  path?: string;
}

export interface AuditLine extends AuditEntry {
  ts: string;
  /** Who started it: Claude Code marks its children's environment (CLAUDECODE=1). */
  by: 'claude' | 'user';
  pid: number;
}

export interface AuditSettings {
  enabled: boolean;
  /** The file is rotated once it grows past this. */
  maxBytes: number;
  /** Rotated files kept (audit.jsonl.1 ... .N). */
  keep: number;
}

export const AUDIT_DEFAULTS: AuditSettings = { enabled: true, maxBytes: 1024 * 1024, keep: 3 };

export function auditFile(paths: Pick<ClaudePaths, 'dataDir'>): string {
  return join(paths.dataDir, 'audit.jsonl');
}

/** `<dataDir>/settings.json` `{"audit": {"enabled", "maxBytes", "keep"}}`; defaults for anything missing or malformed. */
export function auditSettings(paths: Pick<ClaudePaths, 'dataDir'>): AuditSettings {
  let raw: unknown;
  try {
    raw = (JSON.parse(readFileSync(join(paths.dataDir, 'settings.json'), 'utf8')) as { audit?: unknown }).audit;
  } catch {
    return AUDIT_DEFAULTS;
  }
  if (raw === null || typeof raw !== 'object') return AUDIT_DEFAULTS;
  const r = raw as Record<string, unknown>;
  const count = (v: unknown, min: number, max: number, d: number) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : d);
  return {
    enabled: r.enabled !== false,
    maxBytes: count(r.maxBytes, 4096, 1024 ** 3, AUDIT_DEFAULTS.maxBytes),
    keep: count(r.keep, 0, 20, AUDIT_DEFAULTS.keep),
  };
}

const SAFE = /^[A-Za-z0-9._+@:/-]{1,128}$/;

/** A name, a server or an outcome as it goes into the file: anything odd becomes "?" (it might be pasted text). */
function safe(s: string): string {
  return SAFE.test(s) ? s : '?';
}

/** A program as recorded: its base name only, and only when it looks like one. */
export function programName(command: string): string {
  const b = basename(command);
  return /^[A-Za-z0-9._+-]{1,64}$/.test(b) ? b : '?';
}

export function auditLine(entry: AuditEntry, env: Env, now: Date = new Date()): AuditLine {
  const line: AuditLine = { ts: now.toISOString(), event: entry.event, keys: [...new Set(entry.keys)].map(safe), by: env.CLAUDECODE === '1' ? 'claude' : 'user', pid: process.pid };
  if (entry.server !== undefined) line.server = safe(entry.server);
  if (entry.program !== undefined) line.program = programName(entry.program);
  if (entry.outcome !== undefined) line.outcome = safe(entry.outcome);
  if (entry.where !== undefined) line.where = safe(entry.where);
  if (entry.host !== undefined) line.host = safe(entry.host);
  if (entry.method !== undefined) line.method = safe(entry.method);
  if (entry.path !== undefined) line.path = safe(entry.path);
  return line;
}

/** Append one line. Never throws: an audit that cannot be written must not stop the use it records. */
export function audit(paths: Pick<ClaudePaths, 'dataDir'>, entry: AuditEntry, env: Env = process.env): void {
  try {
    const settings = auditSettings(paths);
    if (!settings.enabled) return;
    const file = auditFile(paths);
    const text = `${JSON.stringify(auditLine(entry, env))}\n`;
    // Rotate before the line that would take the file past the cap, so that the newest line is
    // always in audit.jsonl itself and no file grows past maxBytes (but for one line longer than it).
    const size = sizeOf(file);
    if (size > 0 && size + Buffer.byteLength(text) > settings.maxBytes) rotate(file, settings.keep);
    let fd: number;
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
    try {
      fd = openSync(file, flags, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
      fd = openSync(file, flags, 0o600);
    }
    try {
      writeSync(fd, text);
      if ((fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
  } catch {
    // see above
  }
}

/** The file's size; 0 when it is not there yet. */
function sizeOf(file: string): number {
  try {
    return lstatSync(file).size;
  } catch {
    return 0;
  }
}

/** audit.jsonl -> .1 -> .2 ...; the oldest beyond `keep` is overwritten. Renames only: a concurrent writer's line lands in one file or the other. */
function rotate(file: string, keep: number): void {
  for (let i = keep - 1; i >= 1; i--) {
    try {
      renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    } catch {
      // not there
    }
  }
  try {
    if (keep > 0) renameSync(file, `${file}.1`);
    else renameSync(file, `${file}.old`);
  } catch {
    // another writer rotated it first
  }
}

/** Every line of the trail (rotated files first, oldest first) at or after `since`; unparseable lines are skipped. */
export function readAudit(paths: Pick<ClaudePaths, 'dataDir'>, since?: Date): AuditLine[] {
  const file = auditFile(paths);
  const { keep } = auditSettings(paths);
  const files = [...Array.from({ length: Math.max(keep, 1) }, (_, i) => `${file}.${Math.max(keep, 1) - i}`), file];
  const out: AuditLine[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const l of text.split('\n')) {
      if (l.trim() === '') continue;
      try {
        const rec = JSON.parse(l) as AuditLine;
        if (typeof rec.ts !== 'string' || typeof rec.event !== 'string') continue;
        if (since && Date.parse(rec.ts) < since.getTime()) continue;
        out.push(rec);
      } catch {
        // a torn line (a crash mid-write): skipped
      }
    }
  }
  return out;
}
