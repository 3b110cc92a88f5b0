// Who is alive. A pid alone is not an identity (pids are reused), so a process is named by its
// pid plus its start time; a process whose start time differs is a different process.
import { childProcess } from './lazy-load.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessId {
  pid: number;
  /** Linux: start time in clock ticks since boot (/proc/<pid>/stat field 22); elsewhere: `ps -o lstart`. */
  procStart: string;
}

interface StatFields {
  state: string;
  ppid: number;
  start: string;
  comm: string;
}

function linuxStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself contain spaces or ')': split after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const rest = text.slice(close + 2).split(' ');
  const [state, ppid, start] = [rest[0], rest[1], rest[19]];
  if (state === undefined || ppid === undefined || start === undefined) return undefined;
  return { state, ppid: Number(ppid), start, comm };
}

function psField(pid: number, field: string): string | undefined {
  try {
    const out = childProcess()
      .execFileSync('ps', ['-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

const onLinux = process.platform === 'linux';

export function procStartOf(pid: number): string | undefined {
  if (onLinux) return linuxStat(pid)?.start;
  return psField(pid, 'lstart');
}

export function parentOf(pid: number): number | undefined {
  if (onLinux) return linuxStat(pid)?.ppid;
  const v = psField(pid, 'ppid');
  return v === undefined ? undefined : Number(v);
}

function commOf(pid: number): string | undefined {
  if (onLinux) return linuxStat(pid)?.comm;
  return psField(pid, 'comm')?.split('/').pop();
}

export function identify(pid: number): ProcessId | undefined {
  const procStart = procStartOf(pid);
  return procStart === undefined ? undefined : { pid, procStart };
}

/**
 * A process with this pid exists (signal 0; EPERM: it does, as another user's). Only where the
 * pid names a process of the moment, e.g. a temp file's writer: a stored pid wants isAlive.
 */
export function isPidRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and the same process (not a reused pid); a zombie counts as dead. */
export function isAlive(p: ProcessId): boolean {
  if (!Number.isInteger(p.pid) || p.pid <= 0) return false;
  if (onLinux) {
    const st = linuxStat(p.pid);
    return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.start === p.procStart;
  }
  try {
    process.kill(p.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procStartOf(p.pid) === p.procStart;
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ksh', 'fish', 'env', 'timeout']);

/**
 * The Claude Code process that ran this hook. Claude Code runs hooks as `/bin/sh -c CMD`, so
 * it is usually our grandparent (bash may exec the command and make it our parent). We walk up
 * a few ancestors and prefer the one whose `<config dir>/sessions/<pid>.json` names this
 * session; otherwise the first ancestor that is not a shell.
 */
export function findClaudeProcess(sessionsDir: string, sessionId: string, from: number = process.ppid): ProcessId | undefined {
  const ancestors: number[] = [];
  for (let pid: number | undefined = from, i = 0; pid && pid > 1 && i < 6; pid = parentOf(pid), i++) ancestors.push(pid);
  for (const pid of ancestors) {
    try {
      const rec = JSON.parse(readFileSync(join(sessionsDir, `${pid}.json`), 'utf8')) as { sessionId?: unknown };
      if (rec.sessionId === sessionId) return identify(pid);
    } catch {
      // no session file for this ancestor
    }
  }
  // Without a session file, the first ancestor that is not a shell, if it can be Claude Code
  // (the native `claude` binary, or a node/bun-run client). Anything else (pid 1, systemd, a
  // subreaper that adopted the hook after Claude Code died) would never die: refuse it.
  const claude = ancestors.find((pid) => !SHELLS.has(commOf(pid) ?? ''));
  if (claude === undefined || claude === 1 || !CLIENT_NAMES.test(commOf(claude) ?? '')) return undefined;
  return identify(claude);
}

const CLIENT_NAMES = /^(claude|node|bun)/i;

/**
 * Claude Code processes that are alive now, from the session files the client keeps
 * (`<config dir>/sessions/<pid>.json`): the same process when the file's start time matches,
 * or, for a file without one, when the pid runs the client.
 */
export function liveClaudeProcesses(sessionsDir: string): ProcessId[] {
  let names: string[];
  try {
    names = readdirSync(sessionsDir);
  } catch {
    return [];
  }
  const out: ProcessId[] = [];
  for (const name of names) {
    const m = /^(\d+)\.json$/.exec(name);
    if (!m) continue;
    const id = identify(Number(m[1]));
    if (!id) continue;
    let rec: { procStart?: unknown };
    try {
      rec = JSON.parse(readFileSync(join(sessionsDir, name), 'utf8')) as { procStart?: unknown };
    } catch {
      continue;
    }
    const same = rec.procStart !== undefined ? String(rec.procStart) === id.procStart : CLIENT_NAMES.test(commOf(id.pid) ?? '');
    if (same && isAlive(id)) out.push(id);
  }
  return out;
}
