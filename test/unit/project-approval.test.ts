// Approval before use (issue 14 item 2, issue 15 item 2) and the proposal's shape (issue 15
// item 1): in-process with the memory keyring, real files, real children, stand-in vendor CLIs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import { allow } from '../../src/cli/commands/allow.js';
import { run } from '../../src/cli/commands/run.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { status } from '../../src/cli/commands/status.js';
import { CLI } from '../helpers/spawn-cli.js';
import type { Command } from '../../src/cli/command.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { approvedProjectFileFor, loadApprovedProjectFile } from '../../src/sources/approval.js';
import { makeContext } from '../helpers/context.js';
import { hashingChild } from '../helpers/env-child.js';
import { expectNoLeak, filesUnder } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { argvKey, writeStub } from '../helpers/vendor-stub.js';
import { runCommand } from '../../src/cli/run-command.js';
import { readAudit } from '../../src/core/audit-trail.js';
import { claudePaths } from '../../src/core/paths.js';

let t: TempHome;
let backend: MemoryBackend;
let outputs: string[];
let proj: string;
let bin: string;
const projFile = () => join(proj, '.claude', 'secrets.json');
const out = () => join(t.home, 'out.json');
const dataDir = () => join(t.home, '.claude', 'keyring-inject');
const sha = (v: string) => createHash('sha256').update(v).digest('hex');

const PROPOSAL = {
  DATABASE_URL: { source: 'built-in', id: 'db-url-prod' },
  OPENAI_API_KEY: { source: 'doppler', id: 'OPENAI_API_KEY', metadata: { project: 'my-app', config: 'dev' } },
  STRIPE_SK: { source: '1password', id: 'op://Vault/Stripe/secret-key', metadata: { account: 'my-team.1password.com' } },
};

beforeEach(() => {
  t = makeTempHome();
  backend = new MemoryBackend();
  outputs = [];
  proj = join(t.home, 'clone');
  bin = join(t.home, 'bin');
  mkdirSync(join(proj, '.git'), { recursive: true });
  mkdirSync(join(proj, '.claude'));
  mkdirSync(bin);
});
afterEach(() => t.cleanup());

