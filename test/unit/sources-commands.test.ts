// `add --source/--id/--meta`, `add --project` and `run` with a project's .claude/secrets.json,
// in-process with the memory keyring and real env files. No value may reach an output or a file
// under the temporary HOME or the project (except the env file the test itself wrote).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import { allow } from '../../src/cli/commands/allow.js';
import { run } from '../../src/cli/commands/run.js';
import type { Command } from '../../src/cli/command.js';
import { resolveValues } from '../../src/engine/engine.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { loadRegistry } from '../../src/registry/registry-file.js';
import { makeContext } from '../helpers/context.js';
import { hashingChild } from '../helpers/env-child.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { runCommand } from '../../src/cli/run-command.js';

let t: TempHome;
let backend: MemoryBackend;
let outputs: string[];
let proj: string;
const regPath = () => join(t.home, '.claude', 'keyring-inject', 'registry.json');
const projFile = () => join(proj, '.claude', 'secrets.json');
const sha = (v: string) => createHash('sha256').update(v).digest('hex');

beforeEach(() => {
  t = makeTempHome();
  backend = new MemoryBackend();
  outputs = [];
  proj = join(t.home, 'work', 'shop');
  mkdirSync(join(proj, '.git'), { recursive: true });
  mkdirSync(join(proj, 'src'));
  writeFileSync(join(t.home, '.claude.json'), `${JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'node', args: ['s.js'] } } }, null, 2)}\n`);
});
afterEach(() => t.cleanup());

