// `keyring-inject setup` (issue 18, item 1): the pure plan, and the command in-process with the
// memory keyring: plaintext moved, servers zero-disk, hooks installed, a second run changes
// nothing; no terminal without --yes changes nothing; an unreachable store stops everything.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyringUnavailableError } from '../../src/core/errors.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { planSetup, type ServerFacts } from '../../src/setup/plan.js';
import { storeScreen } from '../../src/setup/store-check.js';
import { GNOME_KEYRING_STEPS } from '../../src/keyring/headless-advice.js';
import { npmClientInstall } from '../helpers/client-install.js';
import { inProcessCli } from '../helpers/in-process.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { CLI } from '../helpers/spawn-cli.js';

const user = (server: string) => ({ server, scope: 'user' as const });
const facts = (over: Partial<ServerFacts> & { ref: ServerFacts['ref'] }): ServerFacts => ({ http: false, wrapped: false, plaintext: [], keys: [], ...over });

describe('planSetup', () => {
  it('moves plaintext with import --mode wrap, wraps registered servers, installs hooks; the table says how each is protected', () => {
    const plan = planSetup({
      hooksInstalled: false,
      servers: [
        facts({ ref: user('github'), plaintext: [{ label: 'env GITHUB_TOKEN', key: 'github.GITHUB_TOKEN', id: 'github.GITHUB_TOKEN' }] }),
        facts({ ref: user('linear'), http: true, plaintext: [{ label: 'header Authorization', key: 'linear.Authorization', id: 'linear.Authorization' }] }),
        facts({ ref: user('stripe'), keys: [{ key: 'stripe', from: 'keyring', header: false }] }),
        facts({ ref: user('db'), keys: [{ key: 'db', from: 'pass db/pw', header: false }], wrapped: true }),
        facts({ ref: user('fs') }),
      ],
    });
    expect(plan.steps).toEqual([{ kind: 'import', mode: 'wrap', count: 2, exclude: [] }, { kind: 'wrap', ref: user('stripe') }, { kind: 'install-hooks' }]);
    expect(plan.rows.map((r) => [r.ref.server, r.from, r.how])).toEqual([
      ['github', 'keyring: github.GITHUB_TOKEN', 'zero-disk'],
      ['linear', 'keyring: linear.Authorization', 'headers-helper'],
      ['stripe', 'keyring: stripe', 'zero-disk'],
      ['db', 'pass db/pw: db', 'zero-disk'],
      ['fs', '-', 'none'],
    ]);
    expect(plan.needsLauncher).toBe(false);
  });

  it('a server wrap cannot take gets its keys injected (a pass of its own) and needs the launcher', () => {
    const plan = planSetup({
      hooksInstalled: true,
      servers: [
        facts({ ref: user('a'), plaintext: [{ label: 'env A_KEY', key: 'a.A_KEY', id: 'a.A_KEY' }] }),
        facts({ ref: user('odd'), wrapBlocker: 'the entry has no command', plaintext: [{ label: 'env ODD_KEY', key: 'odd.ODD_KEY', id: 'odd.ODD_KEY' }] }),
      ],
    });
    expect(plan.steps).toEqual([
      { kind: 'import', mode: 'wrap', count: 1, exclude: ['odd.ODD_KEY'] },
      { kind: 'import', mode: 'inject', count: 1, exclude: ['a.A_KEY'] },
    ]);
    expect(plan.rows[1]).toMatchObject({ how: 'inject', note: 'cannot be zero-disk: the entry has no command' });
    expect(plan.needsLauncher).toBe(true);
  });

  it('nothing to do when every key is in the keyring, every server wrapped and the hooks installed', () => {
    const plan = planSetup({ hooksInstalled: true, servers: [facts({ ref: user('github'), wrapped: true, keys: [{ key: 'gh', from: 'keyring', header: false }] })] });
    expect(plan.steps).toEqual([]);
  });
});

describe('storeScreen', () => {
  it('on headless Linux offers gnome-keyring (the exact steps), pass and keyutils on one screen', () => {
    const s = storeScreen('secret-service', 'no D-Bus session bus', 'linux');
    for (const step of GNOME_KEYRING_STEPS) expect(s).toContain(step.command);
    expect(s).toContain('--source pass');
    expect(s).toContain('KEYRING_INJECT_BACKEND=keyutils');
    expect(s).toContain('never falls back');
    expect(s).not.toContain('dbus-launch');
  });
});

