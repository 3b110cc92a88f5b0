import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inProcessCli } from '../helpers/in-process.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
});
afterEach(() => t.cleanup());

const registryPath = () => join(t.home, '.claude', 'keyring-inject', 'registry.json');

describe('add', () => {
  it('stores the value in the keyring and only the mapping in a 0600 registry', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const secret = testSecret();
    const r = await run(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], `${secret}\n`);
    expect(r.code).toBe(0);
    expect(await backend.get('gh')).toBe(secret);
    const reg = JSON.parse(readFileSync(registryPath(), 'utf8'));
    expect(reg.keys.gh.targets).toEqual([{ server: 'github', env: 'GITHUB_TOKEN', scope: 'user' }]);
    expect(statSync(registryPath()).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.home, '.claude', 'keyring-inject')).mode & 0o777).toBe(0o700);
    expectNoLeak(secret, [r.stdout, r.stderr], [t.home]);
  });

  it('strips exactly one trailing newline (CRLF too) and keeps inner whitespace', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    await run(['add', 'a', '--server', 'github', '--env', 'A', '--stdin'], ' x y \n\n');
    expect(await backend.get('a')).toBe(' x y \n');
    await run(['add', 'b', '--server', 'github', '--env', 'B', '--stdin'], 'v\r\n');
    expect(await backend.get('b')).toBe('v');
  });

  it('refuses a value given as an argument without repeating it', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const secret = testSecret();
    for (const argv of [
      ['add', 'gh', secret, '--server', 'github', '--env', 'X'],
      ['add', 'gh', '--server', 'github', '--env', 'X', `--value=${secret}`],
      ['add', 'gh', '--server', 'github', '--env', 'X', `-v${secret}`],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^keyring-inject: /);
      expectNoLeak(secret, [r.stdout, r.stderr], [t.home]);
    }
    expect(await backend.list()).toEqual([]);
  });

  it('refuses a key-shaped or stored value in ANY argument, names only the argument and why, and writes nothing (issue 14.3)', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const shaped = `sk-proj-${'Q7w'.repeat(10)}`; // OpenAI key shape, made up here
    const cases: [string[], RegExp][] = [
      [['add', 'gh', '--server', 'github', '--env', `OPENAI_API_KEY=${shaped}`, '--stdin'], /the value of --env looks like an OpenAI API key/],
      [['add', 'gh', '--server', shaped, '--env', 'X', '--stdin'], /the value of --server looks like an OpenAI API key/],
      [['add', shaped, '--server', 'github', '--env', 'X', '--stdin'], /argument 1 looks like an OpenAI API key/],
      [['remove', shaped], /argument 1 looks like an OpenAI API key/],
      [['run', '--only', shaped, '--', 'true'], /the value of --only looks like an OpenAI API key/],
      [['wrap', shaped], /argument 1 looks like an OpenAI API key/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(argv, 'v-from-stdin-123');
      expect(r.code, argv[0]).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(re);
      expect(r.stderr).toContain('not repeated here');
      expectNoLeak(shaped, [r.stdout, r.stderr], [t.home]);
    }
    // A value already stored (no key shape at all) is refused by add just the same.
    const stored = testSecret();
    expect((await run(['add', 'db', '--server', 'github', '--env', 'DB_PASSWORD', '--stdin'], `${stored}\n`)).code).toBe(0);
    for (const argv of [
      ['add', stored, '--server', 'github', '--env', 'Y', '--stdin'],
      ['add', 'other', '--server', stored, '--env', 'Y', '--stdin'],
      ['add', 'other', '--server', 'github', '--header', `X-Key: ${stored} {value}`, '--stdin'],
    ]) {
      const r = await run(argv, 'another-value-456');
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/(argument 1|the value of --server|the value of --header) holds the value of your stored key 'db'/);
      expectNoLeak(stored, [r.stdout, r.stderr], []);
    }
    expect((await backend.list()).sort()).toEqual(['db']);
    // Through npx, npm has logged the argv already: the refusal says so.
    const viaNpx = await inProcessCli({ ...t.env, npm_command: 'exec' }, t.home).run(['add', 'x', '--server', shaped, '--env', 'X', '--stdin'], 'v');
    expect(viaNpx.code).toBe(2);
    expect(viaNpx.stderr).toContain('npm has also written this command line to ~/.npm/_logs/');
    expectNoLeak(shaped, [viaNpx.stdout, viaNpx.stderr], [t.home]);
    expect(readFileSync(registryPath(), 'utf8').includes(stored)).toBe(false);
    expect(readFileSync(registryPath(), 'utf8').includes(shaped)).toBe(false);
  });

  it('never echoes a rejected name, environment variable or server (issue 14.3)', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const odd = 'Not A Var=but-a-value-0042';
    for (const argv of [
      ['add', 'gh', '--server', 'github', '--env', odd, '--stdin'],
      ['add', odd, '--server', 'github', '--env', 'X', '--stdin'],
      ['add', 'gh', '--server', `bad\u0001${odd}`, '--env', 'X', '--stdin'],
      // A missing key's name is shown when it reads like a name ('no key named gh'), never when it could be a value.
      ['remove', 'nosuchkey0042a8f3c9d1e7b6'],
      ['rotate', 'nosuchkey0042a8f3c9d1e7b6', '--stdin'],
      ['run', '--only', 'no-such-key-0042', '--', 'true'],
      ['wrap', 'no-such-server-0042'],
      ['unwrap', 'no-such-server-0042'],
      ['headers', 'no-such-server-0042'],
      ['import', '--include', 'no-such.server-0042'],
      ['add', 'k', '--server', 'github', '--env', 'X', '--source', 'aws', '--id', 'x', '--meta', 'nokey0042=1'],
    ]) {
      const r = await run(argv, 'v');
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(r.stderr, argv.join(' ')).not.toContain('0042');
    }
  });

  it('refuses empty stdin, and asks for --stdin when there is no terminal', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const empty = await run(['add', 'gh', '--server', 'github', '--env', 'X', '--stdin'], '\n');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('standard input was empty');
    const noTty = await run(['add', 'gh', '--server', 'github', '--env', 'X']);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('--stdin');
  });

  it('needs --server and --env without a terminal, and validates names', async () => {
    const { run } = inProcessCli(t.env, t.home);
    expect((await run(['add', 'gh', '--env', 'X', '--stdin'], 'v')).stderr).toContain('missing --server');
    expect((await run(['add', 'gh', '--server', 'github', '--stdin'], 'v')).stderr).toContain('missing --env');
    const badEnv = await run(['add', 'gh', '--server', 'github', '--env', '1BAD-NAME', '--stdin'], 'v');
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('invalid environment variable name');
    const badName = await run(['add', '../x', '--server', 'github', '--env', 'X', '--stdin'], 'v');
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('invalid key name');
  });

  it('warns (and still stores) when the server is not configured yet', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const r = await run(['add', 'stripe', '--server', 'stripe', '--env', 'STRIPE_KEY', '--stdin'], 'v1234');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: MCP server "stripe" is not in .*\.claude\.json/);
    expect(await backend.get('stripe')).toBe('v1234');
  });

  it('maps one key to several servers, and refuses a target another key already feeds', async () => {
    const { run } = inProcessCli(t.env, t.home);
    expect((await run(['add', 'k1', '--server', 'github', '--server', 'other', '--env', 'TOKEN', '--stdin'], 'v1')).code).toBe(0);
    const reg = JSON.parse(readFileSync(registryPath(), 'utf8'));
    expect(reg.keys.k1.targets.map((x: { server: string }) => x.server)).toEqual(['github', 'other']);
    const clash = await run(['add', 'k2', '--server', 'github', '--env', 'TOKEN', '--stdin'], 'v2');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('already receives key k1');
  });

  it('adds targets to an existing key without asking for the value again', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    await run(['add', 'k', '--server', 'github', '--env', 'A', '--stdin'], 'first');
    const again = await run(['add', 'k', '--server', 'github', '--env', 'B']);
    expect(again.code).toBe(0);
    expect(await backend.get('k')).toBe('first');
    const reg = JSON.parse(readFileSync(registryPath(), 'utf8'));
    expect(reg.keys.k.targets.map((x: { env: string }) => x.env)).toEqual(['A', 'B']);
  });

  it('records local-scope targets under the git root of the project', async () => {
    const { mkdirSync, realpathSync } = await import('node:fs');
    const repo = join(t.home, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(join(repo, 'sub', 'dir'), { recursive: true });
    const { run } = inProcessCli(t.env, join(repo, 'sub', 'dir'));
    const r = await run(['add', 'db', '--server', 'pg', '--env', 'PGPASSWORD', '--scope', 'local', '--stdin', '--json'], 'pw');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.targets).toEqual([{ server: 'pg', env: 'PGPASSWORD', scope: 'local', project: realpathSync(repo) }]);
  });
});

