// Where the Vault token goes: only to the address the user added the key with (or approved the
// project file with), never to one the resolving process's environment names. The process that
// resolves a wrapped server's keys is the server's own (`exec`), whose environment Claude Code
// builds from the server entry's `env`, and for a `.mcp.json` server that is the repository's.
// Claude Code is played by test/helpers/fake-claude/mcp-launch.mjs (it starts a project's stdio
// servers with their `env` over its own environment, local scope over `.mcp.json`); Vault by
// test/helpers/vault-stub.ts, twice: the user's server A and the repository's B.
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { CLI, runCli, runNode } from '../helpers/spawn-cli.js';
import { startVaultStub, type VaultStub } from '../helpers/vault-stub.js';

const LAUNCH = fileURLToPath(new URL('../helpers/fake-claude/mcp-launch.mjs', import.meta.url));
const token = testSecret('vault-token');
const value = testSecret('vault-gh');
const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const ID = 'secret/team/github#token';

let userVault: VaultStub;
let repoVault: VaultStub;
beforeAll(async () => {
  userVault = await startVaultStub({ token, kv: { secret: { 'team/github': [{ token: value }] } } });
  // The repository's server: it takes any request and records it.
  repoVault = await startVaultStub({ token: 'whatever', kv: {} });
});
afterAll(async () => {
  await userVault.close();
  await repoVault.close();
});

let t: TempHome;
let project: string;
let report: string;
beforeEach(() => {
  t = makeTempHome({ VAULT_ADDR: userVault.addr, VAULT_TOKEN: token, KEYRING_INJECT_BACKEND: 'keyutils', KEYRING_INJECT_CLI: CLI });
  // A repository the user cloned (not HOME itself: ~/.claude is Claude Code's own directory).
  project = join(realpathSync(t.home), 'app');
  report = join(t.home, 'report.txt');
  mkdirSync(join(project, 'tools'), { recursive: true });
  writeFileSync(
    join(project, 'tools', 'record.cjs'),
    `require('fs').writeFileSync(${JSON.stringify(report)}, require('crypto').createHash('sha256').update(process.env.GH_TOKEN || '').digest('hex'))`,
  );
  // Claude Code has seen the project (its projects[P] entry).
  writeFileSync(join(t.home, '.claude.json'), `${JSON.stringify({ projects: { [project]: { mcpServers: {} } } }, null, 2)}\n`);
  userVault.requests.length = 0;
  repoVault.requests.length = 0;
});
afterEach(() => t.cleanup());

/** The repository's .mcp.json: server gh, with `env` as the repository sets it. */
function mcpJson(env: Record<string, string>): void {
  writeFileSync(join(project, '.mcp.json'), `${JSON.stringify({ mcpServers: { gh: { command: process.execPath, args: ['tools/record.cjs'], env } } }, null, 2)}\n`);
}

async function ki(args: string[], env: Record<string, string> = {}) {
  const r = await runCli(args, { env: { ...t.env, ...env }, cwd: project });
  expectNoLeak(token, [r.stdout, r.stderr], []);
  return r;
}

/** Claude Code starting the project's servers: one line per server, "server gh exited CODE[: stderr]". */
async function startServers(): Promise<string> {
  const r = await runNode([LAUNCH], { env: t.env, cwd: project });
  expect(r.code, r.stderr).toBe(0);
  const out = r.stdout.toString();
  expectNoLeak(token, [out, r.stderr], [t.home]);
  return out.trim();
}

/** What the server got: the sha256 of GH_TOKEN, or undefined when it never ran. */
const served = () => (existsSync(report) ? readFileSync(report, 'utf8') : undefined);
const tokenSentTo = (stub: VaultStub) => stub.requests.filter((q) => q.headers['x-vault-token'] === token).length;

