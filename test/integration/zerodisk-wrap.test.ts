// wrap / unwrap / import / doctor as real processes on a realistic, large ~/.claude.json with the
// real Secret Service: byte-exact round trips, the lock Claude Code uses, and timings.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import lockfile from 'proper-lockfile';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { CLI, runNode } from '../helpers/spawn-cli.js';

/** A Claude Code-like config: JSON.stringify(.., null, 2), many projects with long histories. */
function bigConfig(project: string, mb: number, extra: Record<string, unknown> = {}): string {
  const projects: Record<string, unknown> = {};
  const entry = (i: number) => ({ display: `prompt ${i} ${'lorem ipsum dolor sit amet '.repeat(8)}`, pastedContents: {} });
  let size = 0;
  for (let p = 0; size < mb * 1024 * 1024; p++) {
    const history = Array.from({ length: 200 }, (_, i) => entry(i));
    projects[`/home/u/work/p${p}`] = { allowedTools: [], history, mcpContextUris: [], mcpServers: {}, hasTrustDialogAccepted: true };
    size += JSON.stringify(history).length;
  }
  projects[project] = { allowedTools: [], history: [], mcpServers: { db: { type: 'stdio', command: 'db-mcp', args: ['--ro'], env: {} } }, hasTrustDialogAccepted: true };
  return `${JSON.stringify(
    {
      numStartups: 42,
      installMethod: 'npm',
      mcpServers: { github: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: {} }, api: { type: 'http', url: 'https://mcp.example.com/mcp' } },
      projects,
      userID: 'abc',
      ...extra,
    },
    null,
    2,
  )}\n`;
}

describe.runIf(HAVE_SECRET_SERVICE)('wrap / unwrap / import / doctor, spawned, real keyring', () => {
  let t: TempHome;
  const P = '/home/u/work/main';
  const cfg = () => join(t.home, '.claude.json');
  beforeEach(() => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService(), KEYRING_INJECT_CLI: '' });
  });
  afterEach(() => t.cleanup());
  const env = () => ({ ...t.env, KEYRING_INJECT_CLI: CLI });

  it('add --mode wrap then unwrap on a 20 MB config: byte-exact round trip, mode kept, timings', async () => {
    const text = bigConfig(P, 20);
    writeFileSync(cfg(), text, { mode: 0o600 });
    const v = testSecret();
    const add = await runNode([CLI, 'add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--mode', 'wrap', '--stdin'], { env: env(), input: v });
    expect(add.code, add.stderr).toBe(0);
    expect(secretToolLookup(t.env.KEYRING_INJECT_SERVICE as string, 'gh')).toBe(v);
    const wrapLocal = await runNode([CLI, 'wrap', 'db', '--scope', 'local', '--project', P], { env: env(), cwd: t.home });
    // --project of a directory that does not exist resolves to that path itself.
    expect(wrapLocal.code, wrapLocal.stderr).toBe(0);
    const wrapped = readFileSync(cfg(), 'utf8');
    expect(wrapped).toBe(JSON.stringify(JSON.parse(wrapped), null, 2) + '\n'); // Claude Code's own layout
    const wrapAgain = await runNode([CLI, 'wrap', 'github', '--json'], { env: env() });
    expect(JSON.parse(wrapAgain.stdout.toString())[0].outcome).toBe('unchanged');
    const un = await runNode([CLI, 'unwrap', 'github'], { env: env() });
    const unLocal = await runNode([CLI, 'unwrap', 'db', '--scope', 'local', '--project', P], { env: env() });
    expect(un.code, un.stderr).toBe(0);
    expect(unLocal.code, unLocal.stderr).toBe(0);
    expect(readFileSync(cfg(), 'utf8') === text).toBe(true);
    expect(statSync(cfg()).mode & 0o777).toBe(0o600);
    console.log(`[zerodisk timing] 20 MB config: add --mode wrap ${add.ms.toFixed(0)} ms, wrap (no-op) ${wrapAgain.ms.toFixed(0)} ms, unwrap ${un.ms.toFixed(0)} ms`);
    expect(un.ms).toBeLessThan(5000);
    expectNoLeak(v, [add.stdout.toString(), add.stderr, un.stdout.toString(), un.stderr], [t.home]);
  }, 60_000);

  it('waits for the config lock Claude Code takes, then writes', async () => {
    writeFileSync(cfg(), bigConfig(P, 0));
    const release = await lockfile.lock(cfg(), { realpath: false, lockfilePath: `${cfg()}.lock` });
    const started = Date.now();
    const pending = runNode([CLI, 'wrap', 'github'], { env: env() });
    await new Promise((r) => setTimeout(r, 300));
    expect(JSON.parse(readFileSync(cfg(), 'utf8')).mcpServers.github.command).toBe('npx');
    await release();
    const r = await pending;
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(JSON.parse(readFileSync(cfg(), 'utf8')).mcpServers.github.command).toBe(process.execPath);
  });

  it('import moves plaintext into the real keyring, scrubs backups; doctor then reports clean', async () => {
    const v = testSecret('plain');
    const text = bigConfig(P, 1).replace('"env": {}', `"env": {\n        "GITHUB_TOKEN": ${JSON.stringify(v)}\n      }`);
    writeFileSync(cfg(), text);
    mkdirSync(join(t.home, '.claude', 'backups'), { recursive: true });
    writeFileSync(join(t.home, '.claude', 'backups', '.claude.json.backup.1'), text);
    const before = await runNode([CLI, 'doctor', '--json'], { env: env() });
    const rep0 = JSON.parse(before.stdout.toString());
    expect(rep0.servers.find((s: { server: string }) => s.server === 'github').mode).toBe('plaintext');
    expect(rep0.copies).toHaveLength(1);
    const imp = await runNode([CLI, 'import', '--mode', 'wrap'], { env: env() });
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout.toString()).toContain('env GITHUB_TOKEN: moved to key github.GITHUB_TOKEN');
    expect(secretToolLookup(t.env.KEYRING_INJECT_SERVICE as string, 'github.GITHUB_TOKEN')).toBe(v);
    const after = await runNode([CLI, 'doctor', '--values', '--json'], { env: env() });
    const rep = JSON.parse(after.stdout.toString());
    expect(rep.servers.find((s: { server: string }) => s.server === 'github')).toMatchObject({ mode: 'wrapped', keys: ['github.GITHUB_TOKEN'], problems: [] });
    expect(rep.copies).toEqual([]);
    expect(rep.values).toEqual({ checked: true, found: [] });
    expect(readdirSync(join(t.home, '.claude', 'backups'))).toEqual(['.claude.json.backup.1']);
    expectNoLeak(v, [before.stdout.toString(), before.stderr, imp.stdout.toString(), imp.stderr, after.stdout.toString(), after.stderr], [t.home]);
  }, 60_000);
});