async function cli(cmd: Command, argv: string[], stdin?: string, cwd = proj, extraEnv: Record<string, string> = {}) {
  const env = { ...t.env, OUT: out(), PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, KEYRING_INJECT_CLI: CLI, ...extraEnv };
  const c = makeContext(env, cwd, stdin, backend);
  const code = await runCommand(cmd, argv, c.ctx);
  outputs.push(c.stdout(), c.stderr());
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

const child = (...vars: string[]) => hashingChild(t.home, vars);
const got = () => JSON.parse(readFileSync(out(), 'utf8')) as Record<string, string | null>;

describe('approval before use', () => {
  it('an unapproved file is refused with what it would do; allow approves it; a change is refused with the change; revoke', async () => {
    const v = testSecret('proj');
    await backend.set('shop.token', v);
    writeFileSync(projFile(), `${JSON.stringify({ SHOP: { source: 'keyring', id: 'shop.token', targets: [{ server: 'shop', env: 'SHOP_TOKEN' }] } }, null, 2)}\n`);
    const repoBefore = filesUnder(proj).sort();

    const refused = await cli(run, ['--', process.execPath, child('SHOP_TOKEN')]);
    expect(refused.code).toBe(1);
    expect(existsSync(out())).toBe(false);
    const lines = refused.stderr.trim().split('\n');
    expect(lines[0]).toBe(`keyring-inject: the project file ${projFile()} is not approved on this machine: read what it would do (below), then run 'keyring-inject allow ${proj}'`);
    expect(lines.slice(1)).toEqual(['  SHOP <- keyring shop.token -> shop.env.SHOP_TOKEN']);
    expect(existsSync(join(dataDir(), 'approvals.json'))).toBe(false);

    const allowed = await cli(allow, []);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toBe(`approved: ${projFile()} (this exact content, on this machine)\n  SHOP <- keyring shop.token -> shop.env.SHOP_TOKEN\n`);
    expect(statSync(join(dataDir(), 'approvals.json')).mode & 0o777).toBe(0o600);
    expect((await cli(allow, [])).stdout).toContain('already approved:');
    const ran = await cli(run, ['--', process.execPath, child('SHOP_TOKEN')], undefined, join(proj));
    expect(ran.code, ran.stderr).toBe(0);
    expect(got()).toEqual({ SHOP_TOKEN: sha(v) });
    rmSync(out());

    // A changed target: refused, and the change is shown in names, sources and targets.
    writeFileSync(projFile(), JSON.stringify({ SHOP: { source: 'keyring', id: 'shop.token', targets: [{ server: 'shop', env: 'OTHER' }] }, NEW: { source: 'built-in', id: 'shop.new' } }));
    const changed = await cli(run, ['--', process.execPath, child('SHOP_TOKEN')]);
    expect(changed.code).toBe(1);
    expect(existsSync(out())).toBe(false);
    expect(changed.stderr.trim().split('\n')).toEqual([
      `keyring-inject: the project file ${projFile()} changed since you approved it: read the change (below), then run 'keyring-inject allow ${proj}'`,
      "  + NEW <- built-in shop.new -> $NEW for 'keyring-inject run'",
      '  - SHOP <- keyring shop.token -> shop.env.SHOP_TOKEN',
      '  + SHOP <- keyring shop.token -> shop.env.OTHER',
    ]);
    // The API other commands use says the same.
    await expect(loadApprovedProjectFile(makeContext(t.env, proj).ctx.paths, join(proj, '.claude'))).rejects.toThrow(/changed since you approved it/);
    const again = await cli(allow, []);
    expect(again.stdout).toContain('changes since your last approval:\n  + NEW');
    expect((await loadApprovedProjectFile(makeContext(t.env, proj).ctx.paths, proj))?.entries.size).toBe(2);

    // Formatting only: still a change of bytes, and it says so.
    writeFileSync(projFile(), `${JSON.stringify(JSON.parse(readFileSync(projFile(), 'utf8')), null, 4)}\n`);
    const fmt = await cli(run, ['--', process.execPath, child('SHOP_TOKEN')]);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toContain('(formatting only: the same names, sources and targets)');

    expect((await cli(allow, [])).code).toBe(0);
    expect((await cli(allow, ['--revoke'])).stdout).toContain('revoked the approval');
    expect((await cli(run, ['--', process.execPath, child('SHOP_TOKEN')])).stderr).toContain('is not approved on this machine');
    // --no-project still runs without the file.
    expect((await cli(run, ['--no-project', '--', process.execPath, child('SHOP_TOKEN')])).stderr).toContain('no keys with environment variables are registered');

    // Nothing of ours went into the repository.
    writeFileSync(projFile(), `${JSON.stringify({ SHOP: { source: 'keyring', id: 'shop.token', targets: [{ server: 'shop', env: 'SHOP_TOKEN' }] } }, null, 2)}\n`);
    expect(filesUnder(proj).sort()).toEqual(repoBefore);
    expectNoLeak(v, outputs, [t.home]);
  });

  it("records the Vault address of the allow (never the file's) and keeps it through later approvals that have none", async () => {
    const paths = makeContext(t.env, proj).ctx.paths;
    const approved = async () => (await loadApprovedProjectFile(paths, proj))?.vault;
    const allowWith = (env: Record<string, string>) => cli(allow, ['--json'], undefined, proj, env);
    writeFileSync(projFile(), JSON.stringify({ GH: { source: 'vault', id: 'secret/gh#token' } }));
    const first = await allowWith({ VAULT_ADDR: 'https://vault.example.com:8200/', VAULT_CACERT: '/etc/ssl/vault-ca.pem' });
    expect(JSON.parse(first.stdout)).toMatchObject({ approved: true, vault: 'https://vault.example.com:8200', warnings: [] });
    expect(await approved()).toEqual({ addr: 'https://vault.example.com:8200', cacert: '/etc/ssl/vault-ca.pem' });
    // A pull changes the file; approving it where VAULT_ADDR is not set keeps the address.
    writeFileSync(projFile(), JSON.stringify({ GH: { source: 'vault', id: 'secret/gh#token' }, DB: { source: 'built-in', id: 'db' } }));
    expect(JSON.parse((await allowWith({})).stdout)).toMatchObject({ vault: 'https://vault.example.com:8200' });
    // add --project re-approves its own change with the same address.
    expect((await cli(add, ['C', '--project', proj, '--id', 'shop.c', '--stdin'], 'value-c')).code).toBe(0);
    expect(await approved()).toEqual({ addr: 'https://vault.example.com:8200', cacert: '/etc/ssl/vault-ca.pem' });
    // allow where VAULT_ADDR is another address records that one.
    expect(JSON.parse((await allowWith({ VAULT_ADDR: 'https://new.example' })).stdout)).toMatchObject({ vault: 'https://new.example' });
    expect(await approved()).toEqual({ addr: 'https://new.example' });
    // A file without vault entries records none.
    writeFileSync(projFile(), JSON.stringify({ DB: { source: 'built-in', id: 'db' } }));
    expect(JSON.parse((await allowWith({ VAULT_ADDR: 'https://new.example' })).stdout).vault).toBeUndefined();
  });

  it('add --project keeps an approved file approved, and an unapproved one unapproved', async () => {
    const created = await cli(add, ['A', '--project', proj, '--id', 'shop.a', '--server', 's', '--env', 'A_KEY', '--stdin'], 'value-a');
    expect(created.code, created.stderr).toBe(0);
    expect((await cli(run, ['--', process.execPath, child('A_KEY')])).code).toBe(0);
    // Someone else's edit arrives (a pull): unapproved. Adding to it does not approve it.
    writeFileSync(projFile(), JSON.stringify({ ...JSON.parse(readFileSync(projFile(), 'utf8')), B: { source: 'built-in', id: 'shop.b' } }));
    expect((await cli(add, ['C', '--project', proj, '--id', 'shop.c', '--server', 's', '--env', 'C_KEY', '--stdin'], 'value-c')).code).toBe(0);
    expect((await cli(run, ['--', process.execPath, child('A_KEY')])).stderr).toContain('changed since you approved it');
    // Storing a missing value does not rewrite the file (its bytes, hence its approval, stay).
    expect((await cli(allow, [])).code).toBe(0);
    const bytes = readFileSync(projFile());
    expect((await cli(add, ['B', '--project', proj, '--stdin'], 'value-b')).code).toBe(0);
    expect(readFileSync(projFile()).equals(bytes)).toBe(true);
    expect(JSON.parse(bytes.toString()).B).toEqual({ source: 'built-in', id: 'shop.b' });
    expect((await cli(run, ['--', process.execPath, child('A_KEY', 'B', 'C_KEY')])).code).toBe(0);
    expect(got()).toEqual({ A_KEY: sha('value-a'), B: sha('value-b'), C_KEY: sha('value-c') });
  });
});

describe('the wrapper (exec) of a project server', () => {
  it('gets the approved file when it names the server; an unapproved file stops only the servers it names', async () => {
    const paths = makeContext(t.env, proj).ctx.paths;
    writeFileSync(projFile(), JSON.stringify({ A: { source: 'built-in', id: 'a', targets: [{ server: 'db', env: 'A' }] } }));
    expect(await approvedProjectFileFor(paths, proj, 'other')).toBeUndefined();
    await expect(approvedProjectFileFor(paths, proj, 'db')).rejects.toThrow(/is not approved on this machine/);
    // A damaged approvals store does not stop a server the file does not name either.
    mkdirSync(dataDir(), { recursive: true });
    writeFileSync(join(dataDir(), 'approvals.json'), 'nope');
    expect(await approvedProjectFileFor(paths, proj, 'other')).toBeUndefined();
    await expect(approvedProjectFileFor(paths, proj, 'db')).rejects.toThrow(/approvals.json is damaged: move it away/);
    rmSync(join(dataDir(), 'approvals.json'));
    expect((await cli(allow, [])).code).toBe(0);
    expect((await approvedProjectFileFor(paths, proj, 'db'))?.entries.get('A')?.targets).toEqual([{ server: 'db', env: 'A' }]);
  });
});

describe("the proposal's shape, verbatim", () => {
  it('the three-entry example works as is: each NAME is the variable run sets; built-in is the keyring', async () => {
    const db = testSecret('db');
    const openai = testSecret('openai');
    const stripe = testSecret('stripe');
    await backend.set('db-url-prod', db);
    const doppler = writeStub(bin, 'doppler', { [argvKey('secrets', 'get', 'OPENAI_API_KEY', '--plain', '--project', 'my-app', '--config', 'dev')]: { stdout: `${openai}\n` } });
    const op = writeStub(bin, 'op', { [argvKey('read', 'op://Vault/Stripe/secret-key', '--account', 'my-team.1password.com')]: { stdout: `${stripe}\n` } });
    writeFileSync(projFile(), JSON.stringify(PROPOSAL, null, 2));
    const approved = await cli(allow, []);
    expect(approved.stdout).toContain('DATABASE_URL <- built-in db-url-prod -> $DATABASE_URL');
    // A variable not named like a secret is shown prominently (a *_URL can point a program elsewhere).
    expect(approved.stdout).toMatch(/^! DATABASE_URL: not named like a secret/m);
    expect(approved.stdout).not.toMatch(/^!.*(OPENAI_API_KEY|STRIPE_SK)/m);
    expect(readAudit(claudePaths(t.env)).map((l) => [l.event, l.keys])).toEqual([['approval', ['DATABASE_URL', 'OPENAI_API_KEY', 'STRIPE_SK']]]);
    const r = await cli(run, ['--', process.execPath, child('DATABASE_URL', 'OPENAI_API_KEY', 'STRIPE_SK')]);
    expect(r.code, r.stderr).toBe(0);
    expect(got()).toEqual({ DATABASE_URL: sha(db), OPENAI_API_KEY: sha(openai), STRIPE_SK: sha(stripe) });
    expect(doppler.calls()).toHaveLength(1);
    expect(op.calls()).toHaveLength(1);
    for (const v of [db, openai, stripe]) expectNoLeak(v, outputs, [join(t.home, '.claude'), proj]);
    // The stand-ins' call logs live in bin/ (they log their environment by design); nothing else
    // of ours does but the approval and the audit trail (names only: checked above with the rest).
    expect(readdirSync(dataDir()).sort()).toEqual(['approvals.json', 'audit.jsonl']);
  });
});

describe('status and doctor: per project server, where its key comes from and whether the file is approved', () => {
  it('before and after allow; .mcp.json and local-scope servers; a server the file names that does not exist', async () => {
    const mcp = `${JSON.stringify({ mcpServers: { db: { command: 'db-mcp', args: ['--ro'] } } }, null, 2)}\n`;
    writeFileSync(join(proj, '.mcp.json'), mcp);
    writeFileSync(join(t.home, '.claude.json'), `${JSON.stringify({ projects: { [proj]: { mcpServers: { cache: { type: 'stdio', command: 'cache-mcp' } } } } }, null, 2)}\n`);
    writeFileSync(
      projFile(),
      JSON.stringify({
        DATABASE_URL: { source: 'built-in', id: 'db-url-prod', targets: [{ server: 'db', env: 'DATABASE_URL' }] },
        CACHE: {
          source: 'doppler',
          id: 'CACHE',
          targets: [
            { server: 'cache', env: 'CACHE_TOKEN' },
            { server: 'ghost', env: 'X' },
          ],
        },
      }),
    );
    const before = await cli(doctor, ['--json']);
    expect(before.code).toBe(3);
    const b = JSON.parse(before.stdout).project;
    expect(b).toMatchObject({ file: projFile(), approval: 'not approved' });
    expect(b.servers.map((x: { server: string; where: string; wrapped: boolean }) => [x.server, x.where, x.wrapped])).toEqual([
      ['db', 'mcp-json', false],
      ['cache', 'local', false],
      ['ghost', 'none', false],
    ]);
    expect(b.problems[0]).toContain(`is not approved: nothing uses it until you run 'keyring-inject allow ${proj}'`);

    const allowed = await cli(allow, []);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('MCP server db reads its keys at spawn (a local-scope copy of');
    expect(allowed.stdout).toContain('MCP server cache reads its keys at spawn\n');
    expect(allowed.stderr).toContain('maps keys to MCP server "ghost", which is neither in');
    expect(readFileSync(join(proj, '.mcp.json'), 'utf8')).toBe(mcp);

    const st = await cli(status, []);
    expect(st.stdout).toContain(`project file: ${projFile()} (approved)\n`);
    expect(st.stdout).toContain('  db [keys at spawn, a local copy of .mcp.json]: DATABASE_URL <- DATABASE_URL (built-in db-url-prod)\n');
    expect(st.stdout).toContain('  cache [keys at spawn]: CACHE_TOKEN <- CACHE (doppler CACHE)\n');
    expect(st.stdout).toContain('  ghost [not configured]: X <- CACHE (doppler CACHE)\n');
    const doc = await cli(doctor, []);
    expect(doc.code).toBe(3);
    expect(doc.stdout).toContain('  ! MCP server ghost (mapped in');
    expect(JSON.parse((await cli(status, ['--json'])).stdout).project.approval).toBe('approved');

    writeFileSync(projFile(), JSON.stringify({ DATABASE_URL: { source: 'built-in', id: 'db-url-prod', targets: [{ server: 'db', env: 'DATABASE_URL' }] } }));
    expect((await cli(status, [])).stdout).toContain(`project file: ${projFile()} (changed)`);
    expect((await cli(allow, [])).code).toBe(0);
    const ok = await cli(doctor, []);
    expect(ok.stdout).toContain('project file');
    expect(JSON.parse((await cli(doctor, ['--json'])).stdout).project.problems).toEqual([]);
    // A broken file: one line, named.
    writeFileSync(projFile(), '{"DATABASE_URL": ');
    expect(JSON.parse((await cli(status, ['--json'])).stdout).project).toMatchObject({ approval: 'invalid', problems: [expect.stringContaining('is not valid: it is not valid JSON')] });
  });
});
