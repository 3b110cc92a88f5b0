// `uninstall --all` leaves ~/.claude.json byte for byte as it was before keyring-inject was
// installed, and `remove` warns about a wrapped server left without keys.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import { makeInstallCommand } from '../../src/cli/commands/install.js';
import { remove } from '../../src/cli/commands/remove.js';
import { uninstall } from '../../src/cli/commands/uninstall.js';
import { wrap } from '../../src/cli/commands/wrap.js';
import type { Command } from '../../src/cli/command.js';
import { claudePaths } from '../../src/core/paths.js';
import { identify } from '../../src/core/process-info.js';
import { startSession } from '../../src/engine/engine.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { databasePasswordItem } from '../../src/sources/keepassxc.js';
import { makeContext } from '../helpers/context.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const dist = fileURLToPath(new URL('../../dist', import.meta.url));
const install = makeInstallCommand({ sourceDir: dist });

let t: TempHome;
let backend: MemoryBackend;
let project: string;
beforeEach(() => {
  t = makeTempHome();
  backend = new MemoryBackend();
  project = join(t.home, 'proj');
  mkdirSync(project);
});
afterEach(() => t.cleanup());

const config = () => join(t.home, '.claude.json');
const settings = () => join(t.home, '.claude', 'settings.json');
const dataDir = () => join(t.home, '.claude', 'keyring-inject');

