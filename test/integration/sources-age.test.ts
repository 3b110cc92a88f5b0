// The age source for real: identities made with age-keygen, a dotenv file encrypted with age.
// The resolver decrypts it in memory; `add NAME --source age` creates and updates it (the value
// only ever in pipes: no plaintext file appears, before or after); a project file may not point
// outside the project; bad input fails with the fix.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import type { Command } from '../../src/cli/command.js';
import { runCommand } from '../../src/cli/run-command.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { refProblem } from '../../src/registry/source-ref.js';
import { withVariable } from '../../src/sources/age.js';
import { resolveRequests, sourceContext, sourceFor } from '../../src/sources/resolver.js';
import { makeContext } from '../helpers/context.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { writeStub } from '../helpers/vendor-stub.js';

const HAVE_AGE = spawnSync('age', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('age-keygen', ['--version'], { stdio: 'ignore' }).status === 0;
if (process.env.CI && !HAVE_AGE) throw new Error("age missing in CI: run 'bash scripts/install-system-deps.sh'");

let dir: string;
let home: string;
let env: Record<string, string>;
const values = { a: testSecret('age-a'), b: `two words "quoted" $HOME\nsecond line ${testSecret('age-b')}`, c: testSecret('age-c') };

function keygen(file: string): string {
  execFileSync('age-keygen', ['-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  return execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
}

beforeAll(() => {
  if (!HAVE_AGE) return;
  dir = mkdtempSync(join(tmpdir(), 'ki-age-'));
  home = join(dir, 'home');
  mkdirSync(join(home, '.config', 'age'), { recursive: true });
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };
  const mine = keygen(join(home, '.config', 'age', 'keys.txt'));
  const plain = `# team secrets\nA_TOKEN=${values.a}\nexport B_TOKEN="${values.b.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"\n`;
  execFileSync('age', ['--encrypt', '--armor', '-r', mine, '-o', join(dir, 'secrets.env.age')], { input: plain });
  writeFileSync(join(home, '.claude.json'), `${JSON.stringify({ mcpServers: { api: { type: 'stdio', command: 'node', args: ['s.js'] } } }, null, 2)}\n`);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('age references and the dotenv edit', () => {
  it('ids are variable names (never an option), metadata.file is required', () => {
    expect(refProblem({ source: 'age', id: '-d', metadata: { file: '/x.age' } })).toContain('the age id is not valid');
    expect(refProblem({ source: 'age', id: 'A' })).toBe('the age reference needs metadata.file (--meta file=...)');
    expect(refProblem({ source: 'age', id: 'A', metadata: { file: '/x.age', identity: '-' } })).toContain('metadata.identity of the age reference is not valid');
  });

  it('withVariable replaces a one-line assignment in place, appends a new one, refuses to rewrite a multi-line value', () => {
    expect(withVariable('# c\nA=1\nB=2\n', 'A', 'x"y', 'f')).toBe('# c\nA="x\\"y"\nB=2\n');
    expect(withVariable('', 'N', 'a\nb', 'f')).toBe('N="a\\nb"\n');
    expect(() => withVariable('M="a\nb"\n', 'M', 'x', 'f')).toThrow("M in f is not a one-line assignment: change it by hand ('age -d', edit, 'age -e')");
  });
});

describe.skipIf(!HAVE_AGE)('age (real age and age-keygen)', () => {
  it('decrypts once with ~/.config/age/keys.txt and reads each variable; missing ones say how to add them', async () => {
    const ref = (id: string) => ({ source: 'age' as const, id, metadata: { file: join(dir, 'secrets.env.age') } });
    const res = await resolveRequests(
      [
        { name: 'a', ref: ref('A_TOKEN') },
        { name: 'b', ref: ref('B_TOKEN') },
        { name: 'n', ref: ref('NOPE') },
      ],
      sourceContext(new MemoryBackend(), env),
    );
    expect(Object.fromEntries(res.values)).toEqual({ a: values.a, b: values.b });
    expect(res.missing[0]?.reason).toBe(`NOPE is not set in ${join(dir, 'secrets.env.age')}: add it with 'keyring-inject add NOPE --source age --meta file=...'`);
  });

  it('SOPS_AGE_KEY_FILE and metadata.identity name other identities; a key that cannot decrypt says whose key is needed', async () => {
    const other = join(dir, 'other.txt');
    keygen(other);
    const ref = { source: 'age' as const, id: 'A_TOKEN', metadata: { file: join(dir, 'secrets.env.age') } };
    const bySops = await resolveRequests([{ name: 'a', ref }], sourceContext(new MemoryBackend(), { ...env, SOPS_AGE_KEY_FILE: other }));
    expect(bySops.failed[0]?.reason).toBe(
      `none of your age identities can decrypt ${join(dir, 'secrets.env.age')}: ask a holder of the file to add your public key ('age-keygen -y') and encrypt it again`,
    );
    const byMeta = await resolveRequests([{ name: 'a', ref: { ...ref, metadata: { ...ref.metadata, identity: other } } }], sourceContext(new MemoryBackend(), env));
    expect(byMeta.failed[0]?.reason).toContain('none of your age identities can decrypt');
    const noIdentity = await (await sourceFor('age')).available(sourceContext(new MemoryBackend(), { ...env, HOME: dir }), ref);
    expect(noIdentity).toEqual({
      ok: false,
      reason: "no age identity: create one with 'age-keygen -o ~/.config/age/keys.txt' (or set SOPS_AGE_KEY_FILE, or metadata.identity) and encrypt the file to its public key",
    });
  });

  it('add --source age creates the file, then updates it (--stdin), for you and FILE.recipients; no plaintext ever on disk', async () => {
    const backend = new MemoryBackend();
    const outputs: string[] = [];
    const cli = async (cmd: Command, argv: string[], stdin?: string) => {
      const c = makeContext(env, dir, stdin, backend);
      const code = await runCommand(cmd, argv, c.ctx);
      outputs.push(c.stdout(), c.stderr());
      return { code, stdout: c.stdout(), stderr: c.stderr() };
    };
    const teammate = join(dir, 'teammate.txt');
    writeFileSync(join(dir, 'new.env.age.recipients'), `# the team\n${keygen(teammate)}\n`);
    const argv = ['C_TOKEN', '--source', 'age', '--meta', 'file=new.env.age', '--server', 'api', '--env', 'C_TOKEN', '--stdin'];
    const created = await cli(add, argv, `${values.c}\n`);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(
      `wrote C_TOKEN into ${join(dir, 'new.env.age')}, encrypted to your identity and the 1 recipient(s) listed in ${join(dir, 'new.env.age.recipients')} (check that list: each of them can read it)`,
    );
    expect(readFileSync(join(dir, 'new.env.age'), 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    // The teammate can read it too.
    expect(execFileSync('age', ['-d', '-i', teammate, join(dir, 'new.env.age')], { encoding: 'utf8' })).toBe(`C_TOKEN="${values.c}"\n`);
    const ref = { source: 'age' as const, id: 'C_TOKEN', metadata: { file: join(dir, 'new.env.age') } };
    expect((await resolveRequests([{ name: 'c', ref }], sourceContext(backend, env))).values.get('c')).toBe(values.c);

    const rotated = testSecret('age-c2');
    const updated = await cli(add, argv, `${rotated}\n`);
    expect(updated.code, updated.stderr).toBe(0);
    expect((await resolveRequests([{ name: 'c', ref }], sourceContext(backend, env))).values.get('c')).toBe(rotated);
    expect(await backend.list()).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    expectNoLeak(values.c, outputs, [dir]);
    expectNoLeak(rotated, outputs, [dir]);
  });

  it('project files: a value is never encrypted to an identity the repository ships (metadata.identity): whoever has the repository could read it', async () => {
    const proj = join(dir, 'proj-identity');
    mkdirSync(join(proj, '.git'), { recursive: true });
    keygen(join(proj, 'team.key'));
    const value = testSecret('age-repo-identity');
    await expect(
      (await sourceFor('age')).store?.({ source: 'age', id: 'X', metadata: { file: 'x.env.age', identity: 'team.key' }, root: proj }, value, sourceContext(new MemoryBackend(), env)),
    ).rejects.toThrow(/^metadata\.identity of this project reference names a key file that came with the repository/);
    expect(existsSync(join(proj, 'x.env.age'))).toBe(false);
  });

  it('project files: the age file stays inside the project; missing tool and a hanging age fail with the fix', async () => {
    const proj = join(dir, 'proj');
    mkdirSync(join(proj, '.git'), { recursive: true });
    // Creating a file through a directory that links outside the project is refused too.
    symlinkSync(dir, join(proj, 'out'));
    await expect((await sourceFor('age')).store?.({ source: 'age', id: 'X', metadata: { file: 'out/planted.env.age' }, root: proj }, 'v', sourceContext(new MemoryBackend(), env))).rejects.toThrow(
      `${join(proj, 'out', 'planted.env.age')} is in a directory that links outside the project root ${proj}: refused`,
    );
    expect(existsSync(join(dir, 'planted.env.age'))).toBe(false);
    const up = await resolveRequests([{ name: 'a', ref: { source: 'age', id: 'A_TOKEN', metadata: { file: '../secrets.env.age' }, root: proj } }], sourceContext(new MemoryBackend(), env));
    expect(up.failed[0]?.reason).toBe(`metadata.file leaves the project root ${proj}: give a path inside the project`);
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const ref = { source: 'age' as const, id: 'A_TOKEN', metadata: { file: join(dir, 'secrets.env.age') } };
    expect(await (await sourceFor('age')).available(sourceContext(new MemoryBackend(), { ...env, PATH: bin }), ref)).toEqual({
      ok: false,
      reason: "age (file encryption) is not installed or not on PATH: install it with 'sudo apt-get install age' (or from https://age-encryption.org)",
    });
    writeStub(bin, 'age', { [JSON.stringify(['--decrypt', '-i', join(home, '.config', 'age', 'keys.txt'), join(dir, 'secrets.env.age')])]: { stdout: 'A_TOKEN=late', sleepMs: 20_000 } });
    const hung = await resolveRequests([{ name: 'a', ref }], sourceContext(new MemoryBackend(), { ...env, PATH: `${bin}:${env.PATH}`, KEYRING_INJECT_SOURCE_TIMEOUT_MS: '400' }));
    expect(hung.failed[0]?.reason).toBe('`age --decrypt` did not finish within 400 ms (stopped): check that it can run without a prompt, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS');
  });
});
