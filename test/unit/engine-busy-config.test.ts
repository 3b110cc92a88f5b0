// A config that keeps changing under the engine (Claude Code writes without the lock when it
// finds ours held): each failed attempt must cost no more than the config write itself. The
// write-ahead record is written down once, not again and again inside every retry's window
// (each durable state write is an fsync that widens the window a Claude write can hit), and
// when the engine gives up, no record of a value that never reached the config stays behind.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { startSession, type EngineContext } from '../../src/engine/engine.js';
import { identify } from '../../src/core/process-info.js';
import { readStateForReport } from '../../src/engine/state.js';
import { KiError } from '../../src/core/errors.js';
import { testSecret } from '../helpers/secret.js';
import { ENGINE_CONFIG, engineHome, knownValues } from '../helpers/engine-home.js';
import type { TempHome } from '../helpers/temp-home.js';

const durableWrites: string[] = [];
vi.mock('../../src/core/secure-file.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/secure-file.js')>();
  return {
    ...real,
    writePrivateFile: (file: string, text: string, durable = true) => {
      if (durable) durableWrites.push(file);
      return real.writePrivateFile(file, text, durable);
    },
  };
});

let t: TempHome;
let ctx: EngineContext;
let configFile: string;
beforeEach(() => {
  ({ t, ctx, configFile } = engineHome());
  durableWrites.length = 0;
});
afterEach(() => t.cleanup());

it('gives up on a config that keeps changing after one write-ahead, and leaves no record behind', async () => {
  // A live Claude Code write in flight at every attempt: its temp file, of this (live) process.
  writeFileSync(`${configFile}.tmp.${process.pid}.0123456789ab`, '{}');
  const values = { gh: testSecret('gh'), db: testSecret('db') };
  const err = await startSession(ctx, { ...identify(process.pid)!, sessionId: 's1' }, knownValues(values)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KiError);
  expect((err as KiError).message).toContain('kept changing');
  expect(readFileSync(configFile, 'utf8')).toBe(ENGINE_CONFIG);
  expect((await readStateForReport(ctx.paths)).injected).toEqual([]);
  // Once before the first attempt, once to take the records back at the end; not per attempt.
  const stateWrites = durableWrites.filter((f) => f === join(ctx.paths.dataDir, 'state.json'));
  expect(stateWrites).toHaveLength(2);
});
