// The engine's config lock with real timing: a lock left by a SIGKILLed keyring-inject is taken
// over at once; a live or fresh one is waited for (the real wait budget), then a clear error.
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endSession, startSession, type EngineContext } from '../../src/engine/engine.js';
import { identify, type ProcessId } from '../../src/core/process-info.js';
import { testSecret } from '../helpers/secret.js';
import { deadProcess, ENGINE_CONFIG, engineHome, knownValues } from '../helpers/engine-home.js';
import type { TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let ctx: EngineContext;
let configFile: string;
const original = ENGINE_CONFIG;
const known = knownValues;

beforeEach(() => {
  ({ t, ctx, configFile } = engineHome());
});
afterEach(() => t.cleanup());

const me = (): ProcessId => identify(process.pid)!;

describe('the config lock', () => {
  it('takes over at once a config lock left by a SIGKILLed keyring-inject, and waits for a live one', async () => {
    const lockDir = `${configFile}.lock`;
    mkdirSync(lockDir);
    // A holder file names the lock dir it belongs to (its inode).
    writeFileSync(`${lockDir}.holder`, JSON.stringify({ ...(await deadProcess()), lock: statSync(lockDir).ino }));
    const t0 = performance.now();
    await startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }));
    expect(performance.now() - t0).toBeLessThan(500);
    await endSession(ctx, me());
    // A lock with no holder (Claude Code's, held for milliseconds and refreshed every 5 s, or
    // ours killed before writing the holder): waited for, never taken over before proper-lockfile's
    // 10 s stale limit; once older, taken over at once.
    mkdirSync(lockDir);
    await expect(startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }))).rejects.toThrow(/could not lock .*holds it/);
    utimesSync(lockDir, new Date(Date.now() - 11_000), new Date(Date.now() - 11_000));
    const t1 = performance.now();
    await startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }));
    expect(performance.now() - t1).toBeLessThan(500);
    await endSession(ctx, me());
    // A holder that is alive (here: this very process) is waited for, then a clear error.
    mkdirSync(lockDir);
    writeFileSync(`${lockDir}.holder`, JSON.stringify({ ...me(), lock: statSync(lockDir).ino }));
    await expect(startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }))).rejects.toThrow(/could not lock .*holds it/);
    // The same lock once stale (not refreshed for 10 s): taken over.
    utimesSync(lockDir, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }));
    await endSession(ctx, me());
    expect(readFileSync(configFile, 'utf8')).toBe(original);
  });
});
