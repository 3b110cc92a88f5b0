// The values injected for the session, read from the config and confirmed by our HMAC records,
// without the keyring (issue 14.1).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { macOf, newSalt } from '../../src/engine/value-mac.js';
import type { InjectionRecord } from '../../src/engine/state.js';
import { injectedValues } from '../../src/guards/injected-values.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => (t = makeTempHome()));
afterEach(() => t.cleanup());

function record(file: string, key: string, value: string, over: Partial<InjectionRecord> = {}): InjectionRecord {
  const salt = newSalt();
  return { server: 'gh', env: 'TOKEN', scope: 'user', key, file, createdEnv: false, salt, mac: macOf(value, salt), ...over };
}

describe('injectedValues', () => {
  it('finds user- and local-scope values that the records confirm (last duplicate wins, like Claude Code)', async () => {
    const file = join(t.home, '.claude.json');
    const text = `{"mcpServers":{"gh":{"env":{"TOKEN":"old-value-1","TOKEN":"user-value-1"}}},"projects":{"/p":{"mcpServers":{"gh":{"env":{"TOKEN":"local-value-2"}}}}}}`;
    writeFileSync(file, text);
    const r = await injectedValues([record(file, 'a', 'user-value-1'), record(file, 'b', 'local-value-2', { scope: 'local', project: '/p' })]);
    expect(r).toEqual({
      values: [
        { name: 'a', value: 'user-value-1' },
        { name: 'b', value: 'local-value-2' },
      ],
    });
  });

  it('reads a config with a leading BOM, as Claude Code does', async () => {
    const file = join(t.home, '.claude.json');
    writeFileSync(file, `\uFEFF{"mcpServers":{"gh":{"env":{"TOKEN":"user-value-1"}}}}`);
    expect(await injectedValues([record(file, 'a', 'user-value-1')])).toEqual({ values: [{ name: 'a', value: 'user-value-1' }] });
  });

  it('says why a value cannot be confirmed, never the value', async () => {
    const file = join(t.home, '.claude.json');
    writeFileSync(file, JSON.stringify({ mcpServers: { gh: { env: { TOKEN: 'edited-by-someone' } } } }));
    const edited = await injectedValues([record(file, 'a', 'the-injected-value')]);
    expect(edited.values).toEqual([]);
    expect(edited.unconfirmed).toBe('gh.env.TOKEN (user) no longer holds the value injected there');
    writeFileSync(file, '{ not json');
    expect((await injectedValues([record(file, 'a', 'the-injected-value')])).unconfirmed).toBe(`${file} is not valid JSON`);
    const missing = join(t.home, 'gone.json');
    expect((await injectedValues([record(missing, 'a', 'the-injected-value')])).unconfirmed).toBe(`cannot read ${missing} (ENOENT)`);
  });
});
