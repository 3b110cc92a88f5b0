// README and docs must not teach running keyring-inject through npm (npx / npm exec / npm run):
// npm writes the whole command line to ~/.npm/_logs/*-debug-0.log (0644), so a key typed there
// by mistake stays on disk even though keyring-inject itself refuses it (docs/npx-and-argv.md).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const docsDir = join(root, 'docs');
// npx-and-argv.md shows the anti-example on purpose.
const extra = existsSync(docsDir) ? readdirSync(docsDir).filter((f) => f.endsWith('.md') && f !== 'npx-and-argv.md') : [];
const docs = ['README.md', 'SECURITY.md', ...extra.map((f) => join('docs', f))];

describe('docs', () => {
  it('never show a keyring-inject command run through npx or npm exec, and say why', () => {
    for (const f of docs) {
      const text = readFileSync(join(root, f), 'utf8');
      // Commands in code blocks or inline code: `npx keyring-inject add …`, `npm exec keyring-inject …`.
      const taught = text.split('\n').filter((l) => /(?:^|[`|;&]\s*|\$\s*)(?:npx|npm\s+exec)\s+(?:--?\S+\s+)*keyring-inject\s+[a-z]/.test(l.trim()));
      expect(taught, f).toEqual([]);
    }
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('~/.npm/_logs/');
    expect(readme).toContain('docs/npx-and-argv.md');
  });
});
