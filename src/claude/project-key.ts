// The key Claude Code uses for local-scope servers: the git root of the working directory
// (for a worktree, the main repository's root), else the directory itself.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export function projectKeyFor(dir: string): string {
  const start = safeRealpath(resolve(dir));
  for (let d = start; ; d = dirname(d)) {
    const git = join(d, '.git');
    if (existsSync(git)) return mainRepoRoot(d, git);
    if (dirname(d) === d) return start;
  }
}

function mainRepoRoot(root: string, git: string): string {
  try {
    if (statSync(git).isDirectory()) return root;
    // A worktree's .git is a file: "gitdir: <main>/.git/worktrees/<name>".
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(git, 'utf8'));
    const gitdir = m?.[1]?.trim();
    if (!gitdir) return root;
    const abs = isAbsolute(gitdir) ? gitdir : resolve(root, gitdir);
    const w = abs.lastIndexOf(`${join('.git', 'worktrees')}`);
    return w === -1 ? root : safeRealpath(abs.slice(0, w).replace(/[\\/]$/, ''));
  } catch {
    return root;
  }
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
