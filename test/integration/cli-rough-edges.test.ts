// Rough edges a new user met, each as the user meets it: the CLI spawned as installed, a real
// gnome-keyring where keys are involved.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runCli } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

describe('CLI rough edges', () => {
  let t: TempHome;
  beforeEach(() => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
  });
  afterEach(() => t.cleanup());
  const cli = (args: string[], input?: string, cwd?: string) => runCli(args, { env: t.env, ...(cwd ? { cwd } : {}), ...(input !== undefined ? { input } : {}) });

  it("'allow DIR' takes the directory its help shows and its refusal text names", async () => {
    const project = join(t.home, 'proj');
    mkdirSync(join(project, '.git'), { recursive: true });
    mkdirSync(join(project, '.claude'));
    writeFileSync(join(project, '.claude', 'secrets.json'), JSON.stringify({ CRM_API_KEY: { source: 'built-in', id: 'crm-api-key' } }));
    const r = await cli(['allow', project, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ approved: true, root: project });
    const two = await cli(['allow', project, project]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/unexpected extra argument/);
  });

  it('run from a directory that was deleted: one line naming the fix where the command needs it, no stack trace anywhere', () => {
    const gone = join(t.home, 'gone');
    // The shell cds into it, the directory goes, then the command runs there.
    const inGone = (args: string) => spawnSync('sh', ['-c', `mkdir ${gone} && cd ${gone} && rmdir ${gone} && exec "${process.execPath}" "${CLI}" ${args}`], { env: t.env, encoding: 'utf8' });
    const r = inGone('doctor');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^keyring-inject: the current directory no longer exists.*cd /);
    expect(r.status).toBe(1);
    for (const args of ['--version', 'list']) {
      const ok = inGone(args);
      expect(ok.status, `${args}: ${ok.stderr}`).toBe(0);
      expect(ok.stderr).not.toMatch(/uv_cwd|at .*\(node:/);
    }
  });

  it("a misspelt command gets 'did you mean'; -v prints the version", async () => {
    const r = await cli(['stup']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command stup: did you mean 'keyring-inject setup'\?/);
    const v = await cli(['-v']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version);
  });

  it.runIf(HAVE_SECRET_SERVICE)('rotate / remove of a name that is not there say the name (a name is not a secret)', async () => {
    for (const cmd of ['rotate', 'remove']) {
      const r = await cli([cmd, 'nosuch', ...(cmd === 'rotate' ? ['--stdin'] : [])], 'x');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no key named nosuch/);
      expect(r.stderr).not.toContain('not repeated here');
    }
  });

  it('without a D-Bus session, setup says so in one short line, then the list of choices', async () => {
    writeFileSync(join(t.home, '.claude.json'), '{}');
    const env = { ...t.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const r = await runCli(['setup', '--yes'], { env: { ...env, XDG_RUNTIME_DIR: join(t.home, 'no-runtime') } });
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^The secret store cannot be reached: .*D-Bus/);
    expect(lines[0]!.length).toBeLessThan(160);
    // The three choices come once, as the list.
    expect(r.stderr.split('KEYRING_INJECT_BACKEND=keyutils').length - 1).toBe(1);
    expect(r.stderr.split('dbus-run-session -- bash').length - 1).toBe(1);
  });
});

describe.runIf(HAVE_SECRET_SERVICE)('uninstall --all keeps the keys and says what that means', () => {
  let t: TempHome;
  let service: string;
  beforeEach(() => {
    service = testService();
    t = makeTempHome({ KEYRING_INJECT_SERVICE: service });
    writeFileSync(
      join(t.home, '.claude.json'),
      JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp', env: {} }, db: { type: 'stdio', command: 'db-mcp', env: {} }, fs: { command: 'fs-mcp' } } }),
    );
  });
  afterEach(() => t.cleanup());
  const cli = (args: string[], input?: string) => runCli(args, { env: t.env, ...(input !== undefined ? { input } : {}) });

  it('per server: it starts without its key now; list still knows the kept keys; a later --purge-keys deletes them', async () => {
    expect((await cli(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--mode', 'wrap', '--stdin'], testSecret('gh'))).code).toBe(0);
    expect((await cli(['add', 'dburl', '--server', 'db', '--env', 'DATABASE_URL', '--stdin'], testSecret('db'))).code).toBe(0);
    const un = await cli(['uninstall', '--all']);
    expect(un.code, un.stderr).toBe(0);
    expect(un.stdout).toMatch(/github \(user\) starts without its key now: GITHUB_TOKEN \(kept in the keyring as gh\)/);
    expect(un.stdout).toMatch(/db \(user\) starts without its key now: DATABASE_URL \(kept in the keyring as dburl\)/);
    expect(un.stdout).not.toMatch(/fs \(user\) starts without/);
    expect(un.stdout).toMatch(/keyring-inject uninstall --all --purge-keys/);

    const list = await cli(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toMatch(/^no keys yet/);
    expect(list.stdout).toMatch(/dburl, gh/);

    const purge = await cli(['uninstall', '--all', '--purge-keys']);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toMatch(/deleted from the keyring: dburl, gh/);
    expect(secretToolLookup(service, 'gh')).toBeUndefined();
    expect(secretToolLookup(service, 'dburl')).toBeUndefined();
    // The data dir was deleted by the first uninstall: the second does not claim to delete it.
    expect(purge.stdout).not.toMatch(/deleted .*keyring-inject \(runtime, registry, state\)/);
  });

  it('does not report deleting a data directory that did not exist', async () => {
    rmSync(join(t.home, '.claude', 'keyring-inject'), { recursive: true, force: true });
    const un = await cli(['uninstall', '--all']);
    expect(un.code, un.stderr).toBe(0);
    expect(un.stdout).not.toMatch(/\(runtime, registry, state\)/);
    execFileSync('true');
  });
});
