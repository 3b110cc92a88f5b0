// Claude Code's memory files (CLAUDE.md) may import other files with `@path`; an imported file
// goes into the system prompt at session start, with no tool call and so no guard. A repository's
// CLAUDE.md with `@~/.claude.json` (once the user accepted the external-imports dialog) would put
// every injected key into the prompt. Inject mode therefore injects nothing while a memory file in
// effect imports the config, its backups or siblings, or our data directory. The InstructionsLoaded
// hook event only reports a load, after the fact: it cannot stop one.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { ClaudePaths } from '../core/paths.js';

/** Claude Code follows imports this many levels deep. */
const MAX_DEPTH = 5;
const MAX_FILE_BYTES = 1024 * 1024;

/** The memory files Claude Code loads for a session in `cwd`: the user's, and each directory's from `cwd` up to the root. */
function memoryFiles(cwd: string, paths: ClaudePaths): string[] {
  const files = [join(paths.configDir, 'CLAUDE.md')];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    files.push(join(dir, 'CLAUDE.md'), join(dir, '.claude', 'CLAUDE.md'), join(dir, 'CLAUDE.local.md'));
    if (dirname(dir) === dir) break;
  }
  return files.filter((f) => existsSync(f));
}

/** The `@path` imports of a memory file's text, outside code blocks and code spans. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const prose = text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
  for (const m of prose.matchAll(/(?:^|\s)@((?:~|\.{1,2})?\/?[^\s`'"<>()[\]]+)/g)) out.push(m[1] as string);
  return out;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Is `target` one of the files that hold injected keys, or ours? */
function sensitive(target: string, paths: ClaudePaths): boolean {
  const t = real(target);
  const within = (dir: string) => t === dir || t.startsWith(dir + sep);
  const config = real(paths.configFile);
  return t === config || t.startsWith(`${config}.`) || t.startsWith(`${paths.configFile}.`) || within(real(paths.backupsDir)) || within(real(paths.dataDir));
}

/** The first memory file in effect for `cwd` that imports (directly or through other imports) a file holding keys, with that file; undefined if none. */
export function secretImport(cwd: string, paths: ClaudePaths, home: string): { file: string; imports: string } | undefined {
  const seen = new Set<string>();
  const walk = (file: string, depth: number): string | undefined => {
    const r = real(file);
    if (seen.has(r) || depth > MAX_DEPTH) return undefined;
    seen.add(r);
    let text: string;
    try {
      const buf = readFileSync(file);
      text = buf.subarray(0, MAX_FILE_BYTES).toString('utf8');
    } catch {
      return undefined;
    }
    for (const spec of importsOf(text)) {
      const target = spec.startsWith('~/') ? join(home, spec.slice(2)) : isAbsolute(spec) ? spec : resolve(dirname(file), spec);
      if (sensitive(target, paths)) return target;
      if (existsSync(target)) {
        const deeper = walk(target, depth + 1);
        if (deeper) return deeper;
      }
    }
    return undefined;
  };
  for (const file of memoryFiles(cwd, paths)) {
    const imports = walk(file, 0);
    if (imports) return { file, imports };
  }
  return undefined;
}

/** The user's one-line warning for `found`. */
export function secretImportWarning(found: { file: string; imports: string }): string {
  return `no keys injected: ${found.file} makes Claude Code import ${found.imports} into the model's prompt, which would show it the keys; remove that @-import (or run this project without inject-mode keys)`;
}
