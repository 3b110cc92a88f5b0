// Which memory files (CLAUDE.md) import a file that holds injected keys (src/claude/memory-imports.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudePaths } from '../../src/core/paths.js';
import { importsOf, secretImport } from '../../src/claude/memory-imports.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

describe('memory-file imports of the config', () => {
  it('reads @imports outside code blocks and spans', () => {
    expect(importsOf('see @~/.claude.json and @docs/x.md.\n```\n@~/.claude.json\n```\n`@/etc/passwd`')).toEqual(['~/.claude.json', 'docs/x.md.']);
  });

  it('finds the config, a backup, a sibling and our data dir, directly or through another import, in the project or a parent', () => {
    const paths = claudePaths(t.env);
    const project = join(t.home, 'work', 'repo');
    mkdirSync(join(project, 'docs'), { recursive: true });
    expect(secretImport(project, paths, t.home)).toBeUndefined();
    for (const [target, where] of [
      ['@~/.claude.json', join(project, 'CLAUDE.md')],
      [`@${join(paths.backupsDir, '.claude.json.backup.1')}`, join(project, '.claude', 'CLAUDE.md')],
      ['@../../.claude.json.backup', join(project, 'CLAUDE.local.md')],
      [`@${join(paths.dataDir, 'state.json')}`, join(t.home, 'work', 'CLAUDE.md')],
    ] as const) {
      mkdirSync(join(where, '..'), { recursive: true });
      writeFileSync(where, `# notes\n${target}\n`);
      expect(secretImport(project, paths, t.home)?.file, target).toBe(where);
      writeFileSync(where, '# notes\n');
    }
    writeFileSync(join(project, 'docs', 'more.md'), 'also @~/.claude.json\n');
    writeFileSync(join(project, 'CLAUDE.md'), 'read @docs/more.md\n');
    expect(secretImport(project, paths, t.home)).toEqual({ file: join(project, 'CLAUDE.md'), imports: join(t.home, '.claude.json') });
  });
});
