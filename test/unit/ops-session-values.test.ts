// The one "registry -> values" step of the session ops: a keyring that cannot be read is data
// (each caller decides), and cleanup, which strips anyway, returns its warning instead of printing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cleanupAll } from '../../src/ops/cleanup-all.js';
import { readSessionValues } from '../../src/ops/session-values.js';
import { makeContext } from '../helpers/context.js';
import { inProcessCli } from '../helpers/in-process.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { gh: { type: 'stdio', command: 'gh-mcp' }, db: { command: 'pg' } } }, null, 2));
});
afterEach(() => t.cleanup());

async function twoKeys() {
  const cli = inProcessCli(t.env, t.home);
  const gh = testSecret('gh');
  expect((await cli.run(['add', 'gh', '--server', 'gh', '--env', 'GH_TOKEN', '--stdin'], `${gh}\n`)).code).toBe(0);
  expect((await cli.run(['add', 'db', '--server', 'db', '--env', 'PGPASSWORD', '--stdin'], `${testSecret('db')}\n`)).code).toBe(0);
  return { backend: cli.backend, gh };
}

it('resolves every inject target and names the keyring keys that have no value', async () => {
  const { backend, gh } = await twoKeys();
  await backend.delete('db');
  const v = await readSessionValues(makeContext(t.env, t.home, undefined, backend).ctx);
  expect(v.known).toEqual([{ key: 'gh', target: { server: 'gh', env: 'GH_TOKEN', scope: 'user' }, value: gh }]);
  expect(v.notInKeyring).toEqual(['db']);
  expect(v.failures).toEqual([]);
  expect(v.keyringError).toBeUndefined();
  expect(Object.keys(v.registry.keys).sort()).toEqual(['db', 'gh']);
});

it('returns a keyring failure instead of throwing it; cleanup turns it into a warning and strips by its records', async () => {
  const { backend } = await twoKeys();
  backend.getMany = async () => {
    throw new Error('the keyring is locked\nsecond line');
  };
  const ctx = makeContext(t.env, t.home, undefined, backend).ctx;
  const v = await readSessionValues(ctx);
  expect(v.keyringError?.message).toContain('the keyring is locked');
  expect(v.known).toEqual([]);
  const { report, warnings } = await cleanupAll(ctx, true);
  expect(warnings).toEqual(['keyring not readable, so only recorded injections are found: the keyring is locked second line']);
  expect(report).toMatchObject({ dryRun: true, keyringChecked: false, stripped: [] });
  expect(Object.keys(report)).not.toContain('warnings');
});
