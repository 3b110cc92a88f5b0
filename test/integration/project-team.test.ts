// Team secrets (issue 15 items 3-5): two developers clone one repository that commits a
// `.mcp.json` and a `.claude/secrets.json`. Each has a HOME and a keyring of their own (a private
// D-Bus session with its own gnome-keyring: scripts/with-secret-service.sh, nested) and works in
// a real terminal (tmux). Claude Code is played by test/helpers/fake-claude/mcp-launch.mjs, which starts
// the project's stdio servers the way the client does (local scope over .mcp.json); the real
// client runs the same flow in test/e2e/team-secrets.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesContaining } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI } from '../helpers/spawn-cli.js';
import { sleep } from '../helpers/wait.js';

const haveTmux = spawnSync('sh', ['-c', 'command -v tmux && command -v git'], { stdio: 'ignore' }).status === 0;
const WITH_KEYRING = fileURLToPath(new URL('../../scripts/with-secret-service.sh', import.meta.url));
const SPAWNER = fileURLToPath(new URL('../helpers/fake-claude/mcp-launch.mjs', import.meta.url));
const sha = (v: string) => createHash('sha256').update(v).digest('hex');

const SECRETS = { DATABASE_URL: { source: 'built-in', id: 'db-url-prod', targets: [{ server: 'db', env: 'DATABASE_URL' }] } };

interface Dev {
  name: string;
  home: string;
  clone: string;
  report: string;
  session: string;
  value: string;
}

