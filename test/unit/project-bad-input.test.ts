// Bad project files (issue 15): a malformed file, an entry with a value/secret/token field, an
// unknown source, a NAME that is not a valid variable, a source CLI that is missing. Each gets one
// clear line from `allow`, `run` and the launcher; nothing is started and nothing is written.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allow } from '../../src/cli/commands/allow.js';
import { claude } from '../../src/cli/commands/claude.js';
import { run } from '../../src/cli/commands/run.js';
import type { Command } from '../../src/cli/command.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { makeContext } from '../helpers/context.js';
import { filesUnder } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { CLI } from '../helpers/spawn-cli.js';
import { runCommand } from '../../src/cli/run-command.js';

let t: TempHome;
let proj: string;
let started: string;
let claudeBin: string;
const secret = testSecret('bad');

beforeEach(() => {
  t = makeTempHome();
  proj = join(t.home, 'clone');
  mkdirSync(join(proj, '.git'), { recursive: true });
  mkdirSync(join(proj, '.claude'));
  writeFileSync(join(t.home, '.claude.json'), `${JSON.stringify({ projects: { [proj]: { mcpServers: { db: { command: 'db-mcp' } } } } }, null, 2)}\n`);
  started = join(t.home, 'started');
  claudeBin = join(t.home, 'claude');
  writeFileSync(claudeBin, `#!/bin/sh\ntouch ${started}\n`);
  chmodSync(claudeBin, 0o755);
});
afterEach(() => t.cleanup());

async function cli(cmd: Command, argv: string[]) {
  // PATH without doppler; stdin is not a terminal.
  const c = makeContext({ ...t.env, PATH: '/usr/bin:/bin', KEYRING_INJECT_CLI: CLI, KEYRING_INJECT_CLAUDE_BIN: claudeBin }, proj, undefined, new MemoryBackend());
  const code = await runCommand(cmd, argv, c.ctx);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

const snapshot = () => new Map(filesUnder(t.home).map((f) => [f, readFileSync(f, 'utf8')]));

const cases: [string, string, RegExp][] = [
  ['a malformed file', '{"DATABASE_URL": {"source": "built-in",', /secrets\.json is not valid: it is not valid JSON/],
  ['a value field', JSON.stringify({ DATABASE_URL: { source: 'built-in', id: 'db', value: secret } }), /entry "DATABASE_URL" has a "value" field: this file is committed and must never hold a value/],
  ['a secret field', JSON.stringify({ DATABASE_URL: { source: 'built-in', id: 'db', secret } }), /has a "secret" field/],
  ['a token field', JSON.stringify({ DATABASE_URL: { source: 'built-in', id: 'db', token: secret } }), /has a "token" field/],
  ['an unknown source', JSON.stringify({ DATABASE_URL: { source: 'lastpass', id: 'db' } }), /entry "DATABASE_URL": "source" must be one of built-in, keyring, pass/],
  [
    "another program's keyring item",
    JSON.stringify({ DATABASE_URL: { source: 'os-keyring', id: 'api-key', metadata: { service: 'github' } } }),
    /entry "DATABASE_URL": a project file may not read other programs' keyring items/,
  ],
  [
    'a KeePassXC database outside the project',
    JSON.stringify({ DATABASE_URL: { source: 'keepassxc', id: 'Dev/db', metadata: { database: '../team.kdbx' } } }),
    /metadata\.database leaves the project root/,
  ],
  [
    'an age identity given absolute',
    JSON.stringify({ DATABASE_URL: { source: 'age', id: 'DB', metadata: { file: 's.env.age', identity: '/home/me/.ssh/id_ed25519' } } }),
    /metadata\.identity must be relative to the project root/,
  ],
  ['a Vault id that climbs the path', JSON.stringify({ DATABASE_URL: { source: 'vault', id: 'secret/../sys/x#f' } }), /the vault id is not valid/],
  [
    'a Vault address (where your token would go)',
    JSON.stringify({ DATABASE_URL: { source: 'vault', id: 'secret/db#url', metadata: { addr: 'https://vault.attacker.example' } } }),
    /entry "DATABASE_URL": a project file may not choose the Vault address or CA \(metadata\.addr, metadata\.cacert\)/,
  ],
  ['a Vault CA file', JSON.stringify({ DATABASE_URL: { source: 'vault', id: 'secret/db#url', metadata: { cacert: '/tmp/ca.pem' } } }), /a project file may not choose the Vault address or CA/],
  [
    'a NAME that is not a variable',
    JSON.stringify({ 'database-url': { source: 'built-in', id: 'db' } }),
    /entry "database-url" has no "targets", so its name is the variable 'keyring-inject run' sets, and it is not a valid one/,
  ],
];

describe('bad project files: one line, nothing started, nothing written', () => {
  it.each(cases)('%s', async (_what, text, re) => {
    writeFileSync(join(proj, '.claude', 'secrets.json'), text);
    const before = snapshot();
    for (const [cmd, argv] of [
      [allow, []],
      [run, ['--', 'sh', '-c', `touch ${started}`]],
      [claude, []],
    ] as const) {
      const r = await cli(cmd, [...argv]);
      expect(r.code, `${cmd.name}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr + r.stdout).not.toContain(secret);
      expect(existsSync(started), cmd.name).toBe(false);
      expect(snapshot()).toEqual(before);
    }
  });

  it('a source CLI that is missing', async () => {
    writeFileSync(join(proj, '.claude', 'secrets.json'), JSON.stringify({ OPENAI_API_KEY: { source: 'doppler', id: 'OPENAI_API_KEY', targets: [{ server: 'db', env: 'OPENAI_API_KEY' }] } }));
    expect((await cli(allow, [])).code).toBe(0);
    const before = snapshot();
    for (const [cmd, argv] of [
      [run, ['--', 'sh', '-c', `touch ${started}`]],
      [claude, []],
    ] as const) {
      const r = await cli(cmd, [...argv]);
      expect(r.code, `${cmd.name}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/OPENAI_API_KEY \(doppler OPENAI_API_KEY\): the Doppler CLI \(doppler\) is not installed or not on PATH: install it/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(started), cmd.name).toBe(false);
      expect(snapshot()).toEqual(before);
    }
  });

  it('a keyring value missing, without a terminal: the launcher names the command in one line and starts nothing', async () => {
    writeFileSync(join(proj, '.claude', 'secrets.json'), JSON.stringify({ DATABASE_URL: { source: 'built-in', id: 'db-url-prod', targets: [{ server: 'db', env: 'DATABASE_URL' }] } }));
    expect((await cli(allow, [])).code).toBe(0);
    const before = snapshot();
    const r = await cli(claude, []);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `keyring-inject: ${join(proj, '.claude', 'secrets.json')} needs DATABASE_URL, not stored on this machine yet: run 'keyring-inject claude' in a terminal once (it asks for it), or 'keyring-inject add DATABASE_URL --project ${proj} --stdin'`,
    ]);
    expect(existsSync(started)).toBe(false);
    expect(snapshot()).toEqual(before);
  });
});
