// The published shape: npm pack, install the tarball into a clean directory, run the bin.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome } from '../helpers/temp-home.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm package', () => {
  let dir: string;
  let bin: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ki-pack-'));
    const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const tarball = join(dir, packed.trim().split('\n').pop()!);
    writeFileSync(join(dir, 'package.json'), '{"name":"ki-pack-test","private":true}');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    bin = join(dir, 'node_modules', '.bin', 'keyring-inject');
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships only the bundle and docs, and `npx keyring-inject --help` works', () => {
    const listing = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(listing) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of ['dist/cli.js', 'dist/code-cache.js', 'dist/hook.js', 'dist/guard.js', 'dist/main.js', 'dist/package.json']) expect(files).toContain(f);
    // The code caches our own runs wrote into dist/ are this machine's, not the package's.
    expect(files.filter((f) => f.endsWith('.v8-cache'))).toEqual([]);
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
    const help = spawnSync('npx', ['--no-install', 'keyring-inject', '--help'], { cwd: dir, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: keyring-inject COMMAND');
    // The hooks' own bundles, through the installed binary.
    for (const cmd of ['hook', 'guard']) {
      const r = spawnSync(bin, [cmd, '--help'], { encoding: 'utf8' });
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toContain(`keyring-inject ${cmd}`);
    }
  });

  it.runIf(HAVE_SECRET_SERVICE)('add --stdin round trip through the installed package', () => {
    const t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    try {
      const secret = testSecret();
      const add = spawnSync(bin, ['add', 'pk', '--server', 'srv', '--env', 'PK', '--stdin'], { env: t.env, input: secret, encoding: 'utf8' });
      expect(add.status).toBe(0);
      expect(secretToolLookup(t.env.KEYRING_INJECT_SERVICE!, 'pk')).toBe(secret);
      const list = spawnSync(bin, ['list', '--json'], { env: t.env, encoding: 'utf8' });
      expect(JSON.parse(list.stdout).keys[0].name).toBe('pk');
      const rm = spawnSync(bin, ['remove', 'pk'], { env: t.env, encoding: 'utf8' });
      expect(rm.status).toBe(0);
      expectNoLeak(secret, [add.stdout, add.stderr, list.stdout, list.stderr], [t.home]);
    } finally {
      t.cleanup();
    }
  });
});
