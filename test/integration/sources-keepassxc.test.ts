// The keepassxc source for real: databases made with keepassxc-cli (a password database and a
// key-file-only database), entries written with `keepassxc-cli add -p`. The database password is
// asked once by `add` (here: --stdin), kept in the keyring under an item no reference can name,
// and reaches keepassxc-cli on stdin only. Then the resolver, `run` and a project file read them.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import { run } from '../../src/cli/commands/run.js';
import type { Command } from '../../src/cli/command.js';
import { runCommand } from '../../src/cli/run-command.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { refProblem } from '../../src/registry/source-ref.js';
import { databasePasswordItem } from '../../src/sources/keepassxc.js';
import { resolveRequests, sourceContext, sourceFor } from '../../src/sources/resolver.js';
import { makeContext } from '../helpers/context.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { CLI, runCli } from '../helpers/spawn-cli.js';
import { HAVE_TMUX, terminal } from '../helpers/tmux.js';
import { writeStub } from '../helpers/vendor-stub.js';

const HAVE_KPXC = spawnSync('keepassxc-cli', ['--version'], { stdio: 'ignore' }).status === 0;
if (process.env.CI && !HAVE_KPXC) throw new Error("keepassxc-cli missing in CI: run 'bash scripts/install-system-deps.sh'");

const sha = (v: string) => createHash('sha256').update(v).digest('hex');
let dir: string;
let env: Record<string, string>;
const dbPassword = testSecret('dbpw');
const values = { token: testSecret('kpxc'), keyed: testSecret('keyed') };

function kp(args: string[], input: string): void {
  execFileSync('keepassxc-cli', args, { env, input, stdio: ['pipe', 'ignore', 'pipe'] });
}

