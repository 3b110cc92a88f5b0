// The hidden prompt on a real terminal (tmux): what the user types is never on screen and
// reaches the keyring intact.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { HAVE_TMUX, terminal, type Terminal } from '../helpers/tmux.js';

describe.runIf(HAVE_SECRET_SERVICE && (HAVE_TMUX || process.env.CI))('hidden prompt on a terminal', () => {
  let t: TempHome;
  let service: string;
  let term: Terminal;
  beforeEach(() => {
    service = testService();
    t = makeTempHome({ KEYRING_INJECT_SERVICE: service, TERM: 'xterm' });
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { command: 'x' } } }));
    term = terminal(join(t.home, 'tmux.sock'), `ki${process.pid}`, t.env);
  });
  afterEach(() => {
    term.kill();
    t.cleanup();
  });

  it('asks for server and env, reads the value without echo, and stores it', async () => {
    const secret = testSecret();
    const envFlags = Object.entries(t.env)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    term.start(`env -i ${envFlags} ${process.execPath} ${CLI} add gh; echo "EXIT=$?"; sleep 30`);
    await term.waitFor('MCP server (github) [github]:');
    term.keys(['Enter']);
    // The default is what a GitHub server reads, not the key name upper-cased: Enter accepts it.
    await term.waitFor('Environment variable github reads [GITHUB_PERSONAL_ACCESS_TOKEN]:');
    term.keys(['Enter']);
    await term.waitFor('(input hidden):');
    term.keys([`${secret}XY`], true);
    term.keys(['BSpace', 'BSpace', 'Enter']);
    const final = await term.waitFor('EXIT=');
    expect(final).toContain('EXIT=0');
    expect(final).toContain('stored gh');
    expect(final).toContain('-> github.env.GITHUB_PERSONAL_ACCESS_TOKEN (user)');
    expect(final).not.toContain(secret.slice(0, 12));
    expect(secretToolLookup(service, 'gh')).toBe(secret);
    expectNoLeak(secret, [final], [t.home]);
  });

  it('asks before storing an empty value and stores nothing on "no"', async () => {
    const envFlags = Object.entries(t.env)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    term.start(`env -i ${envFlags} ${process.execPath} ${CLI} add empty --server github --env E; echo "EXIT=$?"; sleep 30`);
    await term.waitFor('(input hidden):');
    term.keys(['Enter']);
    await term.waitFor('Store an empty value? [y/N]');
    term.keys(['Enter']);
    const final = await term.waitFor('EXIT=');
    expect(final).toContain('EXIT=1');
    expect(final).toContain('nothing stored');
    expect(secretToolLookup(service, 'empty')).toBeUndefined();
  });
});