const addGh = (env: Record<string, string> = {}, extra: string[] = []) =>
  ki(['add', 'gh-token', '--server', 'gh', '--scope', 'local', '--env', 'GH_TOKEN', '--source', 'vault', '--id', ID, ...extra], env);

/** The registry entry of gh-token as written. */
const registered = () => JSON.parse(readFileSync(join(t.home, '.claude', 'keyring-inject', 'registry.json'), 'utf8')).keys['gh-token'];

describe('a wrapped .mcp.json server whose env names another VAULT_ADDR', () => {
  it('gets no token: the key was added for the user’s Vault; the server does not start, with one line naming both addresses and the fix', async () => {
    mcpJson({ VAULT_ADDR: repoVault.addr });
    expect((await addGh()).code).toBe(0);
    expect((await ki(['wrap', 'gh', '--scope', 'local'])).code).toBe(0);

    const out = await startServers();
    expect(repoVault.requests).toEqual([]);
    expect(tokenSentTo(repoVault)).toBe(0);
    expect(userVault.requests).toEqual([]);
    expect(served()).toBeUndefined();
    expect(out.split('\n')).toHaveLength(1);
    expect(out).toBe(
      `server gh exited 1: keyring-inject: key gh-token (vault ${ID} (addr=${userVault.addr})): VAULT_ADDR here is ${repoVault.addr}, not ${userVault.addr}, the Vault this key was added for: refused, your Vault token goes only there; remove it from this program's environment (an MCP server's "env"), or if your Vault moved, run 'keyring-inject add gh-token --source vault --id ${ID}' with VAULT_ADDR set to the new address`,
    );
  });

  it('a CA file of the repository (VAULT_CACERT) is refused the same way, before any request', async () => {
    writeFileSync(join(project, 'ca.pem'), 'not a CA of yours\n');
    mcpJson({ VAULT_CACERT: 'ca.pem' });
    expect((await addGh()).code).toBe(0);
    expect((await ki(['wrap', 'gh', '--scope', 'local'])).code).toBe(0);
    const out = await startServers();
    expect(userVault.requests).toEqual([]);
    expect(served()).toBeUndefined();
    expect(out).toContain(`VAULT_CACERT here is ${join(project, 'ca.pem')}, not none, the CA file of the Vault this key was added for: refused`);
  });
});

describe('the address the key was added with', () => {
  it('is recorded in the registry, and the server gets its key from there: with the same VAULT_ADDR in its env, or none', async () => {
    const r = await addGh();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`added gh-token: its value is read from vault ${ID} (addr=${userVault.addr}) whenever it is needed`);
    expect(registered().source).toEqual({ source: 'vault', id: ID, metadata: { addr: userVault.addr } });

    for (const env of [{ VAULT_ADDR: `${userVault.addr}/` }, {}] as Record<string, string>[]) {
      rmSync(report, { force: true });
      mcpJson(env);
      expect((await ki(['wrap', 'gh', '--scope', 'local'])).code).toBe(0);
      const before = userVault.requests.length;
      // Claude Code's own environment without VAULT_ADDR: the recorded address is enough.
      const { VAULT_ADDR: _drop, ...noAddr } = t.env;
      const launched = await runNode([LAUNCH], { env: noAddr, cwd: project });
      expect(launched.stdout.toString().trim()).toBe('server gh exited 0');
      expect(served()).toBe(sha(value));
      expect(userVault.requests.length - before).toBe(1);
    }
    expect(tokenSentTo(repoVault)).toBe(0);
  });

  it('add refuses a vault key when nothing says where the token goes', async () => {
    const { VAULT_ADDR: _drop, ...noAddr } = t.env;
    const r = await runCli(['add', 'gh-token', '--server', 'gh', '--scope', 'local', '--env', 'GH_TOKEN', '--source', 'vault', '--id', ID], { env: noAddr, cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "keyring-inject: --source vault: set VAULT_ADDR to your Vault's address (e.g. https://vault.example.com:8200) or give --meta addr=URL; the key's token is sent only there",
    );
    expect(existsSync(join(t.home, '.claude', 'keyring-inject', 'registry.json')) && registered()).toBeFalsy();
  });

  it('an entry from before (no address recorded) is refused with the command that records one; that command makes it work', async () => {
    mcpJson({});
    expect((await addGh()).code).toBe(0);
    // The registry as older versions wrote it: the reference alone.
    const file = join(t.home, '.claude', 'keyring-inject', 'registry.json');
    const reg = JSON.parse(readFileSync(file, 'utf8'));
    reg.keys['gh-token'].source = { source: 'vault', id: ID };
    writeFileSync(file, JSON.stringify(reg));
    expect((await ki(['wrap', 'gh', '--scope', 'local'])).code).toBe(0);

    const refused = await startServers();
    expect(userVault.requests).toEqual([]);
    expect(served()).toBeUndefined();
    const fix = `keyring-inject add gh-token --source vault --id ${ID}`;
    expect(refused).toBe(
      `server gh exited 1: keyring-inject: key gh-token (vault ${ID}): no Vault address is recorded for this key, and your token goes only to a recorded one: run '${fix}' with VAULT_ADDR set to your Vault's address`,
    );

    const targets = registered().targets;
    const again = await ki(fix.split(' ').slice(1));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe(`gh-token now reads its value from vault ${ID} (addr=${userVault.addr})`);
    expect(registered().targets).toEqual(targets);
    expect(await startServers()).toBe('server gh exited 0');
    expect(served()).toBe(sha(value));
  });
});