async function run(cmd: Command, argv: string[], input?: string) {
  const c = makeContext(t.env, project, input, backend);
  const code = await cmd.run(argv, c.ctx);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** A config as Claude Code writes it (JSON.stringify, 2 spaces), with servers of every kind. */
function claudeConfig(): string {
  return `${JSON.stringify(
    {
      numStartups: 4,
      hasCompletedOnboarding: true,
      mcpServers: {
        gh: { type: 'stdio', command: 'npx', args: ['-y', 'gh-mcp'], env: { LOG: 'info' } },
        db: { type: 'stdio', command: 'pg-mcp' },
        remote: { type: 'http', url: 'https://mcp.example.com/mcp' },
      },
      projects: { [project]: { hasTrustDialogAccepted: true, mcpServers: { loc: { type: 'stdio', command: 'loc-mcp', args: [] } } } },
    },
    null,
    2,
  )}\n`;
}

describe('uninstall --all', () => {
  it('after install, keys, wraps and an injection: ~/.claude.json byte-identical to before, settings.json and the data dir gone, keys kept', async () => {
    const before = claudeConfig();
    writeFileSync(config(), before, { mode: 0o600 });
    const gh = testSecret('gh');
    const db = testSecret('db');
    const hdr = testSecret('hdr');
    expect((await run(install, [])).code).toBe(0);
    expect((await run(add, ['gh', '--server', 'gh', '--env', 'GITHUB_TOKEN', '--stdin'], `${gh}\n`)).code).toBe(0);
    expect((await run(add, ['db', '--server', 'db', '--env', 'PGPASSWORD', '--mode', 'wrap', '--stdin'], `${db}\n`)).code).toBe(0);
    expect((await run(add, ['hdr', '--server', 'remote', '--header', 'Authorization: Bearer {value}', '--stdin'], `${hdr}\n`)).code).toBe(0);
    expect((await run(wrap, ['loc', '--scope', 'local'])).code).toBe(0);
    // A live session has the inject-mode key in the file.
    const paths = claudePaths(t.env);
    await startSession({ paths, now: () => new Date() }, { ...identify(process.pid)!, sessionId: 's1' }, [{ key: 'gh', target: { server: 'gh', env: 'GITHUB_TOKEN', scope: 'user' }, value: gh }]);
    const during = readFileSync(config(), 'utf8');
    expect(during).toContain(gh);
    expect(during).toContain(join(dataDir(), 'runtime', 'cli.js'));
    expect(existsSync(settings())).toBe(true);

    const dry = await run(uninstall, ['--all', '--dry-run', '--json']);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      unwrapped: expect.arrayContaining(['db (user)', 'remote (user)', `loc (local: ${project})`]),
      hooksRemoved: 5,
      mcpServerRemoved: true,
      dataDirRemoved: true,
    });
    expect(readFileSync(config(), 'utf8')).toBe(during);

    const r = await run(uninstall, ['--all', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.unwrapped.sort()).toEqual(['db (user)', `loc (local: ${project})`, 'remote (user)'].sort());
    expect(report.stripped.length).toBeGreaterThan(0);
    expect(report).toMatchObject({ hooksRemoved: 5, mcpServerRemoved: true, filesRemoved: [settings()], dataDirRemoved: true, keysPurged: [] });
    expect(report.keysKept.sort()).toEqual(['db', 'gh', 'hdr']);
    expect(readFileSync(config(), 'utf8')).toBe(before);
    expect(existsSync(settings())).toBe(false);
    expect(existsSync(dataDir())).toBe(false);
    // The keys are still in the keyring.
    expect(await backend.get('gh')).toBe(gh);
    expect(await backend.get('db')).toBe(db);
  });

  it('keeps a settings.json that was there, restored byte for byte; --purge-keys deletes the keyring values', async () => {
    const before = claudeConfig();
    writeFileSync(config(), before);
    mkdirSync(join(t.home, '.claude'));
    const userSettings = '{\n  "model": "opus",\n  "hooks": {\n    "Stop": [{"hooks": [{"type": "command", "command": "echo done"}]}]\n  }\n}\n';
    writeFileSync(settings(), userSettings);
    const gh = testSecret('gh');
    expect((await run(add, ['gh', '--server', 'gh', '--env', 'GITHUB_TOKEN', '--stdin'], `${gh}\n`)).code).toBe(0);
    expect((await run(install, [])).code).toBe(0);
    // A KeePassXC database password kept by 'add --source keepassxc' goes too.
    const item = databasePasswordItem('/home/me/team.kdbx');
    await backend.set(item, testSecret('kdbx'));
    const text = await run(uninstall, ['--all', '--purge-keys']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^deleted from the keyring: (.+, )?gh(, .+)?$/m);
    expect(text.stdout).toContain('note: gh (user) starts without its key now: GITHUB_TOKEN (its key gh was deleted from the keyring)');
    expect(readFileSync(settings(), 'utf8')).toBe(userSettings);
    expect(readFileSync(config(), 'utf8')).toBe(before);
    expect(await backend.get('gh')).toBeUndefined();
    expect(await backend.get(item)).toBeUndefined();
  });

  it('--purge-keys needs --all', async () => {
    await expect(run(uninstall, ['--purge-keys'])).rejects.toThrow(/--purge-keys goes with --all/);
  });
});

describe('remove', () => {
  it("warns when it removes a wrapped server's last key; not while another key still feeds it", async () => {
    writeFileSync(config(), claudeConfig());
    expect((await run(add, ['db', '--server', 'db', '--env', 'PGPASSWORD', '--mode', 'wrap', '--stdin'], `${testSecret()}\n`)).code).toBe(0);
    expect((await run(add, ['db2', '--server', 'db', '--env', 'PGUSER', '--mode', 'wrap', '--stdin'], `${testSecret()}\n`)).code).toBe(0);
    expect((await run(add, ['gh', '--server', 'gh', '--env', 'GITHUB_TOKEN', '--stdin'], `${testSecret()}\n`)).code).toBe(0);
    const first = await run(remove, ['db2']);
    expect(first.stderr).toBe('');
    const last = await run(remove, ['db']);
    expect(last.code).toBe(0);
    expect(last.stderr).toContain("db (user) is still wrapped and no key is mapped to it any more: it starts without one. 'keyring-inject unwrap db' restores its original entry");
    // An inject-mode key: nothing stays wrapped, no warning.
    expect((await run(remove, ['gh'])).stderr).toBe('');
  });
});