describe('setup command', () => {
  let t: TempHome;
  const cfg = () => join(t.home, '.claude.json');
  const settings = () => join(t.home, '.claude', 'settings.json');
  let gh: string;
  let lin: string;
  beforeEach(() => {
    t = makeTempHome({ KEYRING_INJECT_CLI: CLI });
    gh = testSecret('gh');
    lin = testSecret('lin');
    writeFileSync(
      cfg(),
      JSON.stringify(
        {
          mcpServers: {
            github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: gh } },
            linear: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: `Bearer ${lin}` } },
            fs: { command: 'fs-mcp' },
          },
        },
        null,
        2,
      ),
    );
  });
  afterEach(() => t.cleanup());

  it('--yes moves the keys, makes both servers zero-disk, installs hooks; a second run changes nothing', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const r = await run(['setup', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await backend.get('github.GITHUB_PERSONAL_ACCESS_TOKEN')).toBe(gh);
    expect(await backend.get('linear.Authorization')).toBe(lin);
    const c = JSON.parse(readFileSync(cfg(), 'utf8'));
    expect(c.mcpServers.github.args.slice(1, 5)).toEqual(['exec', '--server', 'github', '--']);
    expect(c.mcpServers.linear.headersHelper).toContain('headers linear');
    expect(readFileSync(settings(), 'utf8')).toContain('hook session-start');
    // As install does: Claude can ask for keys through 'keyring-inject mcp' (not a row of the table).
    expect(c.mcpServers['keyring-inject'].args.at(-1)).toBe('mcp');
    expect(r.stdout).not.toMatch(/^ +keyring-inject \(user\)/m);
    expect(r.stdout).toMatch(/github \(user\) +keyring: github\.GITHUB_PERSONAL_ACCESS_TOKEN +zero-disk/);
    expect(r.stdout).toMatch(/linear \(user\) +keyring: linear\.Authorization +zero-disk: sent as a header/);
    expect(r.stdout).toMatch(/fs \(user\) +- +no key/);
    expect(r.stdout).toContain('All is well.');

    const before = [readFileSync(cfg(), 'utf8'), readFileSync(settings(), 'utf8')];
    const again = await run(['setup', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('All is well: nothing to change.');
    expect(again.stdout).not.toContain('done:');
    expect([readFileSync(cfg(), 'utf8'), readFileSync(settings(), 'utf8')]).toEqual(before);
    expect((await run(['doctor'])).code).toBe(0);
    for (const v of [gh, lin]) expectNoLeak(v, [r.stdout, r.stderr, again.stdout, again.stderr], [t.home]);
  });

  it('with a Claude Code on PATH that supports them, the guards are http hooks to the guard service; a second run changes nothing', async () => {
    const env = { ...t.env, PATH: `${npmClientInstall(t.home, '2.1.332')}:${t.env.PATH}` };
    const { run } = inProcessCli(env, t.home);
    const r = await run(['setup', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const hooks = JSON.parse(readFileSync(settings(), 'utf8')).hooks;
    for (const e of ['UserPromptSubmit', 'PreToolUse', 'PostToolUse']) expect(hooks[e][0].hooks[0]).toMatchObject({ type: 'http', onFailure: 'block' });
    expect(hooks.SessionStart[0].hooks[0].type).toBe('command');
    const before = readFileSync(settings(), 'utf8');
    const again = await run(['setup', '--yes']);
    expect(again.stdout).toContain('All is well: nothing to change.');
    expect(readFileSync(settings(), 'utf8')).toBe(before);
  });

  it('--dry-run shows the plan and the table and changes nothing; without a terminal it asks for --yes', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const before = readFileSync(cfg(), 'utf8');
    const dry = await run(['setup', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Setup would:');
    expect(dry.stdout).toContain('move 2 plaintext key(s)');
    const noTty = await run(['setup']);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain("run 'keyring-inject setup --yes'");
    expect(readFileSync(cfg(), 'utf8')).toBe(before);
    expect(await backend.list()).toEqual([]);
    for (const v of [gh, lin]) expectNoLeak(v, [dry.stdout, dry.stderr, noTty.stdout, noTty.stderr], []);
  });

  it('an unreachable store: the screen, exit 1, nothing moved', async () => {
    const broken = new MemoryBackend();
    broken.list = async () => {
      throw new KeyringUnavailableError('no D-Bus session bus', 'fix it');
    };
    const { run } = inProcessCli(t.env, t.home, broken);
    const before = readFileSync(cfg(), 'utf8');
    const r = await run(['setup', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The secret store cannot be reached');
    expect(readFileSync(cfg(), 'utf8')).toBe(before);
  });

  it('then a server gets a plaintext key again: doctor exits 3 and names it; setup moves it again', async () => {
    const { run } = inProcessCli(t.env, t.home);
    expect((await run(['setup', '--yes'])).code).toBe(0);
    const c = JSON.parse(readFileSync(cfg(), 'utf8'));
    const again = testSecret('again');
    c.mcpServers.fs.env = { FS_API_KEY: again };
    writeFileSync(cfg(), JSON.stringify(c, null, 2));
    const d = await run(['doctor']);
    expect(d.code).toBe(3);
    expect(d.stdout).toMatch(/fs \(user\): PLAINTEXT/);
    const s = await run(['setup', '--yes']);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/fs \(user\) +keyring: fs\.FS_API_KEY +zero-disk/);
  });

  it('a server that cannot be wrapped: its key is moved in inject mode after the others, and the alias is offered', async () => {
    const c = JSON.parse(readFileSync(cfg(), 'utf8'));
    const odd = testSecret('odd');
    c.mcpServers.odd = { type: 'stdio', env: { ODD_API_KEY: odd } };
    writeFileSync(cfg(), JSON.stringify(c, null, 2));
    const { run, backend } = inProcessCli(t.env, t.home);
    const r = await run(['setup', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await backend.get('odd.ODD_API_KEY')).toBe(odd);
    expect(r.stdout).toMatch(/odd \(user\) +keyring: odd\.ODD_API_KEY +injected: .*\(cannot be zero-disk: the entry has no command\)/);
    expect(r.stdout).toContain("alias claude='keyring-inject claude'");
    expect(readFileSync(cfg(), 'utf8')).not.toContain(odd);
  });
});

describe('setup offers the move from mcp-keyring-injector', () => {
  let t: TempHome;
  afterEach(() => t.cleanup());

  it('when its list is there: in the plan (--dry-run changes nothing), then done first with --yes; the key reads the same item', async () => {
    t = makeTempHome({ KEYRING_INJECT_CLI: CLI });
    const v = testSecret('legacy');
    const backend = new MemoryBackend();
    await backend.forService('github').set('api-key', v);
    writeFileSync(join(t.home, '.claude.json'), `${JSON.stringify({ mcpServers: { 'github-mcp': { command: 'gh-mcp' } } }, null, 2)}\n`);
    mkdirSync(join(t.home, '.claude', 'config'), { recursive: true });
    writeFileSync(
      join(t.home, '.claude', 'config', 'mcp-credentials.json'),
      JSON.stringify({ github: { env_var: 'GITHUB_TOKEN', service: 'github', account: 'api-key', label: 'GitHub API Token', mcp_server: 'github-mcp' } }),
    );
    const { run } = inProcessCli(t.env, t.home, backend);
    const before = readFileSync(join(t.home, '.claude.json'), 'utf8');
    const dry = await run(['setup', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`move 1 key(s) of mcp-keyring-injector (${join(t.home, '.claude', 'config', 'mcp-credentials.json')})`);
    expect(readFileSync(join(t.home, '.claude.json'), 'utf8')).toBe(before);
    const r = await run(['setup', '--yes']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('done: moved 1 key(s) of mcp-keyring-injector (github-mcp (user) zero-disk)');
    expect(r.stdout).toContain('/plugin uninstall mcp-keyring-injector');
    expect(r.stdout).toMatch(/github-mcp \(user\) +os-keyring api-key \(service=github\): github +zero-disk/);
    expect(JSON.parse(readFileSync(join(t.home, '.claude.json'), 'utf8')).mcpServers['github-mcp'].args.slice(1, 4)).toEqual(['exec', '--server', 'github-mcp']);
    expect(await backend.list()).toEqual([]);
    expectNoLeak(v, [dry.stdout, dry.stderr, r.stdout, r.stderr], [t.home]);
  });
});
