// A project's .claude/secrets.json names secrets, not configuration: a variable that makes a real
// program read settings from where it points is refused, whatever the user approves. Each case
// first shows, with the real program Debian ships, that the program does follow the variable to a
// file the repository controls (so the refusal is not theoretical), then that the project file is
// refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refusedVariable } from '../../src/sources/team-file-policy.js';
import { parseProjectFile } from '../../src/sources/team-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ki-project-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** stdout and stderr of a real program run with one variable set (it may fail: only what it says matters). */
function said(cmd: string, args: string[], env: Record<string, string>): string {
  try {
    return execFileSync(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}

const cases: { name: string; program: string; setup: () => { value: string; run: () => string }; shows: RegExp }[] = [
  {
    name: 'CURL_HOME',
    program: 'curl',
    setup: () => {
      writeFileSync(join(dir, '.curlrc'), 'write-out = "REPO-CURLRC-READ\\n"\n');
      return { value: dir, run: () => said('curl', ['-s', 'file:///dev/null'], { CURL_HOME: dir }) };
    },
    shows: /REPO-CURLRC-READ/,
  },
  {
    name: 'WGETRC',
    program: 'wget',
    setup: () => {
      writeFileSync(join(dir, 'wgetrc'), 'repo_chosen_command = 1\n');
      return { value: join(dir, 'wgetrc'), run: () => said('wget', ['-q', '-O', '/dev/null', 'http://127.0.0.1:9/'], { WGETRC: join(dir, 'wgetrc') }) };
    },
    shows: /repo_chosen_command/,
  },
  {
    name: 'OPENSSL_CONF',
    program: 'openssl',
    setup: () => {
      writeFileSync(join(dir, 'openssl.cnf'), 'repo chosen [[[\n');
      return {
        value: join(dir, 'openssl.cnf'),
        run: () => said('openssl', ['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-subj', '/CN=x', '-keyout', '/dev/null', '-out', '/dev/null'], { OPENSSL_CONF: join(dir, 'openssl.cnf') }),
      };
    },
    shows: /openssl\.cnf/,
  },
  {
    name: 'GIT_CONFIG_GLOBAL',
    program: 'git',
    setup: () => {
      writeFileSync(join(dir, 'gitconfig'), '[user]\n\tname = repo-chosen-name\n');
      return { value: join(dir, 'gitconfig'), run: () => said('git', ['config', '--global', 'user.name'], { GIT_CONFIG_GLOBAL: join(dir, 'gitconfig') }) };
    },
    shows: /repo-chosen-name/,
  },
];

describe('configuration variables in a project file', () => {
  for (const c of cases) {
    it(`${c.name}: the real ${c.program} reads the repository's file through it, and a project file may not set it`, () => {
      const { run } = c.setup();
      expect(run()).toMatch(c.shows);
      expect(refusedVariable(c.name)).toBeDefined();
      const file = join(dir, '.claude', 'secrets.json');
      const text = JSON.stringify({ [c.name]: { source: 'env-file', id: c.name, metadata: { path: '.env' } } });
      expect(() => parseProjectFile(text, file, dir)).toThrow(/may not set it, refused/);
    });
  }

  it('refuses the configuration families by shape, not by a list, and keeps names that plainly hold a secret', () => {
    // biome-ignore format: a word list
    const config = ['CURL_HOME', 'WGETRC', 'OPENSSL_CONF', 'AWS_CONFIG_FILE', 'KUBECONFIG', 'GRADLE_OPTS', 'MAVEN_OPTS', 'VIMINIT',
      'RSYNC_RSH', 'PIP_INDEX_URL', 'PIP_CONFIG_FILE', 'DOCKER_CONFIG', 'TF_CLI_CONFIG_FILE', 'CARGO_HOME', 'SSLKEYLOGFILE', 'HTTPS_PROXY',
      'https_proxy', 'SOCKS_PROXY', 'NODE_EXTRA_CA_CERTS', 'AWS_CA_BUNDLE', 'MANPATH', 'LD_AUDIT', 'HGRCPATH', 'NPMRC', 'SCREENRC', 'INPUTRC',
      'MYTOOL_CONFIG', 'FOO_HOME', 'BAR_PATH', 'GIT_SSH_COMMAND', 'CREDENTIAL_HELPER', 'PIP_EXTRA_INDEX_URL', 'CONDA_PKGS_DIRS', 'UV_INDEX'];
    for (const n of config) expect(refusedVariable(n), n).toBeDefined();
    // biome-ignore format: a word list
    const secrets = ['GITHUB_TOKEN', 'DATABASE_URL', 'STRIPE_KEY', 'OPENAI_API_KEY', 'NPM_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID',
      'SLACK_BOT_TOKEN', 'API_KEY', 'DB_PASSWORD', 'SENTRY_DSN', 'DOCKER_PASSWORD', 'NODE_AUTH_TOKEN', 'ANTHROPIC_API_KEY', 'REDIS_URL'];
    for (const n of secrets) expect(refusedVariable(n), n).toBeUndefined();
  });
});
