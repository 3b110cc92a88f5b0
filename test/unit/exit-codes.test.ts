// Exit codes and checks that mean something (issue 18, item 3): doctor fails on problems, status
// warns on a config it cannot read, a bad KEYRING_INJECT_BACKEND stops every command, --value
// gets its own refusal, add on an existing key adds targets, --env on an http server warns, and
// the empty-stdin hint fits the platform.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMAND_TABLE } from '../../src/cli/command-table.js';
import { pasteHint } from '../../src/cli/secret-input.js';
import { inProcessCli } from '../helpers/in-process.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
const cfgPath = () => join(t.home, '.claude.json');
const regPath = () => join(t.home, '.claude', 'keyring-inject', 'registry.json');
beforeEach(() => {
  t = makeTempHome();
  writeFileSync(cfgPath(), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' }, api: { type: 'http', url: 'https://mcp.example.com/mcp' } } }, null, 2));
});
afterEach(() => t.cleanup());

describe('doctor exit status', () => {
  it('exits 0 when all is well and 3 when it reports a problem (text and --json), naming the server', async () => {
    const { run } = inProcessCli(t.env, t.home);
    expect((await run(['doctor'])).code).toBe(0);
    expect((await run(['doctor', '--json'])).code).toBe(0);
    const plain = testSecret('plain');
    const cfg = JSON.parse(readFileSync(cfgPath(), 'utf8'));
    cfg.mcpServers.github.env = { GITHUB_PERSONAL_ACCESS_TOKEN: plain };
    writeFileSync(cfgPath(), JSON.stringify(cfg, null, 2));
    const text = await run(['doctor']);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('github (user): PLAINTEXT');
    const json = await run(['doctor', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).ok).toBe(false);
    expectNoLeak(plain, [text.stdout, text.stderr, json.stdout, json.stderr], []);
  });
});

describe('status', () => {
  it('warns when the config cannot be read instead of reporting a clean slate', async () => {
    writeFileSync(cfgPath(), '{"mcpServers": {"github": {"command": "x", "env": {"A": "');
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['status']);
    expect(r.stderr).toMatch(/warning: .*\.claude\.json is not valid JSON/);
    expect(r.stderr).toContain('cannot check it for leftovers');
    const j = await run(['status', '--json']);
    expect(JSON.parse(j.stdout).configError).toMatch(/not valid JSON/);
  });
});

describe('KEYRING_INJECT_BACKEND', () => {
  it('a value that names no backend is a usage error in every command, before anything runs', async () => {
    const { run } = inProcessCli({ ...t.env, KEYRING_INJECT_BACKEND: 'nonsense' }, t.home);
    for (const c of COMMAND_TABLE) {
      const r = await run([c.name]);
      expect(r.code, c.name).toBe(2);
      expect(r.stderr, c.name).toMatch(/KEYRING_INJECT_BACKEND="nonsense" is not a backend: use one of os, secret-service/);
      expect(r.stderr.trim().split('\n'), c.name).toHaveLength(1);
    }
    // Help still works, so the user can read what the valid values are.
    expect((await run(['--help'])).code).toBe(0);
  });
});

describe('add', () => {
  it('refuses --value with its own reason and the way to do it instead, never repeating the value', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const secret = testSecret();
    for (const argv of [
      ['add', 'gh', '--server', 'github', '--env', 'X', '--value', secret],
      ['add', 'gh', '--server', 'github', '--env', 'X', `--value=${secret}`],
      ['rotate', 'gh', `--value=${secret}`],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--value: a value is never taken from the command line \(visible in ps and shell history\)/);
      expect(r.stderr).toContain('--stdin');
      expectNoLeak(secret, [r.stdout, r.stderr], [t.home]);
    }
    expect(await backend.list()).toEqual([]);
  });

  it('on an existing key adds the targets: the same value on stdin is fine, a different one is refused', async () => {
    const { run, backend } = inProcessCli(t.env, t.home);
    const secret = testSecret();
    expect((await run(['add', 'gh', '--server', 'github', '--env', 'A', '--stdin'], secret)).code).toBe(0);
    const same = await run(['add', 'gh', '--server', 'github', '--env', 'B', '--stdin'], `${secret}\n`);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('gh was already stored; targets updated');
    expect(JSON.parse(readFileSync(regPath(), 'utf8')).keys.gh.targets.map((x: { env: string }) => x.env)).toEqual(['A', 'B']);
    const other = testSecret('other');
    const diff = await run(['add', 'gh', '--server', 'github', '--env', 'C', '--stdin'], other);
    expect(diff.code).toBe(1);
    expect(diff.stderr).toMatch(/gh is already stored with a different value: nothing changed; 'keyring-inject rotate gh' replaces the value/);
    expect(JSON.parse(readFileSync(regPath(), 'utf8')).keys.gh.targets.map((x: { env: string }) => x.env)).toEqual(['A', 'B']);
    expect(await backend.get('gh')).toBe(secret);
    expectNoLeak(secret, [same.stdout, same.stderr, diff.stdout, diff.stderr], []);
    expectNoLeak(other, [diff.stdout, diff.stderr], [t.home]);
  });

  it('warns that an http server reads no env var and names --header', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['add', 'k', '--server', 'api', '--env', 'API_KEY', '--stdin'], testSecret());
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: MCP server "api" is an http server: Claude Code gives it no environment, so API_KEY reaches nothing; use --header 'Authorization: Bearer \{value\}'/);
    const stdio = await run(['add', 'k2', '--server', 'github', '--env', 'GH', '--stdin'], testSecret());
    expect(stdio.stderr).not.toContain('http server');
  });

  it('the empty-stdin hint names a clipboard tool of the platform', async () => {
    expect(pasteHint('darwin')).toContain('pbpaste |');
    expect(pasteHint('linux')).not.toContain('pbpaste');
    expect(pasteHint('linux')).toMatch(/wl-paste|xclip/);
    expect(pasteHint('win32')).toContain('Get-Clipboard');
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['add', 'gh', '--server', 'github', '--env', 'X', '--stdin'], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(pasteHint(process.platform));
  });

  it("a server that 'claude mcp add' put in the current project's local scope gets the key there, with a note", async () => {
    const { realpathSync } = await import('node:fs');
    const here = realpathSync(t.home);
    writeFileSync(cfgPath(), JSON.stringify({ mcpServers: {}, projects: { [here]: { mcpServers: { stripe: { command: 'npx', args: ['-y', '@stripe/mcp'] } } } } }));
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['add', 'stripe', '--server', 'stripe', '--stdin', '--json'], testSecret());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`stripe: a local-scope server of ${here}, so the key goes there`);
    expect(r.stderr).not.toContain('is not in');
    expect(JSON.parse(r.stdout).targets).toEqual([{ server: 'stripe', env: 'STRIPE_SECRET_KEY', scope: 'local', project: here }]);
  });
});