beforeAll(() => {
  if (!HAVE_KPXC) return;
  dir = mkdtempSync(join(tmpdir(), 'ki-kpxc-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };
  // Password form.
  kp(['db-create', '-q', '-p', '-t', '100', join(dir, 'team.kdbx')], `${dbPassword}\n${dbPassword}\n`);
  kp(['mkdir', '-q', join(dir, 'team.kdbx'), 'Dev'], `${dbPassword}\n`);
  kp(['add', '-q', '-p', join(dir, 'team.kdbx'), 'Dev/GitHub token'], `${dbPassword}\n${values.token}\n`);
  // Key-file form: no password at all.
  writeFileSync(join(dir, 'team.key'), 'a key file of the keepassxc test, any bytes will do\n');
  kp(['db-create', '-q', '--set-key-file', join(dir, 'team.key'), '-t', '100', join(dir, 'keyed.kdbx')], '');
  kp(['add', '-q', '--no-password', '-k', join(dir, 'team.key'), '-p', join(dir, 'keyed.kdbx'), 'api'], `${values.keyed}\n`);
  writeFileSync(join(home, '.claude.json'), `${JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'node', args: ['s.js'] } } }, null, 2)}\n`);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('keepassxc references: checked before any process starts', () => {
  it('an entry that starts with "-", a missing database, a path with a control character are refused', () => {
    expect(refProblem({ source: 'keepassxc', id: '--help', metadata: { database: '/x.kdbx' } })).toContain('the keepassxc id is not valid');
    expect(refProblem({ source: 'keepassxc', id: 'Dev/x' })).toBe('the keepassxc reference needs metadata.database (--meta database=...)');
    expect(refProblem({ source: 'keepassxc', id: 'Dev/x', metadata: { database: '--key-file=/etc/shadow' } })).toContain('metadata.database of the keepassxc reference is not valid');
    expect(refProblem({ source: 'keepassxc', id: 'Dev/x', metadata: { database: 'a.kdbx', password: 'x' } })).toBe('keepassxc takes no metadata by the key given (it takes: database, keyFile)');
  });
});

describe.skipIf(!HAVE_KPXC)('keepassxc (real keepassxc-cli)', () => {
  it('password form: without the password in the keyring it fails with the fix; with it, the entry password is read', async () => {
    const backend = new MemoryBackend();
    const ref = { source: 'keepassxc' as const, id: 'Dev/GitHub token', metadata: { database: join(dir, 'team.kdbx') } };
    const none = await resolveRequests([{ name: 'gh', ref }], sourceContext(backend, env));
    expect(none.failed[0]?.reason).toBe(
      `the password of the KeePassXC database ${join(dir, 'team.kdbx')} is not in the keyring: run the 'keyring-inject add ... --source keepassxc' command of this key again on a terminal (it asks once, hidden)`,
    );
    await backend.set(databasePasswordItem(join(dir, 'team.kdbx')), 'wrong password');
    const locked = await resolveRequests([{ name: 'gh', ref }], sourceContext(backend, env));
    expect(locked.failed[0]?.reason).toContain(`the KeePassXC database ${join(dir, 'team.kdbx')} did not open with the password kept in the keyring`);
    await backend.set(databasePasswordItem(join(dir, 'team.kdbx')), dbPassword);
    const res = await resolveRequests(
      [
        { name: 'gh', ref },
        { name: 'gh2', ref: { ...ref, id: '/Dev/GitHub token' } },
        { name: 'nope', ref: { ...ref, id: 'Dev/nope' } },
      ],
      sourceContext(backend, env),
    );
    expect(Object.fromEntries(res.values)).toEqual({ gh: values.token, gh2: values.token });
    expect(res.missing[0]?.reason).toBe(`the KeePassXC database ${join(dir, 'team.kdbx')} has no entry Dev/nope: check the entry path (Group/Title)`);
    expect(JSON.stringify([none, locked, res.missing])).not.toContain(dbPassword);
  });

  it('key-file form: opened with -k FILE --no-password, nothing asked, nothing kept', async () => {
    const backend = new MemoryBackend();
    const res = await resolveRequests(
      [{ name: 'k', ref: { source: 'keepassxc', id: 'api', metadata: { database: join(dir, 'keyed.kdbx'), keyFile: join(dir, 'team.key') } } }],
      sourceContext(backend, env),
    );
    expect(res.values.get('k')).toBe(values.keyed);
    const noKey = await resolveRequests([{ name: 'k', ref: { source: 'keepassxc', id: 'api', metadata: { database: join(dir, 'keyed.kdbx') } } }], sourceContext(backend, env));
    expect(noKey.failed[0]?.reason).toContain('is not in the keyring');
    expect(await backend.list()).toEqual([]);
  });

  it('add asks for the database password once (--stdin here), checks it, keeps it; run then reads the entry without asking', async () => {
    const home = env.HOME as string;
    const backend = new MemoryBackend();
    const outputs: string[] = [];
    const cli = async (cmd: Command, argv: string[], stdin?: string, cwd = home) => {
      const c = makeContext({ ...env, OUT: join(dir, 'out.json') }, cwd, stdin, backend);
      const code = await runCommand(cmd, argv, c.ctx);
      outputs.push(c.stdout(), c.stderr());
      return { code, stdout: c.stdout(), stderr: c.stderr() };
    };
    const argv = ['gh', '--source', 'keepassxc', '--id', 'Dev/GitHub token', '--meta', `database=${join(dir, 'team.kdbx')}`, '--server', 'github', '--env', 'GITHUB_TOKEN'];
    const noTty = await cli(add, argv);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toContain('needs its password once: run this command on a terminal (or pipe the password in with --stdin)');
    const wrong = await cli(add, [...argv, '--stdin'], 'not the password\n');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('did not open with that password: nothing stored');
    expect(await backend.list()).toEqual([]);
    const ok = await cli(add, [...argv, '--stdin'], `${dbPassword}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await backend.list()).toEqual([databasePasswordItem(join(dir, 'team.kdbx'))]);
    // Again: the stored password opens it, nothing is asked.
    expect((await cli(add, argv)).code).toBe(0);

    const child = join(dir, 'child.cjs');
    writeFileSync(child, `require('fs').writeFileSync(process.env.OUT, JSON.stringify({ A: require('crypto').createHash('sha256').update(process.env.GITHUB_TOKEN || '').digest('hex') }));`);
    const r = await cli(run, ['--', process.execPath, child]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))).toEqual({ A: sha(values.token) });
    expectNoLeak(values.token, outputs, [home]);
    expectNoLeak(dbPassword, outputs, [home]);
  });

  it('a project file: the database is relative to the project and may not leave it (nor through a link)', async () => {
    const proj = join(dir, 'proj');
    mkdirSync(join(proj, '.git'), { recursive: true });
    mkdirSync(join(proj, 'secrets'));
    execFileSync('cp', [join(dir, 'keyed.kdbx'), join(proj, 'secrets', 'team.kdbx')]);
    execFileSync('cp', [join(dir, 'team.key'), join(proj, 'secrets', 'team.key')]);
    symlinkSync(join(dir, 'keyed.kdbx'), join(proj, 'link.kdbx'));
    const ctx = sourceContext(new MemoryBackend(), env);
    const inside = { source: 'keepassxc' as const, id: 'api', metadata: { database: 'secrets/team.kdbx', keyFile: 'secrets/team.key' }, root: proj };
    const res = await resolveRequests(
      [
        { name: 'in', ref: inside },
        { name: 'up', ref: { ...inside, metadata: { database: '../keyed.kdbx', keyFile: 'secrets/team.key' } } },
        { name: 'abs', ref: { ...inside, metadata: { database: join(dir, 'keyed.kdbx'), keyFile: 'secrets/team.key' } } },
        { name: 'link', ref: { ...inside, metadata: { database: 'link.kdbx', keyFile: 'secrets/team.key' } } },
      ],
      ctx,
    );
    expect(res.values.get('in')).toBe(values.keyed);
    expect(Object.fromEntries(res.failed.map((f) => [f.request.name, f.reason]))).toEqual({
      up: `metadata.database leaves the project root ${proj}: give a path inside the project`,
      abs: `metadata.database must be relative to the project root ${proj}: an absolute path is refused in a project file`,
      link: `the KeePassXC database ${join(proj, 'link.kdbx')} is a link that leaves the project root ${proj}: refused`,
    });
  });

  it('missing tool: the fix names the package; a hanging keepassxc-cli is stopped at the deadline', async () => {
    const ref = { source: 'keepassxc' as const, id: 'api', metadata: { database: join(dir, 'keyed.kdbx'), keyFile: join(dir, 'team.key') } };
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const a = await (await sourceFor('keepassxc')).available(sourceContext(new MemoryBackend(), { ...env, PATH: bin }), ref);
    expect(a).toEqual({
      ok: false,
      reason:
        "KeePassXC's command line (keepassxc-cli) is not installed or not on PATH: install it with 'sudo apt-get install keepassxc' (it ships keepassxc-cli) or from https://keepassxc.org/download/",
    });
    writeStub(bin, 'keepassxc-cli', {
      [JSON.stringify(['show', '-a', 'Password', '-k', join(dir, 'team.key'), '--no-password', '--', join(dir, 'keyed.kdbx'), 'api'])]: { stdout: 'late', sleepMs: 20_000 },
    });
    const t0 = performance.now();
    const r = await resolveRequests([{ name: 'k', ref }], sourceContext(new MemoryBackend(), { ...env, PATH: `${bin}:${env.PATH}`, KEYRING_INJECT_SOURCE_TIMEOUT_MS: '400' }));
    expect(r.failed[0]?.reason).toBe('`keepassxc-cli show` did not finish within 400 ms (stopped): check that it can run without a prompt, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS');
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe.runIf(HAVE_KPXC && HAVE_SECRET_SERVICE && (HAVE_TMUX || process.env.CI))('keepassxc on a real terminal and the real keyring', () => {
  it('add asks once, hidden, keeps the password in the OS keyring; run then opens the database without asking', async () => {
    const service = testService();
    const home = join(dir, 'tty-home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.claude.json'), `${JSON.stringify({ mcpServers: { github: { command: 'x' } } })}\n`);
    const tenv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      TERM: 'xterm',
      KEYRING_INJECT_SERVICE: service,
      DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '',
    };
    const term = terminal(join(home, 'tmux.sock'), `kpxc${process.pid}`, tenv);
    try {
      const envFlags = Object.entries(tenv)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ');
      const db = join(dir, 'team.kdbx');
      term.start(`env -i ${envFlags} ${process.execPath} ${CLI} add gh --source keepassxc --id 'Dev/GitHub token' --meta database=${db} --server github --env GITHUB_TOKEN; echo "EXIT=$?"; sleep 30`);
      await term.waitFor('(input hidden; kept in the OS keyring):');
      term.keys([dbPassword], true);
      term.keys(['Enter']);
      const final = await term.waitFor('EXIT=');
      expect(final).toContain('EXIT=0');
      expect(final).toContain(`kept the password of ${db} in the keyring`);
      expect(final).not.toContain(dbPassword.slice(0, 12));
      expect(secretToolLookup(service, databasePasswordItem(db))).toBe(dbPassword);
      const child = join(home, 'child.cjs');
      writeFileSync(child, `process.stdout.write(require('crypto').createHash('sha256').update(process.env.GITHUB_TOKEN || '').digest('hex'))`);
      const r = await runCli(['run', '--', process.execPath, child], { env: tenv, cwd: home });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(sha(values.token));
      expectNoLeak(values.token, [final, r.stdout, r.stderr], [home]);
      expectNoLeak(dbPassword, [final, r.stdout, r.stderr], [home]);
    } finally {
      term.kill();
      spawnSync('secret-tool', ['clear', 'service', service, 'username', databasePasswordItem(join(dir, 'team.kdbx'))], { stdio: 'ignore' });
    }
  });
});
