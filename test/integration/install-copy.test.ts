// The README's install line, as a new user runs it: a fresh copy of the repository (its tracked
// files, as a clone has them), the line read from README.md, npm with a throwaway global prefix
// (npm_config_prefix: never the machine's real one) and the real registry. Then the clone is
// deleted, and the installed command still works: --version, doctor, uninstall --all. npm prints
// no warning on the way (no EBADENGINE, no install script to allow), and no browser is downloaded.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readmeSetupCommands } from '../helpers/readme.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

const NETWORK_ENV = ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy', 'npm_config_registry'];

/** The tracked files of the working tree, as a fresh clone has them (no node_modules, no dist). */
function freshCopy(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(root, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(to, f)), { recursive: true });
    copyFileSync(join(root, f), join(to, f));
  }
}

/** A shell line, asynchronously (a minute of npm must not block the test worker), stdin closed. */
function sh(line: string, cwd: string, env: Record<string, string>): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, out }));
  });
}

describe.runIf(HAVE_SECRET_SERVICE)("the README's install line outlives its clone", () => {
  let t: TempHome | undefined;
  afterAll(() => t?.cleanup());

  it('fresh clone -> the README line -> delete the clone -> keyring-inject --version, doctor, uninstall --all', async () => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    const clone = join(t.home, 'src', 'keyring-inject');
    const prefix = join(t.home, 'npm-prefix');
    freshCopy(clone);
    const [line] = readmeSetupCommands();
    // setup asks before it changes anything; without a terminal, --yes is its documented answer.
    expect(line).toMatch(/ && keyring-inject setup$/);
    const scripted = line!.replace(/keyring-inject setup$/, 'keyring-inject setup --yes');
    const env = {
      ...t.env,
      PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
      npm_config_prefix: prefix,
      // The user's npm cache (the packages, not their settings): the HOME here is a throwaway.
      npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? '/root', '.npm'),
      npm_config_update_notifier: 'false',
      // How this machine reaches the registry (a CA, a proxy), as the user's shell has it.
      ...Object.fromEntries(NETWORK_ENV.flatMap((k) => (process.env[k] ? [[k, process.env[k] as string]] : []))),
    };
    const r = await sh(scripted, clone, env);
    expect(r.status, r.out).toBe(0);
    const npmWarnings = r.out.split('\n').filter((l) => /^npm (warn|WARN|error|ERR)/.test(l));
    expect(npmWarnings).toEqual([]);
    // A copy, not npm's symlink to the clone.
    const installed = join(prefix, 'lib', 'node_modules', 'keyring-inject');
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    // Nothing downloaded a browser (playwright-core / puppeteer-core never do).
    const cache = join(t.home, '.cache');
    const cached = existsSync(cache) ? readdirSync(cache) : [];
    expect(cached.filter((d) => /playwright|puppeteer/.test(d))).toEqual([]);

    rmSync(clone, { recursive: true, force: true });
    const cli = (args: string[]) => spawnSync('keyring-inject', args, { cwd: t!.home, env, encoding: 'utf8' });
    const v = cli(['--version']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toContain(version);
    const doctor = cli(['doctor']);
    expect(doctor.status, `${doctor.stdout}\n${doctor.stderr}`).toBe(0);
    const un = cli(['uninstall', '--all']);
    expect(un.status, `${un.stdout}\n${un.stderr}`).toBe(0);
    expect(cli(['doctor']).stderr).not.toMatch(/MODULE_NOT_FOUND|command not found/);
  }, 300_000);
});
