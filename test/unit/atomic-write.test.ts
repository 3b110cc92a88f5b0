// The one atomic writer (core/atomic-write.ts): its asynchronous form, which the commands, the
// MCP server and import use for files we edit (settings.json, .claude/secrets.json, backups).
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/core/atomic-write.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let dir: string;
beforeEach(() => {
  t = makeTempHome();
  dir = join(t.home, 'd');
  mkdirSync(dir);
});
afterEach(() => t.cleanup());

const mode = (f: string) => statSync(f).mode & 0o7777;

describe('writeFileAtomic (async)', () => {
  it('writes through a symlink to its target; the link stays a link', async () => {
    const real = join(dir, 'real.json');
    writeFileSync(real, 'old', { mode: 0o640 });
    chmodSync(real, 0o640);
    const link = join(dir, 'link.json');
    symlinkSync(real, link);
    await writeFileAtomic(link, 'new');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('new');
    expect(mode(real)).toBe(0o640);
  });

  it('keeps the mode of an existing file unless told; a new file gets the given mode, else 0666 less the umask', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'x');
    chmodSync(f, 0o604);
    await writeFileAtomic(f, 'y');
    expect(mode(f)).toBe(0o604);
    await writeFileAtomic(f, 'z', { mode: 0o600 });
    expect(mode(f)).toBe(0o600);
    await writeFileAtomic(join(dir, 'g'), 'g', { mode: 0o644 });
    expect(mode(join(dir, 'g'))).toBe(0o644);
    await writeFileAtomic(join(dir, 'h'), 'h');
    expect(mode(join(dir, 'h'))).toBe(0o666 & ~process.umask());
    expect(readdirSync(dir).sort()).toEqual(['f', 'g', 'h']);
  });

  it('leaves the target and no temp file behind when the write fails', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'keep');
    chmodSync(dir, 0o500);
    try {
      if (process.getuid?.() !== 0) await expect(writeFileAtomic(f, 'new')).rejects.toThrow(/EACCES/);
    } finally {
      chmodSync(dir, 0o700);
    }
    await expect(writeFileAtomic(join(dir, 'missing', 'f'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readFileSync(f, 'utf8')).toBe('keep');
    expect(readdirSync(dir)).toEqual(['f']);
  });
});

describe('writeFileAtomicSync', () => {
  it('replaces the file with the given mode and leaves no temp file', () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'x');
    expect(writeFileAtomicSync(f, 'y', { mode: 0o600 })).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe('y');
    expect(mode(f)).toBe(0o600);
    expect(writeFileAtomicSync(f, 'z', { mode: 0o600, beforeRename: () => false })).toBe(false);
    expect(readFileSync(f, 'utf8')).toBe('y');
    expect(readdirSync(dir)).toEqual(['f']);
  });
});
