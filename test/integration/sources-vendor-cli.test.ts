// The CLI-based sources against stand-in executables (see sources-stubs.ts): 1Password (op),
// Doppler, AWS and Google Cloud cannot be installed here, so these tests check exactly what we
// send (argv, environment, a closed stdin) and how we treat what comes back. They do not prove
// that the real vendor CLIs behave like the stand-ins.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { vendorArgv } from '../../src/sources/cli-sources.js';
import { safeStderr } from '../../src/sources/cli-run.js';
import type { SourceRef } from '../../src/registry/source-ref.js';
import { resolveRequests, sourceContext, sourceFor } from '../../src/sources/resolver.js';
import type { SourceRequest } from '../../src/sources/source.js';
import { testSecret } from '../helpers/secret.js';
import { argvKey, writeStub } from '../helpers/vendor-stub.js';

let dir: string;
let bin: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ki-vendor-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The caller's environment: vendor variables, and others that must NOT reach a vendor CLI. */
function callerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: dir,
    ANTHROPIC_API_KEY: 'must-not-leak-1',
    GITHUB_TOKEN: 'must-not-leak-2',
    NODE_OPTIONS: '--no-warnings',
    CLAUDE_CODE_SESSION: 'x',
    OP_SERVICE_ACCOUNT_TOKEN: 'op-fake-token',
    DOPPLER_TOKEN: 'dp-fake-token',
    AWS_PROFILE: 'dev',
    AWS_REGION: 'eu-central-1',
    CLOUDSDK_CONFIG: join(dir, 'gcloud'),
    GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'sa.json'),
    BWS_ACCESS_TOKEN: 'bws-fake-token',
    AZURE_CONFIG_DIR: join(dir, '.azure'),
    INFISICAL_TOKEN: 'inf-fake-token',
    HTTPS_PROXY: 'http://proxy.invalid:3128',
    XDG_CONFIG_HOME: join(dir, '.config'),
    DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent',
    ...extra,
  };
}

async function resolveOne(ref: SourceRef, env = callerEnv()) {
  const res = await resolveRequests([{ name: 'K', ref }], sourceContext(new MemoryBackend(), env));
  return { value: res.values.get('K'), missing: res.missing[0]?.reason, failed: res.failed[0]?.reason };
}

