// Rules of the house that the layer checker cannot see: a use case prints nothing (it returns a
// report for the command to render), a command stays a thin adapter, and a comment says why
// without pointing at an issue tracker the reader may not have.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import type * as TypeScript from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

const MAX_COMMAND_LINES = 120;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|cjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

interface Comment {
  line: number;
  text: string;
}

/**
 * The file's comments, and its code with every comment blanked out, from TypeScript's own parse
 * (a `//` inside a string, regex or template is not a comment). Every comment is leading or
 * trailing trivia of some token, the end-of-file token included, so walking the tokens finds them all.
 */
function splitComments(file: string, text: string): { code: string; comments: Comment[] } {
  // Loaded only when a file needs parsing: a clean tree never pays for the compiler.
  const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('.cjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const seen = new Set<number>();
  const ranges: TypeScript.CommentRange[] = [];
  const visit = (node: TypeScript.Node): void => {
    if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) return;
    const children = node.getChildren(sf);
    if (children.length === 0 || node.kind === ts.SyntaxKind.EndOfFileToken) {
      const around = [...(ts.getLeadingCommentRanges(text, node.pos) ?? []), ...(ts.getTrailingCommentRanges(text, node.end) ?? [])];
      for (const r of around) {
        if (seen.has(r.pos)) continue;
        seen.add(r.pos);
        ranges.push(r);
      }
    }
    for (const c of children) visit(c);
  };
  visit(sf);
  let code = text;
  for (const r of ranges) code = code.slice(0, r.pos) + text.slice(r.pos, r.end).replace(/[^\n]/g, ' ') + code.slice(r.end);
  const comments = ranges.map((r) => ({ line: sf.getLineAndCharacterOfPosition(r.pos).line + 1, text: text.slice(r.pos, r.end) }));
  return { code, comments };
}

/** `path:line: text` for each line of the file's code, or of its comments, that matches. */
function matchesIn(file: string, where: 'code' | 'comments', pattern: RegExp): string[] {
  const text = readFileSync(file, 'utf8');
  // Parsing all of src/ takes seconds: only a file whose text matches anywhere is parsed.
  if (!pattern.test(text)) return [];
  const { code, comments } = splitComments(file, text);
  const lines = where === 'code' ? [{ line: 1, text: code }] : comments;
  const path = relative(ROOT, file);
  return lines.flatMap((c) => c.text.split('\n').flatMap((l, i) => (pattern.test(l) ? [`${path}:${c.line + i}: ${l.trim()}`] : [])));
}

describe('architecture', () => {
  it('no use case in src/ops/ writes to the terminal or ends the process: it returns a report', () => {
    const found = sourceFiles(join(SRC, 'ops')).flatMap((f) => matchesIn(f, 'code', /\bstdout\b|\bstderr\b|\bconsole\.|\bprocess\.exit/));
    expect(found).toEqual([]);
  });

  it(`every command file in src/cli/commands/ is at most ${MAX_COMMAND_LINES} lines (parse, call the op, render)`, () => {
    const over = sourceFiles(join(SRC, 'cli', 'commands'))
      .filter((f) => readFileSync(f, 'utf8').replace(/\n$/, '').split('\n').length > MAX_COMMAND_LINES)
      .map((f) => relative(join(SRC, 'cli', 'commands'), f));
    expect(over).toEqual([]);
  });

  it('no comment in src/ cites an issue number: it says why instead', () => {
    const found = sourceFiles(SRC).flatMap((f) => matchesIn(f, 'comments', /\bissues? ?#?\d+/i));
    expect(found).toEqual([]);
  });
});
