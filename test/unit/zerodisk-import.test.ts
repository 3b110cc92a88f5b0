// import: plaintext values in ~/.claude.json move into the keyring, out of the file and out of
// Claude Code's backups; the plan names servers and variables, never values.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importCommand } from '../../src/cli/commands/import.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { headers } from '../../src/cli/commands/headers.js';
import type { Command } from '../../src/cli/command.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { loadRegistry } from '../../src/registry/registry-file.js';
import { classifyEnv, classifyHeader, headerTemplate } from '../../src/import/classify.js';
import { deriveKeyName } from '../../src/import/import-keys.js';
import { makeContext } from '../helpers/context.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { CLI } from '../helpers/spawn-cli.js';
import { runCommand } from '../../src/cli/run-command.js';

describe('the "is this a secret" rules', () => {
  it.each([
    ['GITHUB_TOKEN', 'ghp_abcdefghijklmnop', true],
    ['API_KEY', 'short', true], // plain word, but the name says secret
    ['DATABASE_URL', 'postgres://user:pw@db.example.com/x', true],
    ['WEBHOOK', 'https://hooks.example.com/x?token=abc', true],
    ['ANYTHING', 'a8f5f167f44f4964e6c998dee827110c', true],
    ['LOG_LEVEL', 'debug', false],
    ['NODE_ENV', 'production', false],
    ['DEBUG', 'true', false],
    ['PORT', '8080', false],
    ['TIMEOUT', '1.5', false],
    ['ROOT', '/var/lib/x', false],
    ['CFG', '~/cfg.json', false],
    ['BASE_URL', 'https://api.example.com/v1', false],
    ['TOKEN', '${GITHUB_TOKEN}', false],
    ['TOKEN', 'Bearer ${T}', false],
    ['EMPTY', '', false],
  ])('%s=%s -> secret %s', (name, value, secret) => {
    expect(classifyEnv(name, value).secret).toBe(secret);
  });

  it('headers: public ones are skipped, Bearer/Token/Basic prefixes become templates', () => {
    expect(classifyHeader('Content-Type', 'application/json').secret).toBe(false);
    expect(classifyHeader('Authorization', 'Bearer abcdef123456').secret).toBe(true);
    expect(headerTemplate('Bearer abc')).toEqual({ template: 'Bearer {value}', secret: 'abc' });
    expect(headerTemplate('xyz')).toEqual({ template: '{value}', secret: 'xyz' });
    expect(deriveKeyName('github', 'GITHUB_TOKEN')).toBe('github.GITHUB_TOKEN');
    expect(deriveKeyName('my server!', 'X')).toBe('my-server-.X');
  });
});

let t: TempHome;
let backend: MemoryBackend;
let outputs: string[];
const cfgPath = () => join(t.home, '.claude.json');
const backupsDir = () => join(t.home, '.claude', 'backups');

