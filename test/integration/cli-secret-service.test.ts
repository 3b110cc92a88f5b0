// The built CLI, as a real process, against a real gnome-keyring.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { runCli } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

describe.runIf(HAVE_SECRET_SERVICE)('CLI with the real Secret Service', () => {
  let t: TempHome;
  let service: string;
  beforeEach(() => {
    service = testService();
    t = makeTempHome({ KEYRING_INJECT_SERVICE: service });
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { command: 'x' } } }));
  });
  afterEach(() => t.cleanup());

  it('add --stdin, list, rotate, remove: values only ever in the keyring', async () => {
    const [v1, v2] = [testSecret('first'), testSecret('second')];
    const add = await runCli(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], { env: t.env, input: `${v1}\n` });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(secretToolLookup(service, 'gh')).toBe(v1);

    const list = await runCli(['list', '--json'], { env: t.env });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).keys.map((k: { name: string }) => k.name)).toEqual(['gh']);

    const rotate = await runCli(['rotate', 'gh', '--stdin'], { env: t.env, input: v2 });
    expect(rotate.code).toBe(0);
    expect(secretToolLookup(service, 'gh')).toBe(v2);

    const remove = await runCli(['remove', 'gh', '--json'], { env: t.env });
    expect(remove.code).toBe(0);
    expect(JSON.parse(remove.stdout)).toMatchObject({ name: 'gh', removed: true, keyringDeleted: true });
    expect(secretToolLookup(service, 'gh')).toBeUndefined();

    const outputs = [add, list, rotate, remove].flatMap((r) => [r.stdout, r.stderr]);
    expectNoLeak(v1, outputs, [t.home]);
    expectNoLeak(v2, outputs, [t.home]);
  });

  it('fails within the deadline, in one line, when the Secret Service does not answer', async () => {
    // A bus address nobody listens on: the D-Bus connection fails fast.
    const env = { ...t.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(t.home, 'no-bus')}` };
    const r = await runCli(['add', 'gh', '--server', 'github', '--env', 'T', '--stdin'], { env, input: 'v' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('gnome-keyring-daemon --unlock');
    expect(r.ms).toBeLessThan(5000);
  });
});
