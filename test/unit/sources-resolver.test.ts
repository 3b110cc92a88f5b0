// The resolver and what feeds it: reference validation, the registry's per-key source, project
// files (parse, find, merge and precedence), and the one-round-trip rule for keyring keys.
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyringUnavailableError } from '../../src/core/errors.js';
import { resolveValues } from '../../src/engine/engine.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { emptyRegistry, parseRegistry, RegistryFormatError, withKey, withSource, type Registry, type Target } from '../../src/registry/registry.js';
import { findProjectFile, loadProjectFile, mergeProject, parseProjectFile, projectFileFor, writeProjectFile } from '../../src/sources/team-file.js';
import { parseSourceRef, refProblem, type SourceRef } from '../../src/registry/source-ref.js';
import { resolveRequests, sourceContext } from '../../src/sources/resolver.js';
import { envForRun, envForServer } from '../../src/wrap/values.js';
import { testSecret } from '../helpers/secret.js';

/** Counts round trips: the hooks' latency depends on reading every keyring key in one getMany. */
class CountingBackend extends MemoryBackend {
  getManyCalls: string[][] = [];
  getCalls = 0;
  override async getMany(names: readonly string[]): Promise<Map<string, string>> {
    this.getManyCalls.push([...names]);
    return super.getMany(names);
  }
  override async get(name: string): Promise<string | undefined> {
    this.getCalls++;
    return super.get(name);
  }
}

