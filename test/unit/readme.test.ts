// The README a newcomer follows (issue 18, item 5): short, its two set-up commands are the ones
// that install + run setup and run the tests (CI runs exactly the second), and every link in it
// and in docs/ leads somewhere.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GNOME_KEYRING_PACKAGES, GNOME_KEYRING_STEPS } from '../../src/keyring/headless-advice.js';
import { readmeSetupCommands } from '../helpers/readme.js';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('README.md', () => {
  it('is short: the user path, with the depth in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
  });

  it('starts with exactly two set-up commands: install + setup, and the tests CI runs', () => {
    const commands = readmeSetupCommands(readme);
    expect(commands).toHaveLength(2);
    // A copy, not npm's symlink to the clone (test/integration/install-copy.test.ts runs this line).
    expect(commands[0]).toMatch(/^npm install .*npm install -g --install-links \. && keyring-inject setup$/);
    expect(commands[1]).toBe('npm test');
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#') && !/^(set|cd) /.test(l));
    expect(ci).toEqual(['npm test']);
  });

  it('every relative link (README and docs/) points to a file that exists, and every anchor to a heading', () => {
    const files = [
      'README.md',
      'SECURITY.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    const broken: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      const headings = new Set([...text.matchAll(/^#+ (.*)$/gm)].map((m) => anchor(m[1] as string)));
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
        const [path, hash] = target.split('#') as [string, string | undefined];
        if (path === '') {
          if (hash && !headings.has(hash)) broken.push(`${f}: #${hash}`);
          continue;
        }
        if (!existsSync(resolve(dirname(join(root, f)), path))) broken.push(`${f}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('gives the headless steps exactly as the product prints them (test/integration/headless-advice.test.ts types those)', () => {
    expect(readme).toContain(`sudo apt-get install ${GNOME_KEYRING_PACKAGES}`);
    for (const step of GNOME_KEYRING_STEPS) expect(readme).toMatch(new RegExp(`^ *${step.command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( +#.*)?$`, 'm'));
  });
});