async function cli(cmd: Command, argv: string[], stdin?: string, cwd = t.home) {
  const c = makeContext({ ...t.env, OUT: join(t.home, 'out.json') }, cwd, stdin, backend);
  const code = await runCommand(cmd, argv, c.ctx);
  outputs.push(c.stdout(), c.stderr());
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** A child that records the sha256 of the named variables. */
const child = (...vars: string[]): string => hashingChild(t.home, vars);
const got = () => JSON.parse(readFileSync(join(t.home, 'out.json'), 'utf8')) as Record<string, string | null>;

describe('add --source (user registry)', () => {
  it('env-file: records the absolute path, stores no value, and hooks, run and exec read the file', async () => {
    const v = testSecret();
    writeFileSync(join(t.home, 'work', 'keys.env'), `export GH="${v}"\n`);
    const r = await cli(add, ['gh', '--source', 'env-file', '--id', 'GH', '--meta', 'path=keys.env', '--server', 'github', '--env', 'GITHUB_TOKEN'], undefined, join(t.home, 'work'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('added gh: its value is read from env-file GH');
    expect(await backend.list()).toEqual([]);
    const reg = await loadRegistry(regPath());
    expect(reg.keys.gh?.source).toEqual({ source: 'env-file', id: 'GH', metadata: { path: join(t.home, 'work', 'keys.env') } });
    expect((await resolveValues(reg, backend)).known.map((k) => [k.key, k.value === v])).toEqual([['gh', true]]);
    const ran = await cli(run, ['--', process.execPath, child('GITHUB_TOKEN')]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(got()).toEqual({ GITHUB_TOKEN: sha(v) });
    // A second add with the same source only adds targets; another source is refused.
    expect((await cli(add, ['gh', '--server', 'other', '--env', 'GITHUB_TOKEN'])).code).toBe(0);
    const other = await cli(add, ['gh', '--source', 'pass', '--id', 'x/y', '--server', 'x', '--env', 'X']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('key gh already takes its value from env-file GH (path=');
    expectNoLeak(v, outputs, [join(t.home, '.claude'), join(t.home, '.claude.json')]);
  });

  it('refuses --stdin for another source, --id/--meta for the keyring, unknown sources, and never repeats a bad id', async () => {
    const secretish = testSecret();
    const cases: [string[], number, RegExp][] = [
      [['k', '--source', 'doppler', '--server', 'github', '--env', 'K', '--stdin'], 2, /stores no value for a doppler key/],
      [['k', '--id', 'other', '--server', 'github', '--env', 'K', '--stdin'], 2, /--id with the keyring source goes with --project/],
      [['k', '--meta', 'path=x', '--server', 'github', '--env', 'K', '--stdin'], 2, /--meta goes with --source/],
      [
        ['k', '--source', 'lastpass', '--server', 'github', '--env', 'K'],
        2,
        /--source must be one of keyring, pass, env-file, 1password, doppler, aws, gcp, keepassxc, age, vault, bitwarden, azure, infisical/,
      ],
      [['k', '--source', '1password', '--id', secretish, '--server', 'github', '--env', 'K'], 2, /1password id is not valid: give a secret reference 'op:\/\/vault\/item\/field'/],
      [['k', '--source', 'aws', '--id', 'x', '--meta', `region=${secretish}`, '--server', 'github', '--env', 'K'], 2, /metadata.region of the aws reference is not valid/],
      [['k', '--source', 'aws', '--id', 'x', '--meta', secretish, '--server', 'github', '--env', 'K'], 2, /--meta takes KEY=VALUE/],
      [['k', '--scope', 'user', '--project', proj, '--server', 'github', '--env', 'K'], 2, /--project goes with --scope local/],
      [['k', '--source', 'aws', '--id', `file://../.ssh/${secretish}`, '--server', 'github', '--env', 'K'], 2, /the aws id has a scheme .*: give a Secrets Manager secret name or ARN/],
      // Ids and settings a CLI would read as options, for the new sources too.
      [['k', '--source', 'keepassxc', '--id=-x', '--meta', 'database=t.kdbx', '--server', 'github', '--env', 'K'], 2, /the keepassxc id is not valid/],
      [['k', '--source', 'keepassxc', '--id', 'e', '--meta', 'database=--no-password', '--server', 'github', '--env', 'K'], 2, /metadata.database of the keepassxc reference is not valid/],
      [['k', '--source', 'age', '--id', 'K', '--server', 'github', '--env', 'K'], 2, /the age reference needs metadata.file/],
      [['k', '--source', 'azure', '--id', 'x', '--meta', 'vault=-debug', '--server', 'github', '--env', 'K'], 2, /metadata.vault of the azure reference is not valid/],
      [['k', '--source', 'bitwarden', '--id', secretish, '--server', 'github', '--env', 'K'], 2, /the bitwarden id is not valid: give a Bitwarden Secrets Manager secret id/],
      [['k', '--source', 'vault', '--id', 'secret/../sys/raw#x', '--server', 'github', '--env', 'K'], 2, /the vault id is not valid/],
      [['K', '--project', proj, '--source', 'os-keyring', '--id', 'api-key', '--meta', 'service=github'], 2, /a project file may not read other programs' keyring items/],
    ];
    for (const [argv, code, re] of cases) {
      const r = await cli(add, argv, 'value-from-stdin');
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.stderr).toMatch(re);
    }
    expect(existsSync(regPath()) ? Object.keys((await loadRegistry(regPath())).keys) : []).toEqual([]);
    expectNoLeak(secretish, outputs, [t.home]);
  });

  it('warns (and records anyway) when the source cannot be used on this machine', async () => {
    const r = await cli(add, ['stripe', '--source', 'doppler', '--id', 'STRIPE_KEY', '--meta', 'project=shop', '--server', 'github', '--env', 'STRIPE_API_KEY'], undefined);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('the Doppler CLI (doppler) is not installed or not on PATH');
    expect(r.stderr).toContain('(the reference is recorded anyway)');
  });
});

describe('add --project: references in .claude/secrets.json', () => {
  it('keyring source: the value goes into the keyring under --id, the file holds only the reference; later adds reuse it', async () => {
    const v = testSecret();
    const r = await cli(add, ['GH', '--project', join(proj, 'src'), '--id', 'shop.github', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin', '--json'], `${v}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ name: 'GH', stored: true, source: { source: 'keyring', id: 'shop.github' }, projectFile: projFile(), targets: [{ server: 'github', env: 'GITHUB_TOKEN' }] });
    expect(await backend.get('shop.github')).toBe(v);
    expect(JSON.parse(readFileSync(projFile(), 'utf8'))).toEqual({ GH: { source: 'keyring', id: 'shop.github', targets: [{ server: 'github', env: 'GITHUB_TOKEN' }] } });
    // The user registry is not touched.
    expect(existsSync(regPath())).toBe(false);

    // Same reference again with another server: no value asked (already stored), target added.
    const again = await cli(add, ['GH', '--project', proj, '--id', 'shop.github', '--server', 'api', '--env', 'GITHUB_TOKEN']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(projFile(), 'utf8')).GH.targets).toEqual([
      { server: 'github', env: 'GITHUB_TOKEN' },
      { server: 'api', env: 'GITHUB_TOKEN' },
    ]);
    // --stdin when a value is already stored: refused rather than silently replaced.
    const over = await cli(add, ['GH', '--project', proj, '--id', 'shop.github', '--stdin'], 'new');
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('a value is already stored in the keyring under shop.github');
    expect(await backend.get('shop.github')).toBe(v);
    // A different reference under the same name is refused.
    const clash = await cli(add, ['GH', '--project', proj, '--source', 'pass', '--id', 'gh', '--server', 'github', '--env', 'X']);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('GH already refers to keyring shop.github: edit the file, or choose another NAME');
    // One env var of one server gets one key.
    const taken = await cli(add, ['OTHER', '--project', proj, '--source', 'doppler', '--server', 'github', '--env', 'GITHUB_TOKEN']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('github.env.GITHUB_TOKEN already receives GH');

    const ran = await cli(run, ['--', process.execPath, child('GITHUB_TOKEN')], undefined, join(proj, 'src'));
    expect(ran.code, ran.stderr).toBe(0);
    expect(got()).toEqual({ GITHUB_TOKEN: sha(v) });
    expectNoLeak(v, outputs, [t.home]);
  });

  it('env-file: the path is relative to the project root and may not leave it; --header/--mode are refused', async () => {
    const v = testSecret();
    writeFileSync(join(proj, '.env.local'), `DB_URL='${v}'\n`);
    const bad = await cli(add, ['DB', '--project', proj, '--source', 'env-file', '--id', 'DB_URL', '--meta', 'path=../../.env', '--server', 'db', '--env', 'DATABASE_URL']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('metadata.path leaves the project root');
    expect((await cli(add, ['DB', '--project', proj, '--header', 'A: {value}', '--server', 'db'])).stderr).toContain('--header does not go with --project');
    expect((await cli(add, ['DB', '--project', proj, '--mode', 'wrap', '--server', 'db', '--env', 'X'])).stderr).toContain('--mode does not go with --project');
    const ok = await cli(add, ['DB', '--project', proj, '--source', 'env-file', '--id', 'DB_URL', '--meta', 'path=.env.local', '--server', 'db', '--env', 'DATABASE_URL']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('(a reference, no value: safe to commit)');
    const ran = await cli(run, ['--', process.execPath, child('DATABASE_URL')], undefined, proj);
    expect(ran.code, ran.stderr).toBe(0);
    expect(got()).toEqual({ DATABASE_URL: sha(v) });
    expectNoLeak(v, outputs, [join(t.home, '.claude'), join(proj, '.claude')]);
  });

  it("without --server and --env: the proposal's run-only entry, given to run as NAME (what request_secret tells a -p user to type)", async () => {
    const v = testSecret();
    const r = await cli(add, ['CRM_API_KEY', '--project', proj, '--source', 'keyring', '--id', 'crm-api-key', '--stdin'], `${v}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(projFile(), 'utf8'))).toEqual({ CRM_API_KEY: { source: 'keyring', id: 'crm-api-key' } });
    const ran = await cli(run, ['--', process.execPath, child('CRM_API_KEY')], undefined, proj);
    expect(ran.code, ran.stderr).toBe(0);
    expect(got()).toEqual({ CRM_API_KEY: sha(v) });
    // A loader variable is no run-only name; a NAME that is no variable name still needs targets.
    expect((await cli(add, ['NODE_OPTIONS', '--project', proj, '--id', 'x', '--stdin'], 'v')).code).toBe(2);
    expect((await cli(add, ['crm.key', '--project', proj, '--id', 'y', '--stdin'], 'v')).stderr).toContain('missing --server');
    expectNoLeak(v, outputs, [t.home]);
  });
});

describe('run with a project file', () => {
  it('the user registry wins a name clash (with a warning); --no-project ignores the file; a missing project key names its fix', async () => {
    const mine = testSecret('mine');
    const theirs = testSecret('theirs');
    await cli(add, ['API', '--server', 'github', '--env', 'API_KEY', '--stdin'], mine);
    writeFileSync(join(proj, '.env'), `API=${theirs}\nOTHER=${theirs}-other\n`);
    mkdirSync(join(proj, '.claude'));
    writeFileSync(
      projFile(),
      JSON.stringify({
        API: { source: 'env-file', id: 'API', targets: [{ server: 'shop', env: 'API_KEY' }] },
        OTHER: { source: 'env-file', id: 'OTHER', targets: [{ server: 'shop', env: 'OTHER_KEY' }] },
      }),
    );
    expect((await cli(allow, [], undefined, proj)).code).toBe(0);
    const ran = await cli(run, ['--', process.execPath, child('API_KEY', 'OTHER_KEY')], undefined, join(proj, 'src'));
    expect(ran.code, ran.stderr).toBe(0);
    expect(got()).toEqual({ API_KEY: sha(mine), OTHER_KEY: sha(`${theirs}-other`) });
    expect(ran.stderr).toContain(`${projFile()}: entry API is ignored because your registry has a key of that name (your registry wins; rename one of them)`);

    const without = await cli(run, ['--no-project', '--', process.execPath, child('API_KEY', 'OTHER_KEY')], undefined, proj);
    expect(without.code, without.stderr).toBe(0);
    expect(got()).toEqual({ API_KEY: sha(mine), OTHER_KEY: null });

    // --only may name project keys.
    const only = await cli(run, ['--only', 'OTHER', '--', process.execPath, child('API_KEY', 'OTHER_KEY')], undefined, proj);
    expect(only.code, only.stderr).toBe(0);
    expect(got()).toEqual({ API_KEY: null, OTHER_KEY: sha(`${theirs}-other`) });

    // A project keyring reference whose value this machine does not have yet.
    writeFileSync(projFile(), JSON.stringify({ NEW: { source: 'keyring', id: 'shop.new', targets: [{ server: 'shop', env: 'NEW_KEY' }] } }));
    expect((await cli(allow, [], undefined, proj)).code).toBe(0);
    const missing = await cli(run, ['--', process.execPath, child('NEW_KEY')], undefined, proj);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`key NEW (keyring shop.new): not in the in-memory store (tests only): store it with 'keyring-inject add NEW --project ${proj}'`);
    // Which is exactly what add --project does without --server/--env: the entry's targets are kept.
    const fix = await cli(add, ['NEW', '--project', proj, '--stdin'], 'new-value-123');
    expect(fix.code, fix.stderr).toBe(0);
    expect((await cli(run, ['--', process.execPath, child('NEW_KEY')], undefined, proj)).code).toBe(0);
    expect(got()).toEqual({ NEW_KEY: sha('new-value-123') });

    // A broken project file stops run before the command starts, naming the file.
    writeFileSync(projFile(), JSON.stringify({ BAD: { source: 'pass', id: 'x', value: theirs, targets: [] } }));
    rmOut();
    const broken = await cli(run, ['--', process.execPath, child('X')], undefined, proj);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`the project file ${projFile()} is not valid: entry "BAD" has a "value" field`);
    expect(existsSync(join(t.home, 'out.json'))).toBe(false);

    expectNoLeak(mine, outputs, [t.home]);
    // The test itself wrote `theirs` into the project's .env (and the broken file): only our own files are checked.
    expectNoLeak(theirs, outputs, [join(t.home, '.claude'), join(t.home, '.claude.json')]);
  });
});

function rmOut(): void {
  rmSync(join(t.home, 'out.json'), { force: true });
}
