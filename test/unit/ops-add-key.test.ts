import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addKey, type AddKeyRequest } from '../../src/ops/add-key.js';
import type { KeyNotice } from '../../src/ops/key-sources.js';
import { makeContext } from '../helpers/context.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

const writeConfig = () => writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
const registry = () => JSON.parse(readFileSync(join(t.home, '.claude', 'keyring-inject', 'registry.json'), 'utf8'));

/** A request as a script gives it (no terminal), logging every exchange with the user in order. */
function request(name: string, value: string, more: Partial<AddKeyRequest> = {}) {
  const log: string[] = [];
  const req: AddKeyRequest = {
    name,
    servers: ['github'],
    hosts: [],
    sourceGiven: false,
    stdin: true,
    interactive: false,
    readValue: async () => (log.push('value asked'), value),
    ask: async (q) => (log.push(`asked ${q}`), ''),
    notify: (n: KeyNotice) => log.push(`${n.kind}: ${n.text}`),
    ...more,
  };
  return { req, log };
}

describe('addKey', () => {
  it('refuses an env var another key feeds before asking for the value, naming the fix, and stores nothing', async () => {
    writeConfig();
    const { ctx, backend } = makeContext(t.env, t.home);
    await addKey(ctx, request('a', testSecret(), { env: 'GITHUB_TOKEN' }).req);
    const b = request('b', testSecret(), { env: 'GITHUB_TOKEN' });
    await expect(addKey(ctx, b.req)).rejects.toMatchObject({
      code: 'key-conflict',
      message: "github.env.GITHUB_TOKEN (user) already receives key a: run 'keyring-inject remove a' or choose another --env",
    });
    expect(b.log).not.toContain('value asked');
    expect(await backend.get('b')).toBeUndefined();
    expect(Object.keys(registry().keys)).toEqual(['a']);
  });

  it('tells about the missing config as it happens, before asking for the value', async () => {
    const { ctx, backend } = makeContext(t.env, t.home);
    const secret = testSecret();
    const { req, log } = request('gh', secret, { env: 'GITHUB_PERSONAL_ACCESS_TOKEN' });
    const r = await addKey(ctx, req);
    expect(log).toEqual([`warn: ${join(t.home, '.claude.json')} does not exist yet: run Claude Code once and add the MCP server with 'claude mcp add'; the key is stored anyway`, 'value asked']);
    expect(await backend.get('gh')).toBe(secret);
    expect(r).toMatchObject({ name: 'gh', isNew: true, stored: true, mode: 'inject', keySource: { source: 'keyring', id: 'gh' }, wrapped: [], alreadyWrapped: [] });
    expect(r.record?.targets).toEqual([{ server: 'github', env: 'GITHUB_PERSONAL_ACCESS_TOKEN', scope: 'user' }]);
  });

  it('adds targets to a stored key when the piped value is the stored one, and refuses a different one without changing anything', async () => {
    writeConfig();
    const { ctx, backend } = makeContext(t.env, t.home);
    const secret = testSecret();
    await addKey(ctx, request('gh', secret, { env: 'A' }).req);
    const same = await addKey(ctx, request('gh', secret, { env: 'B' }).req);
    expect(same).toMatchObject({ isNew: false, stored: false });
    expect(same.record?.targets.map((x) => x.env)).toEqual(['A', 'B']);
    await expect(addKey(ctx, request('gh', testSecret(), { env: 'C' }).req)).rejects.toMatchObject({
      code: 'key-conflict',
      message: expect.stringContaining('already stored with a different value: nothing changed'),
    });
    expect(await backend.get('gh')).toBe(secret);
    expect(registry().keys.gh.targets.map((x: { env: string }) => x.env)).toEqual(['A', 'B']);
  });

  it('asks nothing without a terminal: a missing server is a usage error', async () => {
    writeConfig();
    const { ctx } = makeContext(t.env, t.home);
    const { req, log } = request('gh', testSecret(), { servers: [], env: 'A' });
    await expect(addKey(ctx, req)).rejects.toMatchObject({ code: 'usage', message: 'missing --server: name the MCP server that gets this key' });
    expect(log).toEqual([]);
  });
});

describe('addKey with a vault source: where its token may go is recorded', () => {
  const vault = (id = 'secret/gh#token', metadata?: Record<string, string>) => ({ source: 'vault' as const, id, ...(metadata ? { metadata } : {}) });
  const add = (env: Record<string, string>, more: Partial<AddKeyRequest>) => {
    const { ctx } = makeContext({ ...t.env, ...env }, t.home);
    return addKey(ctx, request('gh', '', { env: 'GH_TOKEN', stdin: false, sourceGiven: true, ...more }).req);
  };

  it('VAULT_ADDR in its one spelling, VAULT_CACERT made absolute; --meta addr= wins over VAULT_ADDR', async () => {
    writeConfig();
    await add({ VAULT_ADDR: 'https://Vault.Example.com:443/prefix/', VAULT_CACERT: 'ca.pem' }, { source: vault() });
    expect(registry().keys.gh.source).toEqual({ source: 'vault', id: 'secret/gh#token', metadata: { addr: 'https://vault.example.com/prefix', cacert: join(t.home, 'ca.pem') } });
    await add({ VAULT_ADDR: 'https://elsewhere.example' }, { name: 'gh2', env: 'OTHER', source: vault('secret/gh#token', { addr: 'https://vault.example.com:8200' }) });
    expect(registry().keys.gh2.source.metadata).toEqual({ addr: 'https://vault.example.com:8200' });
  });

  it('added again with another VAULT_ADDR: the address is recorded again, targets untouched; another id is still refused', async () => {
    writeConfig();
    await add({ VAULT_ADDR: 'https://old.example' }, { source: vault('secret/gh#token', { namespace: 'team' }) });
    const r = await add({ VAULT_ADDR: 'https://new.example' }, { servers: [], env: undefined, source: vault('secret/gh#token', { namespace: 'team' }) });
    expect(r).toMatchObject({ isNew: false, sourceUpdated: true, keySource: { metadata: { namespace: 'team', addr: 'https://new.example' } } });
    expect(registry().keys.gh.targets).toEqual([{ server: 'github', env: 'GH_TOKEN', scope: 'user' }]);
    await expect(add({ VAULT_ADDR: 'https://new.example' }, { servers: [], env: undefined, source: vault('secret/other#token') })).rejects.toMatchObject({ code: 'usage' });
    await expect(add({ VAULT_ADDR: 'https://new.example' }, { source: vault('secret/other#token') })).rejects.toMatchObject({ code: 'key-external' });
    expect(registry().keys.gh.source.metadata.addr).toBe('https://new.example');
  });

  it('refuses VAULT_ADDR that would send the token in the clear or is not an address', async () => {
    writeConfig();
    await expect(add({ VAULT_ADDR: 'http://vault.example.com:8200' }, { source: vault() })).rejects.toMatchObject({
      code: 'usage',
      message: 'VAULT_ADDR uses plain http to a remote host, which would send your token unencrypted: use https://',
    });
    await expect(add({ VAULT_ADDR: 'vault.example.com' }, { source: vault() })).rejects.toMatchObject({
      code: 'usage',
      message: 'VAULT_ADDR is not a URL: set it to e.g. https://vault.example.com:8200',
    });
    expect(existsSync(join(t.home, '.claude', 'keyring-inject', 'registry.json'))).toBe(false);
  });
});
