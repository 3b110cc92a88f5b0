// Where Claude Code (and what it runs) keeps text on this machine, for the leak scan and scrub.
// Checked against the client 2.1.332 (docs/leaks.md lists what it writes): everything under its
// config dir (transcripts, prompt history, file-history, paste cache, shell snapshots, session
// env files, todos, tasks, plans, debug logs, backups of the config...), the config's older
// backups beside it, its MCP logs in the cache dir, npm's debug logs (where `npx` command lines
// land) and its per-session task outputs in the temp dir.
//
// Not here: the config file itself (~/.claude.json holds injected values while a session runs:
// `doctor`, `import` and `cleanup` deal with it) and our own data directory.
import { type Dirent, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ClaudePaths, Env } from '../core/paths.js';

export interface StoreRoot {
  /** What it is, for messages: "Claude Code config dir", "MCP logs"... */
  label: string;
  path: string;
  /** A root that is one file, or the files of a directory matching `only` (not recursive). */
  only?: RegExp;
  /**
   * Walked only when it is a real directory of ours: the task outputs dir sits in the shared
   * temp dir, where another user can put a link of that name (to our home: scrub would rewrite
   * files there) or a directory of theirs.
   */
  ownDir?: boolean;
}

export interface StoreFile {
  file: string;
  /** The store it belongs to: "transcripts", "prompt history", "MCP logs"... */
  store: string;
  size: number;
}

export interface SkippedEntry {
  file: string;
  reason: string;
}

function home(env: Env): string {
  return env.HOME || env.USERPROFILE || '/';
}

export function storeRoots(paths: ClaudePaths, env: Env): StoreRoot[] {
  const h = home(env);
  const cache = env.XDG_CACHE_HOME || join(h, '.cache');
  const uid = process.getuid?.() ?? 0;
  const tmp = env.CLAUDE_CODE_TMPDIR || env.TMPDIR || '/tmp';
  return [
    { label: 'Claude Code config dir', path: paths.configDir },
    { label: 'config backups', path: dirname(paths.configFile), only: new RegExp(`^${basename(paths.configFile).replace(/\./g, '\\.')}\\.(backup|corrupted)`) },
    { label: 'MCP logs', path: join(cache, 'claude-cli-nodejs'), ownDir: true },
    { label: 'npm logs', path: join(h, '.npm', '_logs'), ownDir: true },
    { label: 'task outputs', path: join(tmp, `claude-${uid}`), ownDir: true },
  ];
}

/** The store a file under the config dir belongs to, by its first path component. */
function storeOf(root: StoreRoot, rel: string): string {
  if (root.label !== 'Claude Code config dir') return root.label;
  const first = rel.split('/')[0] ?? '';
  const named: Record<string, string> = {
    projects: 'transcripts',
    'history.jsonl': 'prompt history',
    'file-history': 'file-history snapshots',
    'paste-cache': 'paste cache',
    'shell-snapshots': 'shell snapshots',
    'session-env': 'session env files',
    todos: 'todos',
    tasks: 'tasks',
    plans: 'plans',
    debug: 'debug logs',
    backups: 'config backups',
    telemetry: 'telemetry',
  };
  return named[first] ?? first;
}

/**
 * Every regular file of every store, depth first. Symbolic links are never followed (a link in
 * ~/.claude may point anywhere: reported in `skipped`); the config dir itself may be a link.
 * Our own data directory and the config file are left out.
 */
export function* storeFiles(paths: ClaudePaths, env: Env, skipped: SkippedEntry[] = []): Generator<StoreFile> {
  const exclude = new Set([paths.dataDir, paths.configFile]);
  const seen = new Set<string>();
  for (const root of storeRoots(paths, env)) {
    let real: string;
    try {
      if (root.ownDir) {
        const st = lstatSync(root.path);
        const why = st.isSymbolicLink() ? 'a symbolic link (not followed)' : process.getuid !== undefined && st.uid !== process.getuid() ? "not the user's own directory (not read)" : undefined;
        if (why) {
          skipped.push({ file: root.path, reason: why });
          continue;
        }
      }
      real = realpathSync(root.path);
    } catch {
      continue; // not there
    }
    if (seen.has(real)) continue;
    seen.add(real);
    if (root.only) {
      for (const e of list(root.path)) {
        if (!root.only.test(e.name)) continue;
        const file = join(root.path, e.name);
        if (e.isSymbolicLink()) skipped.push({ file, reason: 'a symbolic link (not followed)' });
        else if (e.isFile()) yield* one(file, root.label);
      }
      continue;
    }
    const stack: string[] = [root.path];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      for (const e of list(dir)) {
        const file = join(dir, e.name);
        if (exclude.has(file)) continue;
        if (e.isSymbolicLink()) skipped.push({ file, reason: 'a symbolic link (not followed)' });
        else if (e.isDirectory()) stack.push(file);
        else if (e.isFile()) yield* one(file, storeOf(root, file.slice(root.path.length + 1)));
      }
    }
  }
}

function* one(file: string, store: string): Generator<StoreFile> {
  try {
    const st = lstatSync(file);
    if (st.isFile()) yield { file, store, size: st.size };
  } catch {
    // removed meanwhile
  }
}

function list(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}
