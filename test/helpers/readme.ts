// The README's set-up commands, as a user copies them: the one code block under "Set-up", comments
// dropped. Read by the README's own test and by the install test, which runs the first of them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const README_PATH = join(__dirname, '..', '..', 'README.md');

export function readmeSetupCommands(readme = readFileSync(README_PATH, 'utf8')): string[] {
  const section = readme.slice(readme.indexOf('## Set-up (two commands)'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}
