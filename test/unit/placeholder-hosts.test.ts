// Placeholder keys, step one: where a key may go (`hosts`). Host patterns, `add --host`, the
// registry and project-file fields, and what list / allow / doctor show. In-process, memory keyring.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import { allow } from '../../src/cli/commands/allow.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { list } from '../../src/cli/commands/list.js';
import { uninstall } from '../../src/cli/commands/uninstall.js';
import { CA_ITEM } from '../../src/proxy/ca.js';
import type { Command } from '../../src/cli/command.js';
import { runCommand } from '../../src/cli/run-command.js';
import { formatHostPattern, hostMatches, isLoopbackHost, matchesAny, parseHostPattern, splitAuthority } from '../../src/core/hosts.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { parseRegistry } from '../../src/registry/registry.js';
import { loadRegistry } from '../../src/registry/registry-file.js';
import { parseProjectFile } from '../../src/sources/team-file.js';
import { makeContext } from '../helpers/context.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

describe('host patterns', () => {
  it.each([
    ['api.crm.example', 'api.crm.example'],
    ['API.Crm.Example', 'api.crm.example'],
    ['localhost:8443', 'localhost:8443'],
    ['*.crm.example', '*.crm.example'],
    ['127.0.0.1:9000', '127.0.0.1:9000'],
  ])('%s is valid and reads as %s', (text, spelled) => {
    const p = parseHostPattern(text);
    expect(typeof p).toBe('object');
    expect(formatHostPattern(p as Exclude<typeof p, string>)).toBe(spelled);
  });

  it.each(['', 'https://api.example.com', 'api.example.com/v1', 'user@api.example.com', '*.com', '*', 'a..b', '-a.example', 'host:0', 'host:70000', '*.10.0.0.1', 'a b', 'x.123'])(
    '%j is refused',
    (text) => {
      expect(typeof parseHostPattern(text)).toBe('string');
    },
  );

  it("matches the name and the scheme's default port only; a wildcard matches subdomains, not the apex", () => {
    const p = (s: string) => parseHostPattern(s) as Exclude<ReturnType<typeof parseHostPattern>, string>;
    expect(hostMatches(p('api.x.example'), 'API.x.example', 443, 443)).toBe(true);
    expect(hostMatches(p('api.x.example'), 'api.x.example.', 443, 443)).toBe(true);
    expect(hostMatches(p('api.x.example'), 'api.x.example', 8443, 443)).toBe(false);
    expect(hostMatches(p('api.x.example'), 'evil-api.x.example', 443, 443)).toBe(false);
    expect(hostMatches(p('api.x.example'), 'api.x.example.evil', 443, 443)).toBe(false);
    expect(hostMatches(p('localhost:8443'), 'localhost', 8443, 443)).toBe(true);
    expect(hostMatches(p('localhost:8443'), 'localhost', 443, 443)).toBe(false);
    expect(hostMatches(p('*.x.example'), 'a.b.x.example', 443, 443)).toBe(true);
    expect(hostMatches(p('*.x.example'), 'x.example', 443, 443)).toBe(false);
    expect(hostMatches(p('*.x.example'), 'evilx.example', 443, 443)).toBe(false);
    // A name never matches its address.
    expect(matchesAny(['localhost:80'], '127.0.0.1', 80, 80)).toBe(false);
  });

  it('loopback hosts (the only ones a key reaches over plain HTTP)', () => {
    for (const h of ['localhost', 'LOCALHOST.', '127.0.0.1', '127.1.2.3', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['localhost.example.com', 'api.example.com', '10.0.0.1', '128.0.0.1', '[::2]', 'mylocalhost']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('splits authorities and refuses malformed ones', () => {
    expect(splitAuthority('Example.com:8080', 80)).toEqual({ host: 'example.com', port: 8080 });
    expect(splitAuthority('example.com', 443)).toEqual({ host: 'example.com', port: 443 });
    expect(splitAuthority('[::1]:8443', 443)).toEqual({ host: '[::1]', port: 8443 });
    for (const bad of ['', 'a:b', 'a b', 'a:99999', 'a:1:2', 'user@a']) expect(splitAuthority(bad, 80), bad).toBeUndefined();
  });
});

describe('hosts in the registry and the project file', () => {
  it('the registry keeps valid hosts in their one spelling and refuses a bad one with a one-line error', () => {
    const base = { targets: [], backend: 'memory', createdAt: 'x' };
    const reg = parseRegistry(JSON.stringify({ version: 1, keys: { k: { ...base, hosts: ['API.x.example', 'api.x.example', 'localhost:1'] } } }), 'reg.json');
    expect(reg.keys.k?.hosts).toEqual(['api.x.example', 'localhost:1']);
    expect(() => parseRegistry(JSON.stringify({ version: 1, keys: { k: { ...base, hosts: ['https://x'] } } }), 'reg.json')).toThrow(/a host of key "k" is not a valid host pattern/);
    expect(() => parseRegistry(JSON.stringify({ version: 1, keys: { k: { ...base, hosts: 'x.example' } } }), 'reg.json')).toThrow(/hosts of key "k" are malformed/);
  });

  it('a project entry may carry hosts; a bad list is refused naming the entry', () => {
    const f = parseProjectFile(JSON.stringify({ CRM_KEY: { source: 'built-in', id: 'crm', hosts: ['api.crm.example', '*.crm.example'] } }), '/p/.claude/secrets.json', '/p');
    expect(f.entries.get('CRM_KEY')?.hosts).toEqual(['api.crm.example', '*.crm.example']);
    for (const hosts of [[], 'api.crm.example', ['api.crm.example/x'], [3]]) {
      expect(() => parseProjectFile(JSON.stringify({ CRM_KEY: { source: 'built-in', id: 'crm', hosts } }), '/p/.claude/secrets.json', '/p')).toThrow(/entry "CRM_KEY"/);
    }
  });
});

describe('add --host, list, allow, doctor', () => {
  let t: TempHome;
  let backend: MemoryBackend;
  let outputs: string[];
  beforeEach(() => {
    t = makeTempHome();
    backend = new MemoryBackend();
    outputs = [];
    writeFileSync(join(t.home, '.claude.json'), `${JSON.stringify({ mcpServers: { crm: { type: 'stdio', command: 'node', args: ['s.js'] } } }, null, 2)}\n`);
  });
  afterEach(() => t.cleanup());

  async function cli(cmd: Command, argv: string[], stdin?: string, cwd = t.home) {
    const c = makeContext(t.env, cwd, stdin, backend);
    const code = await runCommand(cmd, argv, c.ctx);
    outputs.push(c.stdout(), c.stderr());
    return { code, stdout: c.stdout(), stderr: c.stderr() };
  }

  it('add --host (repeatable) makes a placeholder key; a second add adds hosts; list, list --json and doctor show them', async () => {
    const v = testSecret();
    const r = await cli(add, ['crm', '--server', 'crm', '--env', 'CRM_KEY', '--host', 'api.crm.example', '--host', 'LOCALHOST:8443', '--stdin'], v);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('placeholder key');
    const again = await cli(add, ['crm', '--server', 'crm', '--env', 'CRM_KEY', '--host', '*.crm.example']);
    expect(again.code, again.stderr).toBe(0);
    const reg = await loadRegistry(join(t.home, '.claude', 'keyring-inject', 'registry.json'));
    expect(reg.keys.crm?.hosts).toEqual(['api.crm.example', 'localhost:8443', '*.crm.example']);
    const l = await cli(list, []);
    expect(l.stdout).toContain("placeholder key: 'run' sends the value only to api.crm.example, localhost:8443, *.crm.example");
    const lj = JSON.parse((await cli(list, ['--json'])).stdout);
    expect(lj.keys[0].hosts).toEqual(['api.crm.example', 'localhost:8443', '*.crm.example']);
    const d = await cli(doctor, []);
    expect(d.stdout).toContain('placeholder key crm:');
    const dj = JSON.parse((await cli(doctor, ['--json'])).stdout);
    expect(dj.placeholderKeys).toEqual([{ name: 'crm', hosts: ['api.crm.example', 'localhost:8443', '*.crm.example'] }]);
    expectNoLeak(v, outputs, [t.home]);
  });

  it("uninstall --all --purge-keys also deletes the proxy CA's private key from the keyring", async () => {
    await backend.set(CA_ITEM, '{"cert":"x","key":"y"}');
    const r = await cli(uninstall, ['--all', '--purge-keys', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).keysPurged).toContain(CA_ITEM);
    expect(await backend.get(CA_ITEM)).toBeUndefined();
  });

  it('a bad --host is a usage error that stores nothing', async () => {
    const r = await cli(add, ['crm', '--server', 'crm', '--env', 'CRM_KEY', '--host', 'https://api.crm.example/v1', '--stdin'], testSecret());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--host .* is not a valid host: give a host name/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await backend.list()).toEqual([]);
  });

  it('add --project --host writes hosts into the project file; allow shows them', async () => {
    const proj = join(t.home, 'work', 'shop');
    mkdirSync(join(proj, '.git'), { recursive: true });
    const r = await cli(add, ['CRM_KEY', '--project', proj, '--host', 'api.crm.example', '--stdin'], testSecret());
    expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(proj, '.claude', 'secrets.json'), 'utf8'));
    expect(file.CRM_KEY.hosts).toEqual(['api.crm.example']);
    const a = await cli(allow, [], undefined, proj);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain('(placeholder key: its value goes only to api.crm.example)');
  });
});
