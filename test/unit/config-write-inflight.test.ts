// Claude Code writes ~/.claude.json without the lock when it finds ours held: temp file
// `<config>.tmp.<pid>.<hex>`, fsync, rename. A write of ours must not rename over the config while
// such a write is in flight, or the client's change lands between our stamp check and our rename
// and is lost. A temp file left by a client that died does not hold us up. And a client write
// that starts AND lands between our last check and our rename (our process descheduled there)
// is not lost either: the rename is a swap, and the file it swapped out must be the one we read.
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { editConfig } from '../../src/claude/config-file.js';
import { claudeStyleWrite } from '../helpers/claude-style-write.js';
import { KiError } from '../../src/core/errors.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

// Runs inside our write's window: after every check, right before the rename (test-only seam).
let inWindow: (() => void) | undefined;
vi.mock('../../src/core/atomic-write.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/atomic-write.js')>();
  const wrap = (opts: import('../../src/core/atomic-write.js').AtomicWriteOptions) => ({
    ...opts,
    beforeRename: () => {
      const ok = opts.beforeRename?.() ?? true;
      const w = inWindow;
      inWindow = undefined;
      w?.();
      return ok;
    },
  });
  return {
    ...real,
    writeFileAtomicSync: (target: string, text: string, opts: import('../../src/core/atomic-write.js').AtomicWriteOptions) => real.writeFileAtomicSync(target, text, wrap(opts)),
  };
});

let t: TempHome;
let config: string;
beforeEach(() => {
  t = makeTempHome();
  config = join(t.home, '.claude.json');
  writeFileSync(config, '{"n": 1}\n');
});
afterEach(() => t.cleanup());

const bump = (text: string) => ({ text: text.replace('"n": 1', '"n": 2'), result: undefined });

it('a live client with a write in flight: ours is not renamed over the config', async () => {
  const temp = `${config}.tmp.${process.pid}.0123456789ab`;
  writeFileSync(temp, '{"n": 7}\n');
  const err = await editConfig(config, bump, { attempts: 2, rounds: 1, busy: 'busy' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KiError);
  expect((err as KiError).code).toBe('lock-timeout');
  expect(readFileSync(config, 'utf8')).toBe('{"n": 1}\n');
  // Its write lands; then ours goes on top of it.
  rmSync(temp);
  await editConfig(config, bump);
  expect(readFileSync(config, 'utf8')).toBe('{"n": 2}\n');
});

it("a dead client's temp file does not count", async () => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
  writeFileSync(`${config}.tmp.${dead}.0123456789ab`, '{"n": 7}\n');
  const out = await editConfig(config, bump);
  expect(out).toMatchObject({ exists: true, written: true });
  expect(readFileSync(config, 'utf8')).toBe('{"n": 2}\n');
});

it('a whole client write (temp, fsync, rename) landing between our check and our rename is kept, and our edit goes on top', async () => {
  writeFileSync(config, '{"n": 1, "c": 0}\n');
  inWindow = () => claudeStyleWrite(config, (text) => text.replace('"c": 0', '"c": 1'));
  const out = await editConfig(config, bump);
  expect(inWindow).toBeUndefined();
  expect(out).toMatchObject({ exists: true, written: true });
  expect(readFileSync(config, 'utf8')).toBe('{"n": 2, "c": 1}\n');
});

it('an attempt waits for a live client write in flight to land, then reads it and puts our edit on top', async () => {
  writeFileSync(config, '{"n": 1, "c": 0}\n');
  // The client has written its temp file and is about to rename it (40 ms from now).
  const temp = `${config}.tmp.${process.pid}.0123456789ab`;
  writeFileSync(temp, '{"n": 1, "c": 1}\n');
  const lands = setTimeout(() => renameSync(temp, config), 40);
  // One attempt in one hold: reading before the client's write lands would lose that attempt.
  const out = await editConfig(config, bump, { attempts: 1, rounds: 1, busy: 'busy' });
  clearTimeout(lands);
  expect(out).toMatchObject({ exists: true, written: true });
  expect(readFileSync(config, 'utf8')).toBe('{"n": 2, "c": 1}\n');
});
