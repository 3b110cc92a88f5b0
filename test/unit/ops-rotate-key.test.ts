import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addKey } from '../../src/ops/add-key.js';
import { rotateKey } from '../../src/ops/rotate-key.js';
import { makeContext } from '../helpers/context.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }));
  writeFileSync(join(t.home, 'vals.env'), 'X=1\n');
});
afterEach(() => t.cleanup());

const input = (value: string) => ({ stdin: true, interactive: false, readValue: async () => value, ask: async () => '', notify: () => {} });
const base = { servers: ['github'], hosts: [], sourceGiven: false };

describe('rotateKey', () => {
  it('asks for no value for a key it cannot rotate: unknown, or read from another source', async () => {
    const { ctx } = makeContext(t.env, t.home);
    await addKey(ctx, { ...input(''), stdin: false, ...base, name: 'ext', env: 'E', source: { source: 'env-file', id: 'X', metadata: { path: join(t.home, 'vals.env') } }, sourceGiven: true });
    let asked = 0;
    const readValue = async () => (asked++, testSecret());
    await expect(rotateKey(ctx, { name: 'nosuch', readValue })).rejects.toMatchObject({ code: 'key-not-found' });
    await expect(rotateKey(ctx, { name: 'ext', readValue })).rejects.toMatchObject({ code: 'key-external', message: expect.stringContaining('ext is read from env-file, not the keyring') });
    expect(asked).toBe(0);
  });

  it('replaces the value and reports when, with nothing injected', async () => {
    const { ctx, backend } = makeContext(t.env, t.home);
    await addKey(ctx, { ...input(testSecret()), ...base, name: 'gh', env: 'A' });
    const next = testSecret();
    const labels: string[] = [];
    const r = await rotateKey(ctx, { name: 'gh', readValue: async (label) => (labels.push(label), next) });
    expect(labels).toEqual(['New value for gh (input hidden)']);
    expect(await backend.get('gh')).toBe(next);
    expect(r).toEqual({ name: 'gh', rotatedAt: expect.stringMatching(/^2026-01-02T03:04:\d\d\.000Z$/), backendLabel: backend.label, reinjected: 0 });
  });
});