const NOW = new Date('2026-01-02T03:04:05.000Z');
const user = (server: string, env: string): Target => ({ server, env, scope: 'user' });
function registryWith(keys: Record<string, { targets: Target[]; source?: SourceRef }>): Registry {
  let reg = emptyRegistry();
  for (const [name, k] of Object.entries(keys)) {
    reg = withKey(reg, name, k.targets, 'memory', NOW);
    if (k.source) reg = withSource(reg, name, k.source);
  }
  return reg;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ki-sources-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('references', () => {
  it('accept what each source can name, refuse option-like, traversing or malformed ids without repeating them', () => {
    const ok: SourceRef[] = [
      { source: 'keyring', id: 'github.token' },
      { source: 'pass', id: 'work/github token@me' },
      { source: 'env-file', id: 'GITHUB_TOKEN', metadata: { path: 'config/.env' } },
      { source: '1password', id: 'op://Private/GitHub/credential', metadata: { account: 'my.1password.com' } },
      { source: 'doppler', id: 'STRIPE_KEY', metadata: { project: 'shop', config: 'dev_personal' } },
      { source: 'aws', id: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf', metadata: { region: 'eu-west-1', profile: 'prod', key: 'password' } },
      { source: 'gcp', id: 'api-key', metadata: { project: 'example.com:my-proj', version: '3', key: 'token' } },
    ];
    for (const r of ok) expect(refProblem(r), JSON.stringify(r)).toBeUndefined();
    const secretish = 'sk-live-0123456789abcdef';
    const bad: SourceRef[] = [
      { source: 'keyring', id: `-${secretish}` },
      { source: 'pass', id: '--help' },
      { source: 'pass', id: `../${secretish}` },
      { source: 'pass', id: 'a//b' },
      { source: 'pass', id: '/etc/passwd' },
      { source: '1password', id: secretish },
      { source: 'doppler', id: '--plain' },
      { source: 'doppler', id: 'X', metadata: { project: '-p' } },
      { source: 'aws', id: '--secret-id' },
      { source: 'aws', id: 'x', metadata: { region: '--endpoint-url=https://evil' } },
      { source: 'gcp', id: '--format=json' },
      { source: 'gcp', id: 'x', metadata: { project: '--impersonate-service-account=x' } },
      { source: 'gcp', id: 'x', metadata: { version: '-1' } },
      { source: 'pass', id: `a\n${secretish}` },
      { source: 'aws', id: 'x', metadata: { regoin: 'eu-west-1' } },
      { source: 'keyring', id: 'x', metadata: { path: 'y' } },
    ];
    for (const r of bad) {
      const p = refProblem(r);
      expect(p, JSON.stringify(r)).toBeDefined();
      expect(p).not.toContain(secretish);
      expect(p).not.toContain('evil');
    }
    expect(refProblem({ source: 'aws', id: 'x', metadata: { regoin: 'eu-west-1' } })).toContain('(it takes: region, profile, key)');
  });

  it('refuse an id with a URL scheme for every CLI source (the AWS CLI reads file://, fileb:// and v1 http(s):// parameters), without repeating it', () => {
    // `aws ... --secret-id file://../.ssh/id_rsa` would send a local file as the SecretId.
    const schemed = ['file://../.ssh/id_rsa', 'fileb:///home/u/.ssh/id_ed25519', 'http://169.254.169.254/latest/meta-data/iam', 'https://evil.example/x', 'FILE://x', 's3://bucket/key'];
    for (const id of schemed) {
      for (const source of ['aws', 'pass', 'doppler', 'gcp'] as const) {
        const p = refProblem({ source, id });
        expect(p, `${source} ${id}`).toBeDefined();
        expect(p).not.toContain(id);
      }
      expect(refProblem({ source: 'aws', id })).toMatch(
        /^the aws id has a scheme \(such as file:\/\/ or https:\/\/\), which the AWS CLI would read as a file or URL: give a Secrets Manager secret name or ARN$/,
      );
      expect(parseSourceRef({ source: 'aws', id }, 'n')).toMatch(/has a scheme/);
    }
    // 1Password references are op:// URLs by design; any other scheme is not one.
    expect(refProblem({ source: '1password', id: 'op://vault/item/field' })).toBeUndefined();
    expect(refProblem({ source: '1password', id: 'file://x' })).toBeDefined();
    // ARNs have colons but no "//": still accepted.
    expect(refProblem({ source: 'aws', id: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' })).toBeUndefined();
  });

  it('parse from JSON: id defaults to the name, metadata must hold strings', () => {
    expect(parseSourceRef({ source: 'doppler' }, 'STRIPE_KEY')).toEqual({ source: 'doppler', id: 'STRIPE_KEY' });
    expect(parseSourceRef({ source: 'lastpass', id: 'x' }, 'n')).toMatch(/must be one of/);
    expect(parseSourceRef({ source: 'aws', id: 'x', metadata: { region: 1 } }, 'n')).toMatch(/object of strings/);
    expect(parseSourceRef({ source: 'aws', id: 'x', metadata: {} }, 'n')).toEqual({ source: 'aws', id: 'x' });
  });
});

describe('registry source field', () => {
  it('round-trips, is absent for the default keyring source, never persists the runtime root, and a bad one is a clear error', () => {
    let reg = registryWith({ gh: { targets: [user('github', 'GITHUB_TOKEN')], source: { source: 'pass', id: 'github/token', root: '/somewhere' } } });
    reg = withSource(withKey(reg, 'plain', [user('x', 'X')], 'memory', NOW), 'plain', { source: 'keyring', id: 'plain' });
    const text = JSON.stringify(reg);
    expect(text).not.toContain('/somewhere');
    expect(reg.keys.plain?.source).toBeUndefined();
    const back = parseRegistry(text, 'reg.json');
    expect(back.keys.gh?.source).toEqual({ source: 'pass', id: 'github/token' });
    expect(back).toEqual(reg);
    const broken = JSON.parse(text) as { keys: { gh: { source: unknown } } };
    broken.keys.gh.source = { source: 'pass', id: '--help' };
    expect(() => parseRegistry(JSON.stringify(broken), 'reg.json')).toThrow(RegistryFormatError);
  });
});

describe('the resolver', () => {
  it('reads every keyring key (registry and project aliases) in ONE getMany round trip and nothing else', async () => {
    const backend = new CountingBackend();
    const keys: Record<string, { targets: Target[] }> = {};
    for (let i = 0; i < 10; i++) {
      keys[`key${i}`] = { targets: [user(`srv${i % 5}`, `KEY_${i}`)] };
      await backend.set(`key${i}`, `value-${i}`);
    }
    const reg = registryWith(keys);
    backend.getManyCalls = [];
    backend.getCalls = 0;
    const { known, missing, failures } = await resolveValues(reg, backend);
    expect(backend.getManyCalls).toEqual([Object.keys(keys)]);
    expect(backend.getCalls).toBe(0);
    expect(known).toHaveLength(10);
    expect(missing).toEqual([]);
    expect(failures).toEqual([]);

    // Several names may share one keyring id (a project alias of a registry key): still one call, id asked once.
    backend.getManyCalls = [];
    const res = await resolveRequests(
      [
        { name: 'key0', ref: { source: 'keyring', id: 'key0' } },
        { name: 'ALIAS', ref: { source: 'keyring', id: 'key0', root: dir } },
        { name: 'GONE', ref: { source: 'keyring', id: 'gone' } },
      ],
      sourceContext(backend, {}),
    );
    expect(backend.getManyCalls).toEqual([['key0', 'gone']]);
    expect(res.values).toEqual(
      new Map([
        ['key0', 'value-0'],
        ['ALIAS', 'value-0'],
      ]),
    );
    expect(res.missing.map((m) => m.request.name)).toEqual(['GONE']);
  });

  it('no keys, only wrap-mode keys, or only other sources: no keyring call at all', async () => {
    const backend = new CountingBackend();
    writeFileSync(join(dir, '.env'), 'TOKEN=from-file\n');
    const reg = registryWith({
      w: { targets: [{ ...user('a', 'A'), mode: 'wrap' }] },
      f: { targets: [user('b', 'B')], source: { source: 'env-file', id: 'TOKEN', metadata: { path: join(dir, '.env') } } },
    });
    expect((await resolveValues(emptyRegistry(), backend)).known).toEqual([]);
    const { known } = await resolveValues(reg, backend);
    expect(known.map((k) => [k.key, k.value])).toEqual([['f', 'from-file']]);
    expect(backend.getManyCalls).toEqual([]);
  });

  it('engine: a keyring failure throws the keyring error as before; another source failing leaves the other keys injected', async () => {
    const v = testSecret();
    const backend = new CountingBackend();
    await backend.set('gh', v);
    writeFileSync(join(dir, '.env'), `TOKEN=${v}-file\n`);
    const reg = registryWith({
      gh: { targets: [user('github', 'GITHUB_TOKEN')] },
      f: { targets: [user('b', 'B')], source: { source: 'env-file', id: 'TOKEN', metadata: { path: join(dir, '.env') } } },
      nofile: { targets: [user('c', 'C')], source: { source: 'env-file', id: 'TOKEN', metadata: { path: join(dir, 'missing.env') } } },
      // No such executable on this PATH: fails with the install hint.
      dop: { targets: [user('d', 'D')], source: { source: 'doppler', id: 'TOKEN' } },
    });
    const r = await resolveValues(reg, backend, undefined, { env: { PATH: dir, HOME: dir } });
    expect(r.known.map((k) => k.key).sort()).toEqual(['f', 'gh']);
    expect(r.missing.sort()).toEqual(['dop', 'nofile']);
    expect(r.failures).toHaveLength(2);
    expect(r.failures?.join('\n')).toContain('key dop (doppler TOKEN): the Doppler CLI (doppler) is not installed or not on PATH: install it');
    expect(r.failures?.join('\n')).toContain('key nofile (env-file TOKEN');
    expect(JSON.stringify(r.failures)).not.toContain(v);

    const locked = new KeyringUnavailableError('could not read from the Secret Service (locked)', 'Unlock it');
    backend.getMany = async () => {
      throw locked;
    };
    await expect(resolveValues(reg, backend)).rejects.toBe(locked);
    // Without keyring keys, a locked keyring does not matter.
    await expect(resolveValues(reg, backend, new Set(['f']))).resolves.toMatchObject({ missing: [] });
  });

  it("zero-disk: exec/headers/run take values from each key's source; missing keys are named with their fix", async () => {
    const v = testSecret();
    const backend = new MemoryBackend();
    await backend.set('gh', v);
    writeFileSync(join(dir, '.env'), `LINEAR=${v}-linear\n`);
    const reg = registryWith({
      gh: { targets: [user('github', 'GITHUB_TOKEN')] },
      lin: { targets: [user('github', 'LINEAR_TOKEN')], source: { source: 'env-file', id: 'LINEAR', metadata: { path: join(dir, '.env') } } },
    });
    expect((await envForServer(reg, backend, { server: 'github', scope: 'user' })).env).toEqual({ GITHUB_TOKEN: v, LINEAR_TOKEN: `${v}-linear` });
    expect((await envForRun(reg, backend, undefined)).env).toEqual({ GITHUB_TOKEN: v, LINEAR_TOKEN: `${v}-linear` });
    await backend.delete('gh');
    writeFileSync(join(dir, '.env'), 'OTHER=1\n');
    const err = await envForRun(reg, backend, undefined).catch((e: Error) => e.message);
    expect(err).toContain("key gh is not in the in-memory store (tests only): store it with 'keyring-inject rotate NAME --stdin'");
    expect(err).toContain('key lin (env-file LINEAR');
    expect(err).toContain('LINEAR is not set in');
    expect(err).not.toContain(v);
  });
});

describe('project files', () => {
  const entry = (over: Record<string, unknown> = {}) => ({ source: 'pass', id: 'github/token', targets: [{ server: 'github', env: 'GITHUB_TOKEN' }], ...over });
  const parse = (data: unknown) => parseProjectFile(JSON.stringify(data), '/p/.claude/secrets.json', '/p');

  it('parse: the documented shape; values, unknown fields, bad targets and escaping env-file paths are refused', () => {
    const ok = parse({
      GH: entry(),
      STRIPE: { source: 'doppler', metadata: { project: 'shop', config: 'dev' }, targets: [{ server: 'stripe', env: 'STRIPE_API_KEY' }] },
      DOTENV: { source: 'env-file', id: 'DB_URL', metadata: { path: 'config/.env' }, targets: [{ server: 'db', env: 'DATABASE_URL' }] },
    });
    expect([...ok.entries.keys()]).toEqual(['GH', 'STRIPE', 'DOTENV']);
    expect(ok.entries.get('STRIPE')?.ref).toEqual({ source: 'doppler', id: 'STRIPE', metadata: { project: 'shop', config: 'dev' } });
    // The proposal's shape: no targets, "built-in" is the keyring (and stays spelled so).
    const proposal = parse({ DATABASE_URL: { source: 'built-in', id: 'db-url-prod' } });
    expect(proposal.entries.get('DATABASE_URL')).toEqual({ ref: { source: 'keyring', id: 'db-url-prod' }, targets: [], sourceName: 'built-in' });

    const secret = testSecret();
    const bad: [unknown, RegExp][] = [
      [{ GH: entry({ value: secret }) }, /must never hold a value/],
      [{ GH: entry({ Token: secret }) }, /must never hold a value/],
      [{ GH: entry({ extra: 1 }) }, /unknown field "extra"/],
      [{ GH: entry({ targets: [] }) }, /"targets" must be a non-empty list/],
      [{ 'gh-token': entry({ targets: undefined }) }, /its name is the variable 'keyring-inject run' sets, and it is not a valid one/],
      [{ GH: entry({ source: 'lastpass' }) }, /"source" must be one of built-in, keyring/],
      [{ GH: entry({ targets: [{ server: 'g', env: 'LD_PRELOAD' }] }) }, /LD_PRELOAD makes programs load code/],
      [{ GH: entry({ targets: [{ server: 'g', env: '1X' }] }) }, /invalid env variable name/],
      [{ GH: entry({ targets: [{ server: 'g', env: 'X', scope: 'user' }] }) }, /other than server and env/],
      [{ GH: entry({ source: 'env-file', id: 'X', metadata: { path: '../x.env' } }) }, /leaves the project root/],
      [{ GH: entry({ source: 'env-file', id: 'X', metadata: { path: '/etc/passwd' } }) }, /absolute path is refused/],
      [{ GH: entry({ id: '--help' }) }, /pass id is not valid/],
      [{ [`${secret} !`]: entry() }, /entry name is not valid/],
      [[], /expected an object/],
    ];
    for (const [data, re] of bad) {
      const msg = (() => {
        try {
          parse(data);
          return 'parsed';
        } catch (err) {
          return (err as Error).message;
        }
      })();
      expect(msg, JSON.stringify(data)).toMatch(re);
      expect(msg).not.toContain(secret);
    }
    expect(() => parseProjectFile('{nope', 'f', '/p')).toThrow(/not valid JSON/);
  });

  it('find: the nearest .claude/secrets.json up to the git top, never ~/.claude; add writes at the git top', async () => {
    const repo = join(dir, 'repo');
    const sub = join(repo, 'packages', 'app');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(sub, { recursive: true });
    mkdirSync(join(dir, '.claude'));
    writeFileSync(join(dir, '.claude', 'secrets.json'), '{}');
    expect(findProjectFile(sub)).toBeUndefined(); // stops at the git top: the file above it is not this project's
    expect(projectFileFor(sub)).toEqual({ root: repo, file: join(repo, '.claude', 'secrets.json') });
    const project = await loadProjectFile(projectFileFor(sub));
    project.entries.set('GH', { ref: { source: 'pass', id: 'github/token' }, targets: [{ server: 'github', env: 'GITHUB_TOKEN' }], sourceName: 'pass' });
    await writeProjectFile(project);
    expect(findProjectFile(sub)).toEqual({ root: repo, file: join(repo, '.claude', 'secrets.json') });
    // Outside a git work tree the walk goes up, but never takes Claude Code's own config dir.
    const loose = join(dir, 'loose');
    mkdirSync(loose);
    expect(findProjectFile(loose)).toEqual({ root: dir, file: join(dir, '.claude', 'secrets.json') });
    expect(findProjectFile(loose, join(dir, '.claude'))).toBeUndefined();
  });

  it.skipIf(process.getuid?.() !== 0)("a project file owned by another user is refused (shared /tmp, someone else's directory)", async () => {
    const root = join(dir, 'shared');
    mkdirSync(join(root, '.claude'), { recursive: true });
    const file = join(root, '.claude', 'secrets.json');
    writeFileSync(file, JSON.stringify({ GH: entry() }));
    chownSync(file, 65534, 65534);
    await expect(loadProjectFile({ root, file })).rejects.toThrow(`the project file ${file} belongs to another user: refused`);
  });

  it('merge: the user registry wins a name clash; project keys get local targets and their root', () => {
    const reg = registryWith({ GH: { targets: [user('github', 'GITHUB_TOKEN')] } });
    const project = parse({
      GH: entry({ source: 'env-file', id: 'GH', metadata: { path: '.env' } }),
      STRIPE: { source: 'doppler', targets: [{ server: 'stripe', env: 'STRIPE_API_KEY' }] },
    });
    const merged = mergeProject(reg, project, 'memory');
    expect(merged.shadowed).toEqual(['GH']);
    expect(merged.added).toEqual(['STRIPE']);
    expect(merged.registry.keys.GH).toEqual(reg.keys.GH);
    expect(merged.registry.keys.STRIPE?.source).toEqual({ source: 'doppler', id: 'STRIPE', root: '/p' });
    expect(merged.registry.keys.STRIPE?.targets).toEqual([{ server: 'stripe', env: 'STRIPE_API_KEY', scope: 'local', project: '/p' }]);
    expect(reg.keys.STRIPE).toBeUndefined(); // the user registry object is untouched
  });
});
