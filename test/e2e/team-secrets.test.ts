// e2e
// Team secrets with the REAL Claude Code client in a real terminal (tmux), offline against the
// fake Messages API, with a real gnome-keyring (issue 15): a fresh clone with a `.mcp.json` (a
// stdio server that records its environment) and a proposal-shaped `.claude/secrets.json` →
// `keyring-inject allow` → `keyring-inject claude` asks once, hidden → the project's server has
// the key at its first spawn → exit → the second start asks nothing → editing the file makes the
// next start refuse until `allow` again. The value is in no file and in no request to the model.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi } from '../helpers/claude/fake-api.js';
import { CLAUDE_BIN, claudeTmpDir, makeClaudeHome, readRecorderReports, recorderServer, sha256Hex, type ClaudeHome, expectEveryStartSaw } from '../helpers/claude/home.js';
import { filesContaining } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI } from '../helpers/spawn-cli.js';
import { sleep } from '../helpers/wait.js';

const haveTmux = spawnSync('sh', ['-c', 'command -v tmux && command -v git'], { stdio: 'ignore' }).status === 0;

describe.runIf(HAVE_SECRET_SERVICE && (haveTmux || process.env.CI))('team secrets with the real client in a terminal', () => {
  let home: ClaudeHome | undefined;
  let api: FakeApi | undefined;
  let socket = '';
  afterEach(async () => {
    if (socket) spawnSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
    await api?.close();
    await home?.cleanup();
  });

  it('allow → asked once, hidden → the .mcp.json server has the key at its first spawn → no question the second time → an edited file is refused', async () => {
    const value = testSecret('team');
    const service = testService();
    api = await startFakeApi();
    let report = '';
    home = makeClaudeHome(({ outsideDir }) => {
      report = path.join(outsideDir, 'recorder.jsonl');
      // Trusted, the custom API key accepted, and the .mcp.json server enabled in Claude Code:
      // if our local copy did not take its place, the project server would start without the key.
      return { extraProjectConfig: { enabledMcpjsonServers: ['db'] }, extraConfig: { customApiKeyResponses: { approved: ['test-key'], rejected: [] } } };
    });
    const h = home;
    // The repository, and a fresh clone of it where Claude Code is trusted.
    const origin = path.join(h.outsideDir, 'origin');
    fs.mkdirSync(path.join(origin, '.claude'), { recursive: true });
    const mcpJson = `${JSON.stringify({ mcpServers: { db: recorderServer(report, ['DATABASE_URL']) } }, null, 2)}\n`;
    fs.writeFileSync(path.join(origin, '.mcp.json'), mcpJson);
    const secrets = { DATABASE_URL: { source: 'built-in', id: 'db-url-prod', targets: [{ server: 'db', env: 'DATABASE_URL' }] } };
    fs.writeFileSync(path.join(origin, '.claude', 'secrets.json'), `${JSON.stringify(secrets, null, 2)}\n`);
    const git = (cwd: string, ...a: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd, stdio: 'ignore' });
    git(origin, 'init', '-q');
    git(origin, 'add', '-A');
    git(origin, 'commit', '-qm', 'team secrets');
    fs.rmSync(h.projectDir, { recursive: true });
    execFileSync('git', ['clone', '-q', origin, h.projectDir], { stdio: 'ignore' });

    socket = path.join(h.outsideDir, 'tmux.sock');
    const session = `team${process.pid}`;
    // No shell history: the shell killed with the server would write it into the run's HOME (see helpers/tmux.ts).
    const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: { ...process.env, HISTFILE: '/dev/null' } });
    const screen = () => tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-500');
    const waitFor = async (re: RegExp, ms = 60_000) => {
      for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(150)) {
        const s = screen();
        if (re.test(s)) return s;
      }
      throw new Error(`the terminal never showed ${String(re)}:\n${screen()}`);
    };
    const waitReports = async (n: number) => {
      for (const t0 = Date.now(); Date.now() - t0 < 60_000; await sleep(150)) if (readRecorderReports(report).length >= n) return;
      throw new Error(`the server did not start (${n}):\n${screen()}`);
    };
    let step = 0;
    const type = (cmd: string) => {
      const mark = `DONE${++step}`;
      tmux('send-keys', '-t', session, '-l', `${cmd}; echo ${mark}=$?`);
      tmux('send-keys', '-t', session, 'Enter');
      return mark;
    };
    const exitCode = async (mark: string) => Number(new RegExp(`${mark}=(\\d+)`).exec(await waitFor(new RegExp(`${mark}=\\d`)))?.[1]);
    /** Ctrl-C twice, as a user leaves Claude Code. */
    const quitClaude = async () => {
      await sleep(1500);
      tmux('send-keys', '-t', session, 'C-c');
      await sleep(400);
      tmux('send-keys', '-t', session, 'C-c');
    };

    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: h.home,
      TERM: 'xterm-256color',
      NO_COLOR: '1',
      ANTHROPIC_BASE_URL: api.url,
      ANTHROPIC_API_KEY: 'test-key',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_TMPDIR: claudeTmpDir(h),
      DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '',
      KEYRING_INJECT_SERVICE: service,
      KEYRING_INJECT_CLAUDE_BIN: CLAUDE_BIN,
    };
    const envFlags = Object.entries(env)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', `env -i ${envFlags} bash --norc --noprofile`);
    tmux('send-keys', '-t', session, '-l', `PS1='$ '; cd ${h.projectDir}; echo READY`);
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(/READY\n/);
    const ki = `${process.execPath} ${CLI}`;

    // Approve; the server gets its wrapped local copy. .mcp.json is not written.
    expect(await exitCode(type(`${ki} allow`))).toBe(0);
    expect(screen()).toContain('MCP server db reads its keys at spawn (a local-scope copy of');

    // First start: asked once, hidden; the server's first (and only) spawn has the key.
    const first = type(`${ki} claude`);
    await waitFor(/input hidden\):/);
    expect(screen()).toContain('DATABASE_URL <- built-in db-url-prod -> db.env.DATABASE_URL   (missing on this machine)');
    tmux('send-keys', '-t', session, '-l', value);
    tmux('send-keys', '-t', session, 'Enter');
    await waitReports(1);
    await quitClaude();
    expect(await exitCode(first)).toBe(0);
    const reports1 = expectEveryStartSaw(report, 'DATABASE_URL', value);

    // Second start: nothing asked.
    const asked = (screen().match(/input hidden\):/g) ?? []).length;
    const second = type(`${ki} claude`);
    await waitReports(reports1.length + 1);
    await quitClaude();
    expect(await exitCode(second)).toBe(0);
    expect((screen().match(/input hidden\):/g) ?? []).length).toBe(asked);
    for (const r of readRecorderReports(report)) expect(r.vars.DATABASE_URL).toBe(sha256Hex(value));

    // An edited file: the next start refuses, naming the change and the command; Claude Code does not start.
    fs.writeFileSync(path.join(h.projectDir, '.claude', 'secrets.json'), JSON.stringify({ ...secrets, LEAK: { source: 'built-in', id: 'db-url-prod', targets: [{ server: 'db', env: 'OTHER' }] } }));
    const n = readRecorderReports(report).length;
    expect(await exitCode(type(`${ki} claude`))).toBe(1);
    const refused = screen();
    expect(refused).toContain('changed since you approved it');
    expect(refused).toContain('+ LEAK <- built-in db-url-prod -> db.env.OTHER');
    expect(refused).toContain(`then run 'keyring-inject allow ${h.projectDir}'`);
    expect(readRecorderReports(report)).toHaveLength(n);

    expect(fs.readFileSync(path.join(h.projectDir, '.mcp.json'), 'utf8')).toBe(mcpJson);
    expect(screen()).not.toContain(value.slice(0, 12));
    expect(filesContaining(value, [h.root])).toEqual([]);
    expect(api.allReceivedText()).not.toContain(value);
  }, 240_000);
});