describe('vendor CLIs: exact argv, minimal environment, closed stdin', () => {
  const cases: { name: string; bin: string; ref: SourceRef; argv: string[]; env: string[] }[] = [
    {
      name: '1password',
      bin: 'op',
      ref: { source: '1password', id: 'op://Private/GitHub token/credential', metadata: { account: 'my.1password.com' } },
      argv: ['read', 'op://Private/GitHub token/credential', '--account', 'my.1password.com'],
      env: ['PATH', 'HOME', 'OP_SERVICE_ACCOUNT_TOKEN', 'XDG_CONFIG_HOME', 'HTTPS_PROXY'],
    },
    {
      name: 'doppler',
      bin: 'doppler',
      ref: { source: 'doppler', id: 'STRIPE_KEY', metadata: { project: 'shop', config: 'dev' } },
      argv: ['secrets', 'get', 'STRIPE_KEY', '--plain', '--project', 'shop', '--config', 'dev'],
      env: ['PATH', 'HOME', 'DOPPLER_TOKEN', 'XDG_CONFIG_HOME', 'DBUS_SESSION_BUS_ADDRESS', 'HTTPS_PROXY'],
    },
    {
      name: 'aws',
      bin: 'aws',
      ref: { source: 'aws', id: 'prod/stripe', metadata: { region: 'eu-west-1' } },
      argv: ['secretsmanager', 'get-secret-value', '--secret-id', 'prod/stripe', '--query', 'SecretString', '--output', 'text', '--region', 'eu-west-1'],
      env: ['PATH', 'HOME', 'AWS_PROFILE', 'AWS_REGION', 'HTTPS_PROXY'],
    },
    {
      name: 'gcp',
      bin: 'gcloud',
      ref: { source: 'gcp', id: 'stripe-key', metadata: { project: 'my-proj' } },
      argv: ['secrets', 'versions', 'access', 'latest', '--secret=stripe-key', '--project=my-proj'],
      env: ['PATH', 'HOME', 'CLOUDSDK_CONFIG', 'GOOGLE_APPLICATION_CREDENTIALS', 'HTTPS_PROXY'],
    },
    {
      name: 'bitwarden',
      bin: 'bws',
      ref: { source: 'bitwarden', id: 'be8e0ad8-d545-4017-a55a-b02f014d4158' },
      argv: ['secret', 'get', 'be8e0ad8-d545-4017-a55a-b02f014d4158', '--output', 'json'],
      env: ['PATH', 'HOME', 'BWS_ACCESS_TOKEN', 'XDG_CONFIG_HOME', 'HTTPS_PROXY'],
    },
    {
      name: 'azure',
      bin: 'az',
      ref: { source: 'azure', id: 'stripe-key', metadata: { vault: 'team-kv' } },
      argv: ['keyvault', 'secret', 'show', '--vault-name', 'team-kv', '--name', 'stripe-key', '--query', 'value', '--output', 'tsv'],
      env: ['PATH', 'HOME', 'AZURE_CONFIG_DIR', 'HTTPS_PROXY'],
    },
    {
      name: 'infisical',
      bin: 'infisical',
      ref: { source: 'infisical', id: 'STRIPE_KEY', metadata: { project: '6f3c1c2e-0b7a-4a53-9f5e-3c2b1a0d9e8f', env: 'dev', path: '/backend' } },
      argv: ['secrets', 'get', 'STRIPE_KEY', '--plain', '--projectId=6f3c1c2e-0b7a-4a53-9f5e-3c2b1a0d9e8f', '--env=dev', '--path=/backend'],
      env: ['PATH', 'HOME', 'INFISICAL_TOKEN', 'XDG_CONFIG_HOME', 'DBUS_SESSION_BUS_ADDRESS', 'HTTPS_PROXY'],
    },
  ];
  // What each CLI prints for the value, as its documentation shows: bws a JSON object whose
  // "value" is the secret, az (--query value -o tsv) and infisical (--plain) the bare value.
  const printed = (name: string, v: string) =>
    name === 'bitwarden'
      ? `${JSON.stringify(
          {
            object: 'secret',
            id: 'be8e0ad8-d545-4017-a55a-b02f014d4158',
            organizationId: '10e8a0a4-7c3d-4b1a-9f2e-b02f014d4158',
            projectId: 'e325ea69-a3ab-4dff-836f-b02e013fe530',
            key: 'STRIPE_KEY',
            value: v,
            note: '',
            creationDate: '2026-01-01T00:00:00.000000Z',
            revisionDate: '2026-01-01T00:00:00.000000Z',
          },
          null,
          2,
        )}\n`
      : `${v}\n`;

  for (const c of cases) {
    it(`${c.name}: runs \`${c.bin} ${c.argv.slice(0, 2).join(' ')} ...\` with only PATH, HOME and its own variables; one trailing newline removed`, async () => {
      const v = testSecret(c.name);
      const stub = writeStub(bin, c.bin, { [argvKey(...c.argv)]: { stdout: printed(c.name, v) } });
      expect(vendorArgv(c.ref.source as 'doppler', c.ref)).toEqual({ bin: c.bin, args: c.argv });
      const r = await resolveOne(c.ref);
      expect(r).toEqual({ value: v, missing: undefined, failed: undefined });
      const calls = stub.calls();
      expect(calls).toHaveLength(1);
      expect(calls[0]?.argv).toEqual(c.argv);
      expect(calls[0]?.stdin).toBe('');
      // Node itself may add nothing; the child sees exactly what we passed.
      expect(Object.keys(calls[0]?.env ?? {}).sort()).toEqual([...c.env].sort());
    });
  }

  it('metadata is optional: doppler/gcloud/aws without project, config, region use the CLI defaults', async () => {
    writeStub(bin, 'doppler', { [argvKey('secrets', 'get', 'A', '--plain')]: { stdout: 'va' } });
    writeStub(bin, 'gcloud', { [argvKey('secrets', 'versions', 'access', '7', '--secret=b')]: { stdout: 'vb' } });
    writeStub(bin, 'aws', { [argvKey('secretsmanager', 'get-secret-value', '--secret-id', 'c', '--query', 'SecretString', '--output', 'text', '--profile', 'prod')]: { stdout: 'vc\n' } });
    writeStub(bin, 'op', { [argvKey('read', 'op://v/i/f')]: { stdout: 'vd\n\n' } });
    const res = await resolveRequests(
      [
        { name: 'a', ref: { source: 'doppler', id: 'A' } },
        { name: 'b', ref: { source: 'gcp', id: 'b', metadata: { version: '7' } } },
        { name: 'c', ref: { source: 'aws', id: 'c', metadata: { profile: 'prod' } } },
        { name: 'd', ref: { source: '1password', id: 'op://v/i/f' } },
      ],
      sourceContext(new MemoryBackend(), callerEnv()),
    );
    // Only ONE trailing newline is removed: "vd\n" keeps its own.
    expect(Object.fromEntries(res.values)).toEqual({ a: 'va', b: 'vb', c: 'vc', d: 'vd\n' });
  });

  it('aws/gcp: metadata.key picks a field of a JSON secret; one call per secret however many fields', async () => {
    const v = testSecret();
    const args = ['secretsmanager', 'get-secret-value', '--secret-id', 'prod/db', '--query', 'SecretString', '--output', 'text', '--region', 'eu-west-1'];
    const stub = writeStub(bin, 'aws', { [argvKey(...args)]: { stdout: `${JSON.stringify({ username: 'app', password: v, port: 5432, nested: { a: 1 } })}\n` } });
    const ref = (key: string): SourceRef => ({ source: 'aws', id: 'prod/db', metadata: { region: 'eu-west-1', key } });
    const reqs: SourceRequest[] = [
      { name: 'user', ref: ref('username') },
      { name: 'pw', ref: ref('password') },
      { name: 'port', ref: ref('port') },
      { name: 'nope', ref: ref('nope') },
      { name: 'obj', ref: ref('nested') },
    ];
    const res = await resolveRequests(reqs, sourceContext(new MemoryBackend(), callerEnv()));
    expect(Object.fromEntries(res.values)).toEqual({ user: 'app', pw: v, port: '5432' });
    expect(res.missing.map((m) => [m.request.name, m.reason])).toEqual([['nope', 'the AWS secret prod/db has no field "nope": fix metadata.key']]);
    expect(res.failed.map((m) => m.request.name)).toEqual(['obj']);
    expect(stub.calls()).toHaveLength(1);
    expect(JSON.stringify([res.missing, res.failed])).not.toContain(v);

    writeStub(bin, 'gcloud', { [argvKey('secrets', 'versions', 'access', 'latest', '--secret=plain')]: { stdout: v } });
    const notJson = await resolveOne({ source: 'gcp', id: 'plain', metadata: { key: 'x' } });
    expect(notJson.failed).toBe('the Google secret plain is not a JSON object, so metadata.key cannot pick a field from it: remove metadata.key');
  });
});

