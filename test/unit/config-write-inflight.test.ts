// Claude Code writes ~/.claude.json without the lock when it finds ours held: temp file
// `<config>.tmp.<pid>.<hex>`, fsync, rename. A write of ours must not rename over the config while
// such a write is in flight, or the client's change lands between our stamp check and our rename
// and is lost. A temp file left by a client that died does not hold us up.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { editConfig } from '../../src/claude/config-file.js';
import { KiError } from '../../src/core/errors.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

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
