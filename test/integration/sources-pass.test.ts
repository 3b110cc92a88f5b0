// The pass source for real: a throwaway gpg key (%no-protection) in a temporary GNUPGHOME, a
// password store made with `pass init`, entries written with `pass insert -m`. Then the resolver,
// `add --source pass`, `run`, `exec` (spawned) and a project's .claude/secrets.json read them, and no value
// reaches any output or any file under the temporary HOME (the store itself is gpg-encrypted).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import { run } from '../../src/cli/commands/run.js';
import type { Command } from '../../src/cli/command.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { loadRegistry } from '../../src/registry/registry-file.js';
import { resolveRequests, sourceContext, sourceFor } from '../../src/sources/resolver.js';
import { makeContext } from '../helpers/context.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { runCommand } from '../../src/cli/run-command.js';
import { CLI } from '../helpers/spawn-cli.js';

const HAVE_PASS = spawnSync('pass', ['version'], { stdio: 'ignore' }).status === 0 && spawnSync('gpg', ['--version'], { stdio: 'ignore' }).status === 0;
if (process.env.CI && !HAVE_PASS) throw new Error("pass/gpg missing in CI: run 'bash scripts/install-system-deps.sh'");

const sha = (v: string) => createHash('sha256').update(v).digest('hex');
let dir: string;
let env: Record<string, string>;
const values = { token: testSecret('pass'), other: testSecret('other') };

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

