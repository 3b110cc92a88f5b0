import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addKey } from '../../src/ops/add-key.js';
import { removeKey } from '../../src/ops/remove-key.js';
import { makeContext } from '../helpers/context.js';
import { CLI } from '../helpers/spawn-cli.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome({ KEYRING_INJECT_CLI: CLI });
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }));
});
afterEach(() => t.cleanup());

const input = { stdin: true, interactive: false, readValue: async () => testSecret(), ask: async () => '', notify: () => {} };

describe('removeKey', () => {
  it('reports which of keyring and registry held the key, and refuses a name neither knows', async () => {
    const { ctx, backend } = makeContext(t.env, t.home);
    await backend.set('stray', testSecret());
    expect(await removeKey(ctx, { name: 'stray' })).toEqual({ name: 'stray', keyringDeleted: true, registryDeleted: false, stillWrapped: [] });
    await expect(removeKey(ctx, { name: 'stray' })).rejects.toMatchObject({ code: 'key-not-found' });
  });

  it('names the wrapped server the removed key was the last to feed, and leaves it wrapped', async () => {
    const { ctx, backend } = makeContext(t.env, t.home);
    const added = await addKey(ctx, { ...input, name: 'gh', servers: ['github'], env: 'A', mode: 'wrap', hosts: [], sourceGiven: false });
    expect(added.wrapped).toEqual(['github (user)']);
    const r = await removeKey(ctx, { name: 'gh' });
    expect(r).toEqual({ name: 'gh', keyringDeleted: true, registryDeleted: true, stillWrapped: [{ server: 'github', scope: 'user' }] });
    expect(await backend.get('gh')).toBeUndefined();
  });
});