describe.runIf(HAVE_SECRET_SERVICE && (haveTmux || process.env.CI))('two developers, one repository', () => {
  let root: string;
  let socket: string;
  const devs: Dev[] = [];

  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  const screen = (d: Dev) => tmux('capture-pane', '-p', '-J', '-t', d.session, '-S', '-300');
  async function waitFor(d: Dev, text: string | RegExp, ms = 30_000): Promise<string> {
    for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(100)) {
      const s = screen(d);
      if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    }
    throw new Error(`${d.name}'s screen never showed ${String(text)}:\n${screen(d)}`);
  }
  let step = 0;
  /** Type a command in the developer's terminal and wait for its exit code. */
  async function type(d: Dev, cmd: string): Promise<{ code: number; screen: string }> {
    const mark = `DONE${++step}`;
    tmux('send-keys', '-t', d.session, '-l', `${cmd}; echo ${mark}=$?`);
    tmux('send-keys', '-t', d.session, 'Enter');
    const s = await waitFor(d, new RegExp(`${mark}=\\d`), 60_000);
    const m = new RegExp(`${mark}=(\\d+)`).exec(s);
    return { code: Number(m?.[1] ?? -1), screen: s };
  }
  const reports = (d: Dev) =>
    existsSync(d.report)
      ? readFileSync(d.report, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { DATABASE_URL: string | null })
      : [];

  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'ki-team-')));
    socket = join(root, 'tmux.sock');
    // The shared repository: a server that records (the hash of) its key, .mcp.json, secrets.json.
    const origin = join(root, 'origin');
    mkdirSync(join(origin, '.claude'), { recursive: true });
    mkdirSync(join(origin, 'tools'));
    writeFileSync(
      join(origin, 'tools', 'record.cjs'),
      `const v = process.env.DATABASE_URL;
require('fs').appendFileSync(process.env.KI_REPORT, JSON.stringify({ DATABASE_URL: v === undefined ? null : require('crypto').createHash('sha256').update(v).digest('hex') }) + '\\n');\n`,
    );
    writeFileSync(join(origin, '.mcp.json'), `${JSON.stringify({ mcpServers: { db: { command: process.execPath, args: ['tools/record.cjs'] } } }, null, 2)}\n`);
    writeFileSync(join(origin, '.claude', 'secrets.json'), `${JSON.stringify(SECRETS, null, 2)}\n`);
    const git = (cwd: string, ...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd, stdio: 'ignore' });
    git(origin, 'init', '-q');
    git(origin, 'add', '-A');
    git(origin, 'commit', '-qm', 'team secrets');
    const claudeBin = join(root, 'claude');
    writeFileSync(claudeBin, `#!/bin/sh\nexec ${process.execPath} ${SPAWNER} "$@"\n`);
    chmodSync(claudeBin, 0o755);
    tmux('start-server');
    for (const name of ['alice', 'bob']) {
      const home = join(root, name);
      mkdirSync(home);
      const clone = join(home, 'src', 'app');
      execFileSync('git', ['clone', '-q', origin, clone], { stdio: 'ignore' });
      // A fresh HOME: Claude Code has never seen this project.
      writeFileSync(join(home, '.claude.json'), `${JSON.stringify({ hasCompletedOnboarding: true }, null, 2)}\n`);
      const d: Dev = { name, home, clone, report: join(root, `${name}.jsonl`), session: `${name}${process.pid}`, value: testSecret(name) };
      devs.push(d);
      // Each developer's terminal: a shell inside a D-Bus session with a keyring of its own.
      const env = `env -i PATH=${JSON.stringify(process.env.PATH ?? '/usr/bin:/bin')} TERM=xterm HOME=${home}`;
      tmux('new-session', '-d', '-s', d.session, '-x', '250', '-y', '50', `${env} ${WITH_KEYRING} bash --norc --noprofile`);
      tmux(
        'send-keys',
        '-t',
        d.session,
        '-l',
        `export HOME=${home} NO_COLOR=1 KEYRING_INJECT_CLAUDE_BIN=${claudeBin} KI_REPORT=${d.report} PS1='$ '; unset XDG_CONFIG_HOME XDG_CACHE_HOME; cd ${clone}; echo READY`,
      );
      tmux('send-keys', '-t', d.session, 'Enter');
      await waitFor(d, 'READY\n');
    }
  }, 60_000);
  afterAll(() => {
    spawnSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const ki = `${process.execPath} ${CLI}`;

  it("each is refused before approving, asked once on the terminal, and each one's server gets their own value at its first spawn", async () => {
    for (const d of devs) {
      const configBefore = readFileSync(join(d.home, '.claude.json'), 'utf8');
      const refused = await type(d, `${ki} claude`);
      expect(refused.code).toBe(1);
      expect(refused.screen).toContain(`the project file ${d.clone}/.claude/secrets.json is not approved on this machine`);
      expect(refused.screen).toContain('DATABASE_URL <- built-in db-url-prod -> db.env.DATABASE_URL');
      expect(reports(d)).toEqual([]);
      expect(readFileSync(join(d.home, '.claude.json'), 'utf8')).toBe(configBefore);

      const allowed = await type(d, `${ki} allow`);
      expect(allowed.code).toBe(0);
      expect(allowed.screen).toContain('MCP server db reads its keys at spawn (a local-scope copy of');

      // Without a terminal: one line naming the command, nothing started.
      const headless = await type(d, `${ki} claude </dev/null 2>${root}/${d.name}.err`);
      expect(headless.code).toBe(1);
      const err = readFileSync(join(root, `${d.name}.err`), 'utf8');
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).toContain("needs DATABASE_URL, not stored on this machine yet: run 'keyring-inject claude' in a terminal once");
      expect(reports(d)).toEqual([]);

      // On the terminal: the list, the hidden prompt, stored, started.
      const mark = `DONE${++step}`;
      tmux('send-keys', '-t', d.session, '-l', `${ki} claude; echo ${mark}=$?`);
      tmux('send-keys', '-t', d.session, 'Enter');
      const asked = await waitFor(d, 'input hidden):');
      expect(asked).toContain('DATABASE_URL <- built-in db-url-prod -> db.env.DATABASE_URL   (missing on this machine)');
      tmux('send-keys', '-t', d.session, '-l', d.value);
      tmux('send-keys', '-t', d.session, 'Enter');
      const first = await waitFor(d, new RegExp(`${mark}=\\d`));
      expect(first).toContain(`${mark}=0`);
      expect(first).toContain('server db exited 0');
      expect(first).not.toContain(d.value.slice(0, 12));
      expect(reports(d)).toEqual([{ DATABASE_URL: sha(d.value) }]);

      // The next start asks nothing; plain `claude` (zero-disk, no launcher) gets it too.
      const second = await type(d, `${ki} claude </dev/null`);
      expect(second.code).toBe(0);
      const plain = await type(d, '"$KEYRING_INJECT_CLAUDE_BIN"');
      expect(plain.code).toBe(0);
      expect(reports(d)).toEqual([{ DATABASE_URL: sha(d.value) }, { DATABASE_URL: sha(d.value) }, { DATABASE_URL: sha(d.value) }]);
    }

    // Neither value is in the repository, the other HOME, or any file of one's own HOME (the
    // keyrings live in the nested sessions' own directories); the clones are clean.
    for (const d of devs) {
      expect(execFileSync('git', ['status', '--porcelain'], { cwd: d.clone, encoding: 'utf8' })).toBe('');
      for (const v of devs.map((x) => x.value)) expect(filesContaining(v, [d.home, join(root, 'origin')])).toEqual([]);
      expect(readFileSync(join(d.clone, '.mcp.json'), 'utf8')).toBe(readFileSync(join(root, 'origin', '.mcp.json'), 'utf8'));
    }
  }, 240_000);

  it('a change to the file stops the launcher and the wrapped server until `allow` again', async () => {
    const d = devs[0] as Dev;
    const file = join(d.clone, '.claude', 'secrets.json');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, `${JSON.stringify({ ...SECRETS, EXTRA: { source: 'built-in', id: 'db-url-prod', targets: [{ server: 'db', env: 'OTHER' }] } }, null, 2)}\n`);
    const n = reports(d).length;
    const refused = await type(d, `${ki} claude </dev/null`);
    expect(refused.code).toBe(1);
    expect(refused.screen).toContain('changed since you approved it');
    expect(refused.screen).toContain('+ EXTRA <- built-in db-url-prod -> db.env.OTHER');
    // Plain claude: the wrapped server refuses to start with the changed file.
    const plain = await type(d, '"$KEYRING_INJECT_CLAUDE_BIN"');
    expect(plain.screen).toMatch(/server db exited 1: keyring-inject: the project file .* changed since you approved it/);
    expect(reports(d)).toHaveLength(n);
    expect((await type(d, `${ki} allow`)).code).toBe(0);
    expect((await type(d, `${ki} claude </dev/null`)).code).toBe(0);
    expect(reports(d)).toHaveLength(n + 1);
    writeFileSync(file, before);
    expect((await type(d, `${ki} allow`)).code).toBe(0);
  }, 120_000);
});
