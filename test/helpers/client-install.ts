// A Claude Code install on disk, as npm lays it out, for tests of what keyring-inject reads from
// it (its version: src/install/guard-choice.ts). The binary is a stub; nothing runs it.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `npm install -g` under <root>/npm-...: <prefix>/bin/claude -> ../lib/node_modules/<name>/bin/claude.exe. Returns the bin dir (for PATH). */
export function npmClientInstall(root: string, version: string, name = '@anthropic-ai/claude-code'): string {
  const prefix = join(root, `npm-${version}-${name.replace(/\W/g, '')}`);
  if (existsSync(prefix)) return join(prefix, 'bin');
  const pkg = join(prefix, 'lib/node_modules', name);
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, version, bin: { claude: 'bin/claude.exe' } }));
  writeFileSync(join(pkg, 'bin/claude.exe'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  mkdirSync(join(prefix, 'bin'));
  symlinkSync(join('..', 'lib/node_modules', name, 'bin/claude.exe'), join(prefix, 'bin/claude'));
  return join(prefix, 'bin');
}