describe('list, rotate, remove', () => {
  it('lists names and targets as stable JSON, never a value', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const secret = testSecret();
    await run(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], secret);
    const r = await run(['list', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      keys: [
        {
          name: 'gh',
          backend: 'memory',
          createdAt: expect.stringMatching(/^2026-01-02T/),
          rotatedAt: null,
          targets: [{ server: 'github', env: 'GITHUB_TOKEN', scope: 'user', project: null, mode: 'inject', injected: false }],
          headers: [],
          hosts: [],
        },
      ],
    });
    const human = await run(['list']);
    expect(human.stdout).toContain('gh');
    expect(human.stdout).toContain('github.env.GITHUB_TOKEN (user)');
    expectNoLeak(secret, [r.stdout, human.stdout, human.stderr], [t.home]);
  });

  it('shows a target as injected when the state file says so', async () => {
    const { run } = inProcessCli(t.env, t.home);
    await run(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], 'v');
    writeFileSync(
      join(t.home, '.claude', 'keyring-inject', 'state.json'),
      JSON.stringify({ version: 1, sessions: [], injected: [{ key: 'gh', server: 'github', env: 'GITHUB_TOKEN', scope: 'user', file: 'x', createdEnv: true, salt: 'aa', mac: 'bb' }] }),
    );
    const r = await run(['list', '--json']);
    expect(JSON.parse(r.stdout).keys[0].targets[0].injected).toBe(true);
  });

  it('rotates a value and records when', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const [v1, v2] = [testSecret('one'), testSecret('two')];
    await run(['add', 'gh', '--server', 'github', '--env', 'T', '--stdin'], v1);
    const r = await run(['rotate', 'gh', '--stdin', '--json'], v2);
    expect(r.code).toBe(0);
    expect(await backend.get('gh')).toBe(v2);
    expect(JSON.parse(r.stdout)).toEqual({ name: 'gh', rotated: true, rotatedAt: expect.any(String), reinjected: 0 });
    const missing = await run(['rotate', 'nope', '--stdin'], v2);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no key named nope');
    expectNoLeak(v1, [r.stdout, r.stderr, missing.stderr], [t.home]);
    expectNoLeak(v2, [r.stdout, r.stderr, missing.stderr], [t.home]);
  });

  it('removes from keyring and registry; a second remove is an error', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    await run(['add', 'gh', '--server', 'github', '--env', 'T', '--stdin'], 'v');
    expect((await run(['remove', 'gh'])).code).toBe(0);
    expect(await backend.get('gh')).toBeUndefined();
    expect(JSON.parse(readFileSync(registryPath(), 'utf8')).keys).toEqual({});
    const again = await run(['remove', 'gh']);
    expect(again.code).toBe(1);
  });
});

describe('help and usage', () => {
  it('prints help for every command and exits 0', async () => {
    const { run } = inProcessCli(t.env, t.home);
    for (const c of ['add', 'list', 'rotate', 'remove']) {
      const r = await run([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: keyring-inject ${c}`);
    }
    expect((await run(['--help'])).code).toBe(0);
    expect((await run([])).code).toBe(2);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
  });

  it('reports a damaged registry in one line with the fix', async () => {
    const { run } = inProcessCli(t.env, t.home);
    await run(['add', 'gh', '--server', 'github', '--env', 'T', '--stdin'], 'v');
    writeFileSync(registryPath(), '{"version": 1, "keys": ');
    const r = await run(['list']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('registry');
    expect(r.stderr).toContain('is damaged');
  });
});
