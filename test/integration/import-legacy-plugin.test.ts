// The move from mcp-keyring-injector with its real parts: its configuration file as it
// documents it (~/.claude/config/mcp-credentials.json) and its keyring items written with the
// library it uses (Debian's python3-keyring) into the real gnome-keyring of the private D-Bus
// session. `import --from mcp-keyring-injector` (the built CLI) registers each key so that it
// reads that same item, wraps the server, and the wrapped entry, run as Claude Code runs it,
// gives the server its key. No value is copied into our keyring, and none lands in any file.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { hashingChild } from '../helpers/env-child.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { runCli } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const PYTHON = '/usr/bin/python3';
const HAVE_PY_KEYRING = spawnSync(PYTHON, ['-c', 'import keyring'], { stdio: 'ignore' }).status === 0;
if (process.env.CI && !HAVE_PY_KEYRING) throw new Error("python3-keyring missing in CI: run 'bash scripts/install-system-deps.sh'");

const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const value = testSecret('legacy');
const itemService = `ki-legacy-${testService().slice(-8)}`;
let t: TempHome;
let service: string;

function pyKeyring(code: string, args: string[]): string {
  return execFileSync(PYTHON, ['-c', code, ...args], { env: t.env, encoding: 'utf8' });
}

beforeAll(() => {
  if (!HAVE_SECRET_SERVICE || !HAVE_PY_KEYRING) return;
  service = testService();
  t = makeTempHome({ KEYRING_INJECT_SERVICE: service });
  // As the older plugin's README says: keyring.set_password(service, account, value).
  execFileSync(PYTHON, ['-c', 'import sys, keyring; keyring.set_password(sys.argv[1], sys.argv[2], sys.stdin.read())', itemService, 'api-key'], { env: t.env, input: value });
}, 60_000);

afterAll(() => {
  if (!t) return;
  spawnSync(PYTHON, ['-c', 'import sys, keyring; keyring.delete_password(sys.argv[1], sys.argv[2])', itemService, 'api-key'], { env: t.env, stdio: 'ignore' });
  t.cleanup();
});

describe.skipIf(!HAVE_SECRET_SERVICE || !HAVE_PY_KEYRING)('import --from mcp-keyring-injector (real gnome-keyring, python3-keyring)', () => {
  it('dry run shows the plan and changes nothing; the import registers, wraps, and the server gets its key from the same item', async () => {
    // The item was written through python-keyring: check it is there, from outside our code.
    pyKeyring('import sys, keyring; assert keyring.get_password(sys.argv[1], sys.argv[2])', [itemService, 'api-key']);
    expect(secretToolLookup(itemService, 'api-key')).toBe(value);
    const out = join(t.home, 'out.json');
    const child = hashingChild(t.home, ['GITHUB_TOKEN']);
    // The older plugin's hook left the value in the entry (its SessionEnd never ran: a crash).
    const config = { mcpServers: { 'github-mcp': { type: 'stdio', command: process.execPath, args: [child], env: { OUT: out, GITHUB_TOKEN: value } } } };
    writeFileSync(join(t.home, '.claude.json'), `${JSON.stringify(config, null, 2)}\n`);
    mkdirSync(join(t.home, '.claude', 'config'), { recursive: true });
    writeFileSync(
      join(t.home, '.claude', 'config', 'mcp-credentials.json'),
      `${JSON.stringify(
        {
          github: { env_var: 'GITHUB_TOKEN', service: itemService, account: 'api-key', label: 'GitHub API Token', mcp_server: 'github-mcp' },
          openai: { env_var: 'OPENAI_API_KEY', service: itemService, account: 'none-stored', label: 'OpenAI API Key', mcp_server: 'github-mcp' },
          anthropic: { env_var: 'ANTHROPIC_API_KEY', service: itemService, account: 'api-key', label: 'Anthropic API Key', mcp_server: 'anthropic-mcp' },
          broken: { env_var: 'X', label: 'no service' },
        },
        null,
        2,
      )}\n`,
    );
    const before = readFileSync(join(t.home, '.claude.json'), 'utf8');
    const outputs: string[] = [];
    const dry = await runCli(['import', '--from', 'mcp-keyring-injector', '--dry-run', '--json'], { env: t.env });
    outputs.push(dry.stdout, dry.stderr);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.items.map((i: { entry: string; action: string; key: string | null }) => [i.entry, i.action, i.key])).toEqual([
      ['github', 'register', 'github'],
      ['openai', 'skip', null],
      ['anthropic', 'skip', null],
    ]);
    expect(plan.removedFromConfig).toEqual(['github-mcp.env.GITHUB_TOKEN']);
    expect(plan.problems).toEqual(['entry "broken" lacks env_var, service or account: skipped (the older plugin skipped it too)']);
    expect(readFileSync(join(t.home, '.claude.json'), 'utf8')).toBe(before);

    const real = await runCli(['import', '--from', 'mcp-keyring-injector'], { env: t.env });
    outputs.push(real.stdout, real.stderr);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toContain('github-mcp.env.GITHUB_TOKEN: now key github');
    expect(real.stdout).toContain('wrapped: github-mcp');
    expect(real.stdout).toContain("'/plugin uninstall mcp-keyring-injector'");
    const reg = JSON.parse(readFileSync(join(t.home, '.claude', 'keyring-inject', 'registry.json'), 'utf8'));
    expect(reg.keys.github.source).toEqual({ source: 'os-keyring', id: 'api-key', metadata: { service: itemService } });
    // Nothing copied into our own service.
    expect(secretToolLookup(service, 'github')).toBeUndefined();

    // The wrapped entry, run as Claude Code runs it: its command and args, its env on top of ours.
    const entry = JSON.parse(readFileSync(join(t.home, '.claude.json'), 'utf8')).mcpServers['github-mcp'];
    expect(entry.args).toContain('exec');
    const r = spawnSync(entry.command, entry.args, { env: { ...t.env, ...(entry.env ?? {}) }, cwd: t.home, encoding: 'utf8', input: '' });
    outputs.push(r.stdout, r.stderr);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ GITHUB_TOKEN: sha(value) });

    // Again: nothing more to do.
    const again = await runCli(['import', '--from', 'mcp-keyring-injector', '--json'], { env: t.env });
    expect(JSON.parse(again.stdout).items[0]).toMatchObject({ entry: 'github', action: 'already', key: 'github' });
    expectNoLeak(value, outputs, [t.home]);
  });

  it('no configuration: a one-line error that says so; --from takes only the known plugin', async () => {
    const empty = makeTempHome({ KEYRING_INJECT_SERVICE: service });
    try {
      const r = await runCli(['import', '--from', 'mcp-keyring-injector'], { env: empty.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`keyring-inject: no mcp-keyring-injector configuration at ${join(empty.home, '.claude', 'config', 'mcp-credentials.json')}: nothing to import\n`);
      const bad = await runCli(['import', '--from', 'other-plugin'], { env: empty.env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--from takes mcp-keyring-injector');
    } finally {
      empty.cleanup();
    }
  });
});
