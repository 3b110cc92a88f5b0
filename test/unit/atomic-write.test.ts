// The one atomic writer (core/atomic-write.ts): its asynchronous form, which the commands, the
// MCP server and import use for files we edit (settings.json, .claude/secrets.json, backups),
// and its synchronous form with the swap that keeps a foreign write landing just before our
// rename (Claude Code's, without the lock), and its fallback where the system cannot swap.
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, type Stats, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/core/atomic-write.js';
import type { ClaudePaths } from '../../src/core/paths.js';
import { orphanTempFiles } from '../../src/engine/config-copies.js';
import { claudeStyleWrite } from '../helpers/claude-style-write.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

// false: the system "cannot swap" (an old kernel, Windows, a filesystem without support).
let canSwap = true;
vi.mock('../../src/core/rename-exchange.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/rename-exchange.js')>();
  return { ...real, exchangeSync: (a: string, b: string) => canSwap && real.exchangeSync(a, b) };
});

let t: TempHome;
let dir: string;
beforeEach(() => {
  canSwap = true;
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

describe('writeFileAtomicSync with `replaces` (the config write)', () => {
  const SWAPS = process.platform === 'linux' || process.platform === 'darwin';
  let f: string;
  let read: Stats;
  beforeEach(() => {
    f = join(dir, 'config.json');
    writeFileSync(f, 'read', { mode: 0o600 });
    read = statSync(f);
  });
  const isRead = (st: Stats) => st.ino === read.ino && st.dev === read.dev;

  it('replaces the file it read, and leaves no temp file and no old copy', () => {
    expect(writeFileAtomicSync(f, 'ours', { mode: 0o600, replaces: isRead })).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe('ours');
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it.runIf(SWAPS)('a whole foreign write landing after the last check: swapped back in place, ours dropped', () => {
    let replaced: Stats | undefined;
    const ok = writeFileAtomicSync(f, 'ours', {
      mode: 0o600,
      beforeRename: () => {
        claudeStyleWrite(f, () => 'theirs');
        return true;
      },
      replaces: (st) => {
        replaced = st;
        return isRead(st);
      },
    });
    expect(ok).toBe(false);
    expect(replaced?.ino).not.toBe(read.ino);
    expect(readFileSync(f, 'utf8')).toBe('theirs');
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it.runIf(SWAPS)('a second foreign write between the swap and the swap back: the newest stays', () => {
    const ok = writeFileAtomicSync(f, 'ours', {
      mode: 0o600,
      beforeRename: () => {
        claudeStyleWrite(f, () => 'first');
        return true;
      },
      replaces: (st) => {
        claudeStyleWrite(f, () => 'second');
        return isRead(st);
      },
    });
    expect(ok).toBe(false);
    expect(readFileSync(f, 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it.runIf(SWAPS)('killed between the swap and the unlink: the old file sits under our temp name, and the orphan sweep finds it', async () => {
    writeFileSync(f, 'read, with a key in it');
    read = statSync(f);
    let files: string[] = [];
    let held = '';
    let orphans: Promise<string[]> | undefined;
    writeFileAtomicSync(f, 'ours', {
      mode: 0o600,
      replaces: (st) => {
        // This instant is what a SIGKILL here would leave behind. (orphanTempFiles does its
        // work synchronously, before its promise resolves.) The engine sweeps under the config
        // lock, where every `<config>.<digits>` counts as an orphan.
        files = readdirSync(dir).sort();
        const temp = files.find((n) => n !== 'config.json') as string;
        held = readFileSync(join(dir, temp), 'utf8');
        orphans = orphanTempFiles({ configFile: f } as ClaudePaths, true);
        return isRead(st);
      },
    });
    expect(files).toHaveLength(2);
    const temp = join(dir, files.find((n) => n !== 'config.json') as string);
    expect(temp).toMatch(/config\.json\.\d+$/);
    expect(held).toBe('read, with a key in it');
    expect(await orphans).toEqual([temp]);
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it.runIf(SWAPS)('through a symlink: the target is swapped, the link stays a link', () => {
    const link = join(dir, 'link.json');
    symlinkSync(f, link);
    expect(writeFileAtomicSync(f, 'ours', { mode: 0o600, replaces: isRead })).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(link, 'utf8')).toBe('ours');
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'link.json']);
  });

  it('where the system cannot swap: check, then a plain rename (a write landing after the check is lost)', () => {
    canSwap = false;
    expect(writeFileAtomicSync(f, 'ours', { mode: 0o600, beforeRename: () => isRead(statSync(f)), replaces: isRead })).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe('ours');
    read = statSync(f);
    expect(writeFileAtomicSync(f, 'late', { mode: 0o600, beforeRename: () => false, replaces: isRead })).toBe(false);
    expect(readFileSync(f, 'utf8')).toBe('ours');
    const replaces = vi.fn(isRead);
    const ok = writeFileAtomicSync(f, 'again', {
      mode: 0o600,
      beforeRename: () => {
        claudeStyleWrite(f, () => 'theirs');
        return true;
      },
      replaces,
    });
    expect(ok).toBe(true);
    expect(replaces).not.toHaveBeenCalled();
    expect(readFileSync(f, 'utf8')).toBe('again');
    expect(readdirSync(dir)).toEqual(['config.json']);
  });
});
