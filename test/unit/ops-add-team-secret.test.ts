import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addKey } from '../../src/ops/add-key.js';
import { addProjectKey } from '../../src/ops/add-team-secret.js';
import { makeContext } from '../helpers/context.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let proj: string;
beforeEach(() => {
  t = makeTempHome();
  proj = join(t.home, 'proj');
  mkdirSync(proj);
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }));
});
afterEach(() => t.cleanup());

/** A script's input (no terminal): every question is logged, none answered. */
function input(value: string) {
  const asked: string[] = [];
  return { asked, stdin: true, interactive: false, readValue: async () => value, ask: async (q: string) => (asked.push(q), ''), notify: () => {} };
}

describe('addProjectKey', () => {
  it('a new entry named like a variable, without --server and --env, gets no targets and no question; the value goes to the keyring, the file gets the reference', async () => {
    const { ctx, backend } = makeContext(t.env, proj);
    const secret = testSecret();
    const io = input(secret);
    const r = await addProjectKey(ctx, { ...io, name: 'API_TOKEN', project: '.', servers: [], hosts: [] });
    expect(io.asked).toEqual([]);
    expect(r).toMatchObject({ name: 'API_TOKEN', stored: true, existed: false, targets: [], hosts: [], ref: { source: 'keyring', id: 'API_TOKEN' }, shadowedByRegistry: false });
    expect(r.projectFile).toBe(join(proj, '.claude', 'secrets.json'));
    expect(await backend.get('API_TOKEN')).toBe(secret);
    expect(JSON.parse(readFileSync(r.projectFile, 'utf8'))).toMatchObject({ API_TOKEN: { source: 'keyring', id: 'API_TOKEN' } });
    expectNoLeak(secret, [], [proj]);
  });

  it('reports a key of the same name in the user registry (it wins on this machine), and refuses to read that key’s keyring item', async () => {
    const { ctx } = makeContext(t.env, proj);
    await addKey(ctx, { ...input(testSecret()), name: 'gh', servers: ['github'], env: 'A', hosts: [], sourceGiven: false });
    await expect(addProjectKey(ctx, { ...input(testSecret()), name: 'gh', project: '.', servers: ['github'], env: 'GH', hosts: [] })).rejects.toMatchObject({
      code: 'key-conflict',
      message: expect.stringContaining('the keyring item gh holds a key of your registry'),
    });
    const r = await addProjectKey(ctx, { ...input(testSecret()), name: 'gh', project: '.', id: 'proj-gh', servers: ['github'], env: 'GH', hosts: [] });
    expect(r).toMatchObject({ stored: true, shadowedByRegistry: true, targets: [{ server: 'github', env: 'GH' }] });
  });
});
