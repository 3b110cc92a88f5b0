import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isCliFileName } from '../core/paths.js';

/**
 * This process's CLI, as given and resolved, and the full-CLI bundle beside it (dist/main.js,
 * where `run`, `exec` and `headers` live, can be run directly too). Only when it is ours: in
 * tests argv[1] is the test runner. The guards' PreToolUse rule on `node <cli.js> run|exec|headers` needs them.
 */
export function ownCliPaths(): string[] {
  const script = process.argv[1];
  if (!script || !isCliFileName(script)) return [];
  const paths = [script];
  try {
    paths.push(realpathSync(script));
  } catch {
    // a path we cannot resolve: the given one still counts
  }
  for (const p of [...paths]) if (basename(p) === 'cli.js') paths.push(join(dirname(p), 'main.js'));
  return [...new Set(paths)];
}
