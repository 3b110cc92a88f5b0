// Files a reference names (an env file, a KeePassXC database or key file, an age file or
// identity). A reference from a project's `.claude/secrets.json` names them relative to the
// project root and may not leave it (`..`, absolute paths and links pointing outside are
// refused: the file comes with a repository, i.e. from other people); a reference of the user
// registry holds absolute paths.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PATH_METADATA, type SourceRef } from '../registry/source-ref.js';

export type PathResult = { file: string } | { problem: string; missing?: boolean };

function inside(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The absolute file metadata[key] names (lexical check only), or why it may not be used. */
export function refFilePath(ref: SourceRef, key: string, fallback?: string): PathResult | undefined {
  const p = ref.metadata?.[key] ?? fallback;
  if (p === undefined) return undefined;
  if (ref.root === undefined) {
    if (!isAbsolute(p))
      return {
        problem: `metadata.${key} of the ${ref.source} reference in the user registry must be absolute: re-add the key with 'keyring-inject add NAME --source ${ref.source} --meta ${key}=FILE'`,
      };
    return { file: resolve(p) };
  }
  if (isAbsolute(p) || /^[A-Za-z]:/.test(p)) return { problem: `metadata.${key} must be relative to the project root ${ref.root}: an absolute path is refused in a project file` };
  const file = resolve(ref.root, p);
  if (!inside(ref.root, file)) return { problem: `metadata.${key} leaves the project root ${ref.root}: give a path inside the project` };
  return { file };
}

/** The first lexical problem of any path metadata of `ref` (with its root), or undefined. */
export function refPathProblem(ref: SourceRef): string | undefined {
  for (const key of PATH_METADATA[ref.source] ?? []) {
    const r = refFilePath(ref, key);
    if (r && 'problem' in r) return r.problem;
  }
  return undefined;
}

/** For a file about to be created: its directory's real path must stay inside the real project root too. */
export function newFileProblem(ref: SourceRef, file: string): string | undefined {
  if (ref.root === undefined) return undefined;
  try {
    if (!inside(realpathSync(ref.root), join(realpathSync(dirname(file)), basename(file)))) return `${file} is in a directory that links outside the project root ${ref.root}: refused`;
  } catch (err) {
    return `cannot create ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): does its directory exist?`;
  }
  return undefined;
}

/** The real path of the file (it must exist); for a project reference it must stay inside the real project root. */
export function realRefPath(ref: SourceRef, key: string, what: string, fallback?: string): PathResult | undefined {
  const where = refFilePath(ref, key, fallback);
  if (!where || 'problem' in where) return where;
  let real: string;
  try {
    real = realpathSync(where.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? { problem: `the ${what} ${where.file} does not exist: create it or fix metadata.${key}`, missing: true }
      : { problem: `cannot read the ${what} ${where.file} (${code ?? 'error'}): fix its permissions` };
  }
  if (ref.root !== undefined) {
    let realRoot: string;
    try {
      realRoot = realpathSync(ref.root);
    } catch {
      realRoot = ref.root;
    }
    if (!inside(realRoot, real)) return { problem: `the ${what} ${where.file} is a link that leaves the project root ${ref.root}: refused` };
  }
  return { file: real };
}
