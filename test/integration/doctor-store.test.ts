// doctor against a real secret store that does not answer (no D-Bus session; a locked
// gnome-keyring in a private D-Bus session) or that lacks a key a server needs: exit 3, the store
// or the key named with the fix, never a value. Servers: a wrapped stdio server, an injected one
// and an http server whose key goes into a header.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, startPrivateSecretService, testService, type PrivateSecretService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { runCli } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

describe.runIf(HAVE_SECRET_SERVICE)('doctor checks that the store answers and every needed key resolves (real keyring)', () => {
  let t: TempHome;
  let priv: PrivateSecretService | undefined;
  const values: string[] = [];
  beforeEach(() => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    writeFileSync(
      join(t.home, '.claude.json'),
      JSON.stringify({
        mcpServers: { github: { type: 'stdio', command: 'gh-mcp', env: {} }, db: { type: 'stdio', command: 'db-mcp', env: {} }, linear: { type: 'http', url: 'https://mcp.example.com/mcp' } },
      }),
    );
  });
  afterEach(async () => {
    await priv?.stop();
    priv = undefined;
    t.cleanup();
  });

  async function cli(args: string[], env: Record<string, string>, input?: string) {
    return runCli(args, { env, ...(input !== undefined ? { input } : {}) });
  }
  async function addKeys(env: Record<string, string>): Promise<void> {
    for (const [args, v] of [
      [['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--mode', 'wrap', '--stdin'], testSecret('gh')],
      [['add', 'dburl', '--server', 'db', '--env', 'DATABASE_URL', '--stdin'], testSecret('db')],
      [['add', 'lin', '--server', 'linear', '--header', 'Authorization: Bearer {value}', '--stdin'], testSecret('lin')],
    ] as const) {
      values.push(v);
      const r = await cli([...args], env, v);
      expect(r.code, r.stderr).toBe(0);
    }
  }

  it('all keys there: exit 0; the http server is described as sending its key as a header at connect', async () => {
    await addKeys(t.env);
    const d = await cli(['doctor'], t.env);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stdout).toMatch(/linear \(user\): wrapped \(zero-disk: the key is sent as a header when Claude Code connects/);
    expect(d.stdout).toMatch(/github \(user\): wrapped \(zero-disk: keys read from the keyring when the server starts/);
    expect(d.stdout).toMatch(/secret store: .*Secret Service.* answers; 3 of 3 keys that servers need resolve/);
    for (const v of values) expectNoLeak(v, [d.stdout, d.stderr], []);
  });

  it('no D-Bus session (none at all, or a bus address where nothing listens): exit 3, names the store and the fix', async () => {
    await addKeys(t.env);
    const env = { ...t.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const buses: Record<string, string>[] = [{}, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(t.home, 'no-bus')}` }];
    for (const bus of buses) {
      const d = await cli(['doctor'], { ...env, XDG_RUNTIME_DIR: join(t.home, 'no-runtime'), ...bus });
      expect(d.code, d.stdout + d.stderr).toBe(3);
      expect(d.stdout).toMatch(/! secret store Secret Service .* does not answer: .*; 3 server\(s\) cannot get their keys: db, github, linear\n {2}fix: .*gnome-keyring/);
      expect(d.stdout).not.toMatch(/^ok:/m);
      for (const v of values) expectNoLeak(v, [d.stdout, d.stderr], []);
    }
  });

  it('a locked gnome-keyring (private D-Bus session): exit 3, names the store and how to unlock it', async () => {
    priv = await startPrivateSecretService();
    const env = { ...t.env, DBUS_SESSION_BUS_ADDRESS: priv.bus };
    await addKeys(env);
    execFileSync(
      'dbus-send',
      ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'],
      {
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: priv.bus },
        stdio: 'ignore',
      },
    );
    const d = await cli(['doctor'], env);
    expect(d.code, d.stdout + d.stderr).toBe(3);
    expect(d.stdout).toMatch(/! secret store Secret Service .* does not answer: .*locked.*\n {2}fix: The login collection is locked: unlock it/);
    for (const v of values) expectNoLeak(v, [d.stdout, d.stderr], []);
  });

  it('a key a server needs is gone from the keyring: exit 3, names the key, the server and the fix', async () => {
    await addKeys(t.env);
    execFileSync('secret-tool', ['clear', 'service', t.env.KEYRING_INJECT_SERVICE as string, 'username', 'dburl']);
    const d = await cli(['doctor'], t.env);
    expect(d.code, d.stdout + d.stderr).toBe(3);
    expect(d.stdout).toMatch(/db \(user\): .*\n {2}! key dburl \(.*\): not in the Secret Service.*: run 'keyring-inject rotate dburl' to store its value/);
    for (const v of values) expectNoLeak(v, [d.stdout, d.stderr], []);
  });

  it('a pasted key: doctor says setup, as the README does', async () => {
    writeFileSync(
      join(t.home, '.claude.json'),
      JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp', env: { GITHUB_TOKEN: `gh${'p'}_0123456789abcdefghijklmnopqrstuvwxyzAB` } } } }),
    );
    const d = await cli(['doctor'], t.env);
    expect(d.code).toBe(3);
    expect(d.stdout).toContain("run 'keyring-inject setup'");
    expect(d.stdout).not.toContain('keyring-inject import');
  });
});