describe('a project file (.claude/secrets.json) with a vault entry', () => {
  const secrets = (entry: Record<string, unknown>) => {
    mkdirSync(join(project, '.claude'), { recursive: true });
    writeFileSync(join(project, '.claude', 'secrets.json'), `${JSON.stringify({ GH: { source: 'vault', id: ID, targets: [{ server: 'gh', env: 'GH_TOKEN' }], ...entry } }, null, 2)}\n`);
  };

  it('sends the token to the VAULT_ADDR of the allow that approved it, never to the one of the server’s env', async () => {
    secrets({});
    mcpJson({ VAULT_ADDR: repoVault.addr });
    const allowed = await ki(['allow']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain(`vault entries: your token goes only to ${userVault.addr}`);

    const refused = await startServers();
    expect(repoVault.requests).toEqual([]);
    expect(userVault.requests).toEqual([]);
    expect(served()).toBeUndefined();
    expect(refused).toContain(`VAULT_ADDR here is ${repoVault.addr}, not ${userVault.addr}, the Vault you approved the project file with: refused`);
    expect(refused).toContain(`run 'keyring-inject allow ${project}' with VAULT_ADDR set to the new address`);

    mcpJson({});
    expect((await ki(['allow'])).code).toBe(0);
    expect(await startServers()).toBe('server gh exited 0');
    expect(served()).toBe(sha(value));
    expect(tokenSentTo(repoVault)).toBe(0);
  });

  it('approved without VAULT_ADDR: its vault entries are refused, naming allow; a file naming an address is refused outright', async () => {
    secrets({});
    mcpJson({});
    const { VAULT_ADDR: _drop, ...noAddr } = t.env;
    const allowed = await runCli(['allow'], { env: noAddr, cwd: project });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain(`the vault entries have no Vault address to send your token to: run 'keyring-inject allow ${project}' again with VAULT_ADDR set to your Vault's address`);
    const out = await startServers();
    expect(userVault.requests).toEqual([]);
    expect(out).toContain(`no Vault address is recorded for this project file, and your token goes only to a recorded one: run 'keyring-inject allow ${project}' with VAULT_ADDR set`);

    secrets({ metadata: { addr: repoVault.addr } });
    const bad = await ki(['allow']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('a project file may not choose the Vault address or CA');
    expect(repoVault.requests).toEqual([]);
  });
});
