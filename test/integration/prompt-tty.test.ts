// The hidden prompt on a real terminal (tmux): what the user types is never on screen and
// reaches the keyring intact.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const haveTmux = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(HAVE_SECRET_SERVICE && (haveTmux || process.env.CI))('hidden prompt on a terminal', () => {
  let t: TempHome;
  let service: string;
  let session: string;
  let socket: string;
  beforeEach(() => {
    service = testService();
    t = makeTempHome({ KEYRING_INJECT_SERVICE: service, TERM: 'xterm' });
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { command: 'x' } } }));
    session = `ki${process.pid}`;
    socket = join(t.home, 'tmux.sock');
  });
  afterEach(() => {
    spawnSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
    t.cleanup();
  });

  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: t.env });
  const screen = () => tmux('capture-pane', '-p', '-t', session, '-S', '-100');
  async function waitFor(text: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const s = screen();
      if (s.includes(text)) return s;
      await sleep(100);
    }
    throw new Error(`screen never showed ${JSON.stringify(text)}:\n${screen()}`);
  }

  it('asks for server and env, reads the value without echo, and stores it', async () => {
    const secret = testSecret();
    const envFlags = Object.entries(t.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', `env -i ${envFlags} ${process.execPath} ${CLI} add gh; echo "EXIT=$?"; sleep 30`);
    await waitFor('MCP server (github) [github]:');
    tmux('send-keys', '-t', session, 'Enter');
    // The default is what a GitHub server reads, not the key name upper-cased: Enter accepts it.
    await waitFor('Environment variable github reads [GITHUB_PERSONAL_ACCESS_TOKEN]:');
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor('(input hidden):');
    tmux('send-keys', '-t', session, '-l', `${secret}XY`);
    tmux('send-keys', '-t', session, 'BSpace', 'BSpace', 'Enter');
    const final = await waitFor('EXIT=');
    expect(final).toContain('EXIT=0');
    expect(final).toContain('stored gh');
    expect(final).toContain('-> github.env.GITHUB_PERSONAL_ACCESS_TOKEN (user)');
    expect(final).not.toContain(secret.slice(0, 12));
    expect(secretToolLookup(service, 'gh')).toBe(secret);
    expectNoLeak(secret, [final], [t.home]);
  });

  it('asks before storing an empty value and stores nothing on "no"', async () => {
    const envFlags = Object.entries(t.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', `env -i ${envFlags} ${process.execPath} ${CLI} add empty --server github --env E; echo "EXIT=$?"; sleep 30`);
    await waitFor('(input hidden):');
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor('Store an empty value? [y/N]');
    tmux('send-keys', '-t', session, 'Enter');
    const final = await waitFor('EXIT=');
    expect(final).toContain('EXIT=1');
    expect(final).toContain('nothing stored');
    expect(secretToolLookup(service, 'empty')).toBeUndefined();
  });
});