async function cli(cmd: Command, argv: string[], env = t.env) {
  const c = makeContext(env, t.home, undefined, backend);
  const code = await runCommand(cmd, argv, c.ctx);
  outputs.push(c.stdout(), c.stderr());
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

beforeEach(() => {
  t = makeTempHome({ KEYRING_INJECT_CLI: CLI });
  backend = new MemoryBackend();
  outputs = [];
});
afterEach(() => t.cleanup());

describe('import', () => {
  const P = '/home/someone/project';
  const setup = () => {
    const gh = testSecret('gh');
    const db = testSecret('db');
    const bearer = testSecret('bearer');
    const cfg = {
      mcpServers: {
        github: { type: 'stdio', command: 'npx', args: ['-y', 'server-github'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: gh, LOG_LEVEL: 'info', HOME_DIR: '/tmp/x', REF: '${OTHER}' } },
        api: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json' } },
      },
      projects: { [P]: { mcpServers: { db: { command: 'db-mcp', env: { DB_PASSWORD: db } } } } },
    };
    const text = `${JSON.stringify(cfg, null, 2)}\n`;
    writeFileSync(cfgPath(), text);
    mkdirSync(backupsDir(), { recursive: true });
    writeFileSync(join(backupsDir(), '.claude.json.backup.1000'), text, { mode: 0o600 });
    writeFileSync(join(backupsDir(), '.claude.json.backup.2000'), `${JSON.stringify({ ...cfg, extra: `pasted ${gh} here` })}`, { mode: 0o600 });
    return { gh, db, bearer, cfg };
  };

  it('reads a config with a leading BOM as Claude Code does (it strips one), and keeps the BOM', async () => {
    const { gh, db, bearer } = setup();
    writeFileSync(cfgPath(), `\uFEFF${readFileSync(cfgPath(), 'utf8')}`);
    const before = JSON.parse(await cli(doctor, ['--json']).then((r) => r.stdout));
    expect(before.servers.map((x: { server: string; mode: string }) => `${x.server} ${x.mode}`).sort()).toEqual(['api plaintext', 'db plaintext', 'github plaintext']);
    const r = await cli(importCommand, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await backend.get('github.GITHUB_PERSONAL_ACCESS_TOKEN')).toBe(gh);
    const text = readFileSync(cfgPath(), 'utf8');
    expect(text.startsWith('\uFEFF{')).toBe(true);
    expect(JSON.parse(text.slice(1)).mcpServers.github.env).toEqual({ LOG_LEVEL: 'info', HOME_DIR: '/tmp/x', REF: '${OTHER}' });
    const after = await cli(doctor, ['--json']);
    expect(after.stdout).not.toContain('not valid JSON');
    for (const v of [gh, db, bearer]) expectNoLeak(v, outputs, [t.home]);
  });

  it('--dry-run shows the plan (names only) and changes nothing', async () => {
    const { gh, db, bearer } = setup();
    const before = readFileSync(cfgPath(), 'utf8');
    const r = await cli(importCommand, ['--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    const row = (server: string, name: string) => plan.items.find((i: { server: string; name: string }) => i.server === server && i.name === name);
    expect(row('github', 'GITHUB_PERSONAL_ACCESS_TOKEN')).toMatchObject({ action: 'import', key: 'github.GITHUB_PERSONAL_ACCESS_TOKEN', scope: 'user' });
    expect(row('github', 'LOG_LEVEL')).toMatchObject({ action: 'skip', reason: 'plain word' });
    expect(row('github', 'HOME_DIR')).toMatchObject({ action: 'skip', reason: 'path' });
    expect(row('github', 'REF')).toMatchObject({ action: 'skip', reason: '${VAR} reference' });
    expect(row('api', 'Authorization')).toMatchObject({ kind: 'header', action: 'import', key: 'api.Authorization', template: 'Bearer {value}' });
    expect(row('api', 'Accept')).toMatchObject({ action: 'skip', reason: 'public header' });
    expect(row('db', 'DB_PASSWORD')).toMatchObject({ action: 'import', scope: 'local', project: P, key: 'db.DB_PASSWORD' });
    expect(readFileSync(cfgPath(), 'utf8')).toBe(before);
    expect(await backend.list()).toEqual([]);
    const text = await cli(importCommand, ['--dry-run']);
    expect(text.stdout).toContain('env GITHUB_PERSONAL_ACCESS_TOKEN: would move to key github.GITHUB_PERSONAL_ACCESS_TOKEN');
    for (const v of [gh, db, bearer]) expectNoLeak(v, outputs, []);
  });

  it('moves values into the keyring, strips them from the config and every backup, and wraps http servers', async () => {
    const { gh, db, bearer } = setup();
    const r = await cli(importCommand, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.warnings).toEqual([]);
    expect(await backend.get('github.GITHUB_PERSONAL_ACCESS_TOKEN')).toBe(gh);
    expect(await backend.get('db.DB_PASSWORD')).toBe(db);
    expect(await backend.get('api.Authorization')).toBe(bearer);
    const cfg = JSON.parse(readFileSync(cfgPath(), 'utf8'));
    expect(cfg.mcpServers.github.env).toEqual({ LOG_LEVEL: 'info', HOME_DIR: '/tmp/x', REF: '${OTHER}' });
    expect(cfg.mcpServers.github.command).toBe('npx'); // inject mode: not wrapped
    expect(cfg.mcpServers.api.headers).toEqual({ Accept: 'application/json' });
    expect(cfg.mcpServers.api.headersHelper).toContain(' headers api');
    expect(cfg.projects[P].mcpServers.db.env).toEqual({});
    const reg = await loadRegistry(join(t.home, '.claude', 'keyring-inject', 'registry.json'));
    expect(reg.keys['github.GITHUB_PERSONAL_ACCESS_TOKEN']?.targets).toEqual([{ server: 'github', env: 'GITHUB_PERSONAL_ACCESS_TOKEN', scope: 'user' }]);
    expect(reg.keys['api.Authorization']?.headers).toEqual([{ server: 'api', header: 'Authorization', template: 'Bearer {value}', scope: 'user' }]);
    expect(reg.keys['db.DB_PASSWORD']?.targets).toEqual([{ server: 'db', env: 'DB_PASSWORD', scope: 'local', project: P }]);
    expect(res.scrubbed.map((s: { file: string }) => s.file).sort()).toEqual(
      readdirSync(backupsDir())
        .map((f) => join(backupsDir(), f))
        .sort(),
    );
    // The header comes back through headersHelper.
    const h = await cli(headers, ['api'], { ...t.env, CLAUDE_CODE_MCP_SERVER_URL: 'https://mcp.example.com/mcp' });
    expect(JSON.parse(h.stdout)).toEqual({ Authorization: `Bearer ${bearer}` });
    outputs = outputs.filter((o) => o !== h.stdout);
    for (const v of [gh, db, bearer]) expectNoLeak(v, outputs, [t.home]);
    // Idempotent: nothing left to move.
    const again = JSON.parse((await cli(importCommand, ['--json'])).stdout);
    expect(again.items.filter((i: { action: string }) => i.action !== 'skip')).toEqual([]);
  });

  it('--mode wrap also wraps stdio servers, and their targets are in wrap mode', async () => {
    const { gh } = setup();
    const r = await cli(importCommand, ['--mode', 'wrap']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('wrapped: github (user)');
    const cfg = JSON.parse(readFileSync(cfgPath(), 'utf8'));
    expect(cfg.mcpServers.github.args.slice(0, 4)).toEqual([CLI, 'exec', '--server', 'github']);
    expect(cfg.projects[P].mcpServers.db.args).toContain('--project');
    const reg = await loadRegistry(join(t.home, '.claude', 'keyring-inject', 'registry.json'));
    expect(reg.keys['github.GITHUB_PERSONAL_ACCESS_TOKEN']?.targets[0]?.mode).toBe('wrap');
    expectNoLeak(gh, outputs, [t.home]);
  });

  it('reuses a key that already holds the same value, refuses to overwrite a different one, honours --include/--exclude', async () => {
    const { gh, db } = setup();
    await backend.set('github.GITHUB_PERSONAL_ACCESS_TOKEN', gh); // stored earlier, not registered
    const r = JSON.parse((await cli(importCommand, ['--json', '--exclude', 'db.DB_PASSWORD', '--include', 'github.LOG_LEVEL'])).stdout);
    const row = (name: string) => r.items.find((i: { name: string }) => i.name === name);
    expect(row('GITHUB_PERSONAL_ACCESS_TOKEN')).toMatchObject({ action: 'strip', key: 'github.GITHUB_PERSONAL_ACCESS_TOKEN' });
    expect(row('DB_PASSWORD')).toMatchObject({ action: 'skip', reason: 'excluded (--exclude)' });
    expect(row('LOG_LEVEL')).toMatchObject({ action: 'import', key: 'github.LOG_LEVEL' });
    expect(JSON.parse(readFileSync(cfgPath(), 'utf8')).projects[P].mcpServers.db.env.DB_PASSWORD).toBe(db);

    // A different plaintext value for a target that is already mapped: left alone.
    const cfg = JSON.parse(readFileSync(cfgPath(), 'utf8'));
    cfg.mcpServers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN = testSecret('other');
    writeFileSync(cfgPath(), JSON.stringify(cfg, null, 2));
    const again = JSON.parse((await cli(importCommand, ['--json'])).stdout);
    expect(again.items.find((i: { name: string }) => i.name === 'GITHUB_PERSONAL_ACCESS_TOKEN')).toMatchObject({ action: 'skip' });
    expect(await backend.get('github.GITHUB_PERSONAL_ACCESS_TOKEN')).toBe(gh);
    const bad = await cli(importCommand, ['--include', 'nope.X']);
    expect(bad.code).toBe(1);
  });

  it('leaves values it injected for a live session alone (recognised by the engine records)', async () => {
    const { macOf, newSalt } = await import('../../src/engine/value-mac.js');
    const v = testSecret();
    writeFileSync(cfgPath(), JSON.stringify({ mcpServers: { github: { command: 'x', env: { GITHUB_TOKEN: v } } } }, null, 2));
    const salt = newSalt();
    mkdirSync(join(t.home, '.claude', 'keyring-inject'), { recursive: true });
    writeFileSync(
      join(t.home, '.claude', 'keyring-inject', 'state.json'),
      JSON.stringify({ version: 1, sessions: [], injected: [{ key: 'gh', server: 'github', env: 'GITHUB_TOKEN', scope: 'user', file: cfgPath(), createdEnv: false, salt, mac: macOf(v, salt) }] }),
    );
    const r = JSON.parse((await cli(importCommand, ['--json'])).stdout);
    expect(r.items).toEqual([expect.objectContaining({ name: 'GITHUB_TOKEN', action: 'skip', reason: 'injected by keyring-inject for a running session' })]);
  });
});