describe('vendor CLIs: failures name the CLI and the fix, never the output', () => {
  it('a CLI that is not installed: which one, and how to install it', async () => {
    const r = await resolveOne({ source: '1password', id: 'op://v/i/f' }, callerEnv({ PATH: bin }));
    expect(r.failed).toBe('the 1Password CLI (op) is not installed or not on PATH: install it (https://developer.1password.com/docs/cli/get-started/) and sign in');
    const a = await (await sourceFor('gcp')).available(sourceContext(new MemoryBackend(), callerEnv({ PATH: bin })));
    expect(a).toEqual({ ok: false, reason: "the Google Cloud CLI (gcloud) is not installed or not on PATH: install it (https://cloud.google.com/sdk/docs/install) and run 'gcloud auth login'" });
    writeStub(bin, 'gcloud', {});
    expect(await (await sourceFor('gcp')).available(sourceContext(new MemoryBackend(), callerEnv()))).toEqual({ ok: true });
  });

  it('relative PATH entries are never searched (a repository could plant ./op)', async () => {
    writeStub(bin, 'op', { [argvKey('read', 'op://v/i/f')]: { stdout: 'planted' } });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await resolveOne({ source: '1password', id: 'op://v/i/f' }, callerEnv({ PATH: `bin:.:${dirname(process.execPath)}` }));
      expect(r.value).toBeUndefined();
      expect(r.failed).toContain('the 1Password CLI (op) is not installed or not on PATH');
    } finally {
      process.chdir(cwd);
    }
  });

  it('not logged in (non-zero exit): exit code, one redacted line of stderr and the login fix; stdout never appears', async () => {
    const v = testSecret();
    // A hostile CLI: prints the value on stdout AND echoes it in its error, then fails.
    writeStub(bin, 'doppler', {
      [argvKey('secrets', 'get', 'TOKEN', '--plain')]: { stdout: `${v}\n`, stderr: `\u001b[31mDoppler Error:\u001b[0m you must log in (token ${v} rejected)\nsecond line ${v}\n`, code: 1 },
    });
    const r = await resolveOne({ source: 'doppler', id: 'TOKEN' });
    expect(r.value).toBeUndefined();
    expect(r.failed).toBe(
      "`doppler secrets` failed (exit 1: Doppler Error: you must log in (token [redacted] rejected)): log in with 'doppler login' (or set DOPPLER_TOKEN) and check metadata.project / metadata.config ('doppler setup')",
    );
    expect(r.failed).not.toContain(v);
    expect(safeStderr(`x${'y'.repeat(300)}`, '')).toHaveLength(160);
  });

  it('"not found" answers are reported as missing, with the fix', async () => {
    writeStub(bin, 'doppler', { [argvKey('secrets', 'get', 'NOPE', '--plain')]: { stderr: 'Doppler Error: Could not find requested secret: NOPE\n', code: 1 } });
    writeStub(bin, 'aws', {
      [argvKey('secretsmanager', 'get-secret-value', '--secret-id', 'nope', '--query', 'SecretString', '--output', 'text')]: {
        stderr: "\nAn error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.\n",
        code: 254,
      },
      [argvKey('secretsmanager', 'get-secret-value', '--secret-id', 'bin', '--query', 'SecretString', '--output', 'text')]: { stdout: 'None\n' },
      [argvKey('secretsmanager', 'get-secret-value', '--secret-id', 'empty', '--query', 'SecretString', '--output', 'text')]: { stdout: '\n' },
    });
    expect((await resolveOne({ source: 'doppler', id: 'NOPE' })).missing).toBe('Doppler has no NOPE: add secret NOPE in Doppler, or fix metadata.project / metadata.config');
    expect((await resolveOne({ source: 'aws', id: 'nope' })).missing).toBe(
      "AWS Secrets Manager has no nope: create it ('aws secretsmanager create-secret --name nope') or fix the id / metadata.region",
    );
    expect((await resolveOne({ source: 'aws', id: 'bin' })).failed).toContain('has no SecretString');
    expect((await resolveOne({ source: 'aws', id: 'empty' })).missing).toBe('AWS returned an empty value for empty');
  });

  it('a CLI that hangs is stopped at the deadline', async () => {
    writeStub(bin, 'op', { [argvKey('read', 'op://v/i/f')]: { stdout: 'late', sleepMs: 20_000 } });
    const t0 = performance.now();
    const r = await resolveOne({ source: '1password', id: 'op://v/i/f' }, callerEnv({ KEYRING_INJECT_SOURCE_TIMEOUT_MS: '400' }));
    const ms = performance.now() - t0;
    expect(r.failed).toBe('`op read` did not finish within 400 ms (stopped): check that it can run without a prompt, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS');
    expect(ms).toBeLessThan(3000);
  });

  it('a daemon the CLI left behind holding the output pipe does not hold us up', async () => {
    const v = testSecret();
    const pidFile = join(dir, 'orphan.pid');
    writeStub(bin, 'op', { [argvKey('read', 'op://v/i/f')]: { stdout: `${v}\n`, orphanPidFile: pidFile } });
    const t0 = performance.now();
    try {
      const r = await resolveOne({ source: '1password', id: 'op://v/i/f' });
      expect(r.value).toBe(v);
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  it('at most 4 CLI processes at a time, all keys answered', async () => {
    const answers: Record<string, { stdout: string; sleepMs: number }> = {};
    for (let i = 0; i < 10; i++) answers[argvKey('secrets', 'get', `K${i}`, '--plain')] = { stdout: `v${i}`, sleepMs: 150 };
    writeStub(bin, 'doppler', answers);
    const t0 = performance.now();
    const res = await resolveRequests(
      Array.from({ length: 10 }, (_, i) => ({ name: `k${i}`, ref: { source: 'doppler' as const, id: `K${i}` } })),
      sourceContext(new MemoryBackend(), callerEnv()),
    );
    expect(res.values.size).toBe(10);
    // 10 calls of >=150 ms each, 4 at a time: at least 3 rounds.
    expect(performance.now() - t0).toBeGreaterThan(450);
  });

  it('bitwarden, azure, infisical: not found, not logged in, ids that would be options', async () => {
    const id = 'be8e0ad8-d545-4017-a55a-b02f014d4158';
    writeStub(bin, 'bws', {
      [argvKey('secret', 'get', id, '--output', 'json')]: { stderr: 'Error: \n   0: Received error message from server: [404 Not Found] {"message":"Resource not found."}\n', code: 1 },
    });
    writeStub(bin, 'az', {
      [argvKey('keyvault', 'secret', 'show', '--vault-name', 'team-kv', '--name', 'nope', '--query', 'value', '--output', 'tsv')]: {
        stderr: '(SecretNotFound) A secret with (name/id) nope was not found in this key vault.\nCode: SecretNotFound\n',
        code: 3,
      },
      [argvKey('keyvault', 'secret', 'show', '--vault-name', 'team-kv', '--name', 'tok', '--query', 'value', '--output', 'tsv')]: {
        stderr: "ERROR: Please run 'az login' to setup account.\n",
        code: 1,
      },
    });
    writeStub(bin, 'infisical', { [argvKey('secrets', 'get', 'NOPE', '--plain')]: { stdout: '*not found*\n' } });
    expect((await resolveOne({ source: 'bitwarden', id })).missing).toBe(
      `Bitwarden Secrets Manager has no ${id}: check the secret id (bws secret list) and that the machine account can read its project`,
    );
    expect((await resolveOne({ source: 'azure', id: 'nope', metadata: { vault: 'team-kv' } })).missing).toBe(
      "Azure Key Vault has no nope: create it ('az keyvault secret set --vault-name team-kv --name nope') or fix the id / metadata.vault",
    );
    expect((await resolveOne({ source: 'azure', id: 'tok', metadata: { vault: 'team-kv' } })).failed).toBe(
      "`az keyvault` failed (exit 1: ERROR: Please run 'az login' to setup account.): log in with 'az login' (or a service principal / managed identity) and check metadata.vault and your access to it",
    );
    expect((await resolveOne({ source: 'infisical', id: 'NOPE' })).missing).toBe('Infisical has no NOPE: add it in Infisical, or fix metadata.project / metadata.env / metadata.path');
    // Ids and metadata that a CLI would read as options never reach it.
    for (const ref of [
      { source: 'bitwarden', id: '--access-token' },
      { source: 'azure', id: '-x', metadata: { vault: 'team-kv' } },
      { source: 'azure', id: 'x', metadata: { vault: '--debug' } },
      { source: 'azure', id: 'x' },
      { source: 'infisical', id: '--token=x' },
      { source: 'infisical', id: 'X', metadata: { path: '/../x' } },
    ] as SourceRef[]) {
      const r = await resolveOne(ref);
      expect(r.failed, JSON.stringify(ref)).toMatch(/is not valid|needs metadata/);
    }
    // A hanging CLI is stopped at the deadline, as for every CLI source.
    writeStub(bin, 'bws', { [argvKey('secret', 'get', id, '--output', 'json')]: { stdout: '{}', sleepMs: 20_000 } });
    const hung = await resolveOne({ source: 'bitwarden', id }, callerEnv({ KEYRING_INJECT_SOURCE_TIMEOUT_MS: '400' }));
    expect(hung.failed).toBe('`bws secret` did not finish within 400 ms (stopped): check that it can run without a prompt, or raise KEYRING_INJECT_SOURCE_TIMEOUT_MS');
    const a = await (await sourceFor('bitwarden')).available(sourceContext(new MemoryBackend(), callerEnv({ PATH: join(dir, 'none') })));
    expect(a).toEqual({
      ok: false,
      reason: 'the Bitwarden Secrets Manager CLI (bws) is not installed or not on PATH: install it (https://bitwarden.com/help/secrets-manager-cli/) and set BWS_ACCESS_TOKEN',
    });
  });
});
