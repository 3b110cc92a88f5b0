import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addKey } from '../../src/ops/add-key.js';
import { listKeys } from '../../src/ops/list-keys.js';
import { makeContext } from '../helpers/context.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }));
});
afterEach(() => t.cleanup());

describe('listKeys', () => {
  it('lists what is left in the keyring only when asked and only with no key registered, reading no value', async () => {
    const { ctx, backend } = makeContext(t.env, t.home);
    await backend.set('orphan', testSecret());
    let listed = 0;
    let read = 0;
    const list = backend.list.bind(backend);
    const getMany = backend.getMany.bind(backend);
    backend.list = async () => (listed++, list());
    backend.getMany = async (names) => (read++, getMany(names));
    expect(await listKeys(ctx, { leftovers: false })).toEqual({ keys: [], leftInKeyring: [] });
    expect(listed).toBe(0);
    expect(await listKeys(ctx, { leftovers: true })).toEqual({ keys: [], leftInKeyring: ['orphan'] });
    const input = { stdin: true, interactive: false, readValue: async () => testSecret(), ask: async () => '', notify: () => {} };
    await addKey(ctx, { ...input, name: 'gh', servers: ['github'], env: 'A', hosts: ['api.example.com'], sourceGiven: false });
    listed = 0;
    const r = await listKeys(ctx, { leftovers: true });
    expect(listed).toBe(0);
    expect(read).toBe(0);
    expect(r.leftInKeyring).toEqual([]);
    expect(r.keys).toEqual([
      {
        name: 'gh',
        backend: backend.id,
        createdAt: expect.any(String),
        rotatedAt: null,
        targets: [{ server: 'github', env: 'A', scope: 'user', project: null, mode: 'inject', injected: false }],
        headers: [],
        hosts: ['api.example.com'],
      },
    ]);
  });
});
