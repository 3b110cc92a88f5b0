// A session that starts while another live session has injected every key only registers (no
// keyring round trip): but only when the config really holds our values, not on records alone.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { identify } from '../../src/core/process-info.js';
import { injectedByLiveSession, startSession, type EngineContext } from '../../src/engine/engine.js';
import type { Registry } from '../../src/registry/registry.js';
import { deadProcess, ENGINE_CONFIG, engineHome, knownValues } from '../helpers/engine-home.js';
import { testSecret } from '../helpers/secret.js';
import type { TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let ctx: EngineContext;
let configFile: string;
beforeEach(() => {
  ({ t, ctx, configFile } = engineHome());
});
afterEach(() => t.cleanup());

const key = (server: string, env: string) => ({ targets: [{ server, env, scope: 'user' as const }], backend: 'memory' as const, createdAt: '2026-01-01T00:00:00Z' });
const registry: Registry = { version: 1, keys: { gh: key('gh', 'GITHUB_TOKEN'), db: key('db', 'PGPASSWORD') } };
const values = () => knownValues({ gh: testSecret('gh'), db: testSecret('db') });

it('is true while a live session injected every key and the config holds them', async () => {
  await startSession(ctx, { ...identify(process.pid)!, sessionId: 's1' }, values());
  expect(await injectedByLiveSession(ctx.paths, registry)).toBe(true);
});

it('is false with no live session, with a key not injected, or with records the config does not hold', async () => {
  const v = values();
  await startSession(ctx, { ...(await deadProcess()), sessionId: 'dead' }, v);
  expect(await injectedByLiveSession(ctx.paths, registry)).toBe(false);

  await startSession(ctx, { ...identify(process.pid)!, sessionId: 's1' }, v);
  const more: Registry = { version: 1, keys: { ...registry.keys, other: key('db', 'OTHER') } };
  expect(await injectedByLiveSession(ctx.paths, more)).toBe(false);

  // An interrupted write leaves the records but not the values: the keyring must be read.
  const injected = readFileSync(configFile, 'utf8');
  writeFileSync(configFile, ENGINE_CONFIG);
  expect(await injectedByLiveSession(ctx.paths, registry)).toBe(false);
  // A config that does not parse is not "injected" either.
  writeFileSync(configFile, injected.slice(0, -5));
  expect(await injectedByLiveSession(ctx.paths, registry)).toBe(false);
});