beforeAll(() => {
  if (!HAVE_PASS) return;
  // Short path: gpg-agent's socket lives in GNUPGHOME and socket paths are limited to ~107 bytes.
  dir = mkdtempSync(join(tmpdir(), 'ki-pass-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const gnupg = join(dir, 'g');
  mkdirSync(gnupg, { mode: 0o700 });
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GNUPGHOME: gnupg, PASSWORD_STORE_DIR: join(dir, 'store'), NO_COLOR: '1' };
  const params = join(dir, 'key-params');
  writeFileSync(
    params,
    [
      '%no-protection',
      'Key-Type: EDDSA',
      'Key-Curve: ed25519',
      'Subkey-Type: ECDH',
      'Subkey-Curve: cv25519',
      'Name-Real: keyring-inject test',
      'Name-Email: ki-test@example.invalid',
      'Expire-Date: 0',
      '%commit',
      '',
    ].join('\n'),
  );
  sh('gpg', ['--batch', '--quiet', '--gen-key', params]);
  sh('pass', ['init', 'ki-test@example.invalid']);
  sh('pass', ['insert', '-m', 'github/token'], `${values.token}\nusername: someone\nurl: https://github.com\n`);
  sh('pass', ['insert', '-m', 'work/other key'], `${values.other}\n`);
  writeFileSync(join(home, '.claude.json'), `${JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'node', args: ['s.js'] } } }, null, 2)}\n`);
}, 60_000);

afterAll(() => {
  if (!HAVE_PASS) return;
  spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_PASS)('pass (real password-store and gpg)', () => {
  it('resolves the first line of `pass show ID`; paths with spaces; several entries at once', async () => {
    const res = await resolveRequests(
      [
        { name: 'gh', ref: { source: 'pass', id: 'github/token' } },
        { name: 'other', ref: { source: 'pass', id: 'work/other key' } },
      ],
      sourceContext(new MemoryBackend(), env),
    );
    expect(Object.fromEntries(res.values)).toEqual({ gh: values.token, other: values.other });
    expect(await (await sourceFor('pass')).available(sourceContext(new MemoryBackend(), env))).toEqual({ ok: true });
  });

  it('a missing entry is "missing" with the fix; no store or no secret key are failures that say what to do', async () => {
    const ctx = sourceContext(new MemoryBackend(), env);
    const missing = await resolveRequests([{ name: 'x', ref: { source: 'pass', id: 'nope/none' } }], ctx);
    expect(missing.missing[0]?.reason).toBe("pass (password-store) has no nope/none: add it with 'pass insert nope/none'");

    const noStore = { ...env, PASSWORD_STORE_DIR: join(dir, 'no-store') };
    expect(await (await sourceFor('pass')).available(sourceContext(new MemoryBackend(), noStore))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("create one with 'pass init <gpg-key-id>'"),
    });

    // Another GNUPGHOME without the secret key: gpg cannot decrypt.
    const emptyGpg = join(dir, 'e');
    mkdirSync(emptyGpg, { mode: 0o700 });
    const noKey = await resolveRequests([{ name: 'gh', ref: { source: 'pass', id: 'github/token' } }], sourceContext(new MemoryBackend(), { ...env, GNUPGHOME: emptyGpg }));
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...env, GNUPGHOME: emptyGpg }, stdio: 'ignore' });
    expect(noKey.values.size).toBe(0);
    expect(noKey.failed[0]?.reason).toMatch(/^`pass show` failed \(exit \d+: gpg: .*\): make sure gpg can decrypt it/);
    expect(JSON.stringify(noKey)).not.toContain(values.token);
  });

  it('add --source pass records a reference (no value stored, no prompt); run and exec get the value from pass', async () => {
    const home = env.HOME as string;
    const backend = new MemoryBackend();
    const outputs: string[] = [];
    const cli = async (cmd: Command, argv: string[], stdin?: string, cwd = home) => {
      const c = makeContext({ ...env, OUT: join(dir, 'out.json') }, cwd, stdin, backend);
      const code = await runCommand(cmd, argv, c.ctx);
      outputs.push(c.stdout(), c.stderr());
      return { code, stdout: c.stdout(), stderr: c.stderr() };
    };
    const stdinRefused = await cli(add, ['gh', '--source', 'pass', '--id', 'github/token', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], 'x');
    expect(stdinRefused.code).toBe(2);
    const added = await cli(add, ['gh', '--source', 'pass', '--id', 'github/token', '--server', 'github', '--env', 'GITHUB_TOKEN', '--json']);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'gh', stored: false, source: { source: 'pass', id: 'github/token' } });
    expect(await backend.list()).toEqual([]);
    const reg = await loadRegistry(join(home, '.claude', 'keyring-inject', 'registry.json'));
    expect(reg.keys.gh?.source).toEqual({ source: 'pass', id: 'github/token' });

    const child = join(dir, 'child.cjs');
    writeFileSync(child, `require('fs').writeFileSync(process.env.OUT, JSON.stringify({ A: require('crypto').createHash('sha256').update(process.env.GITHUB_TOKEN || '').digest('hex') }));`);
    const r = await cli(run, ['--', process.execPath, child]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))).toEqual({ A: sha(values.token) });
    rmSync(join(dir, 'out.json'));
    // exec as Claude Code runs it: a process of its own (exec reads the process environment),
    // from the entry 'wrap' leaves (exec serves only the wrapped command).
    const wrapped = { command: process.execPath, args: [CLI, 'exec', '--server', 'github', '--', process.execPath, child] };
    writeFileSync(join(home, '.claude.json'), `${JSON.stringify({ mcpServers: { github: { type: 'stdio', ...wrapped } } }, null, 2)}\n`);
    const e = spawnSync(process.execPath, [CLI, 'exec', '--server', 'github', '--', process.execPath, child], { env: { ...env, OUT: join(dir, 'out.json') }, cwd: home, encoding: 'utf8' });
    outputs.push(e.stdout, e.stderr);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toBe('');
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))).toEqual({ A: sha(values.token) });
    rmSync(join(dir, 'out.json'));

    // A project file referencing the other entry: run inside the project resolves it too.
    const proj = join(dir, 'proj');
    mkdirSync(join(proj, '.git'), { recursive: true });
    const p = await cli(add, ['OTHER', '--project', proj, '--source', 'pass', '--id', 'work/other key', '--server', 'api', '--env', 'OTHER_TOKEN']);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(proj, '.claude', 'secrets.json'), 'utf8'))).toEqual({
      OTHER: { source: 'pass', id: 'work/other key', targets: [{ server: 'api', env: 'OTHER_TOKEN' }] },
    });
    writeFileSync(
      child,
      `require('fs').writeFileSync(process.env.OUT, JSON.stringify({ A: process.env.GITHUB_TOKEN && require('crypto').createHash('sha256').update(process.env.GITHUB_TOKEN).digest('hex'), B: process.env.OTHER_TOKEN && require('crypto').createHash('sha256').update(process.env.OTHER_TOKEN).digest('hex') }));`,
    );
    const inProj = await cli(run, ['--', process.execPath, child], undefined, join(proj));
    expect(inProj.code, inProj.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))).toEqual({ A: sha(values.token), B: sha(values.other) });

    expectNoLeak(values.token, outputs, [home, proj]);
    expectNoLeak(values.other, outputs, [home, proj]);
  });
});
