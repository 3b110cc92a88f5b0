// `keyring-inject setup` on a real terminal (tmux): it shows the plan, asks once (Enter = yes),
// moves the keys, and for a server that cannot be zero-disk offers the 'claude' alias (default
// no; 'y' appends it to ~/.bashrc once).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { HAVE_TMUX, terminal, type Terminal } from '../helpers/tmux.js';

describe.runIf(HAVE_SECRET_SERVICE && (HAVE_TMUX || process.env.CI))('setup on a terminal', () => {
  let t: TempHome;
  let service: string;
  let term: Terminal;
  beforeEach(() => {
    service = testService();
    t = makeTempHome({ KEYRING_INJECT_SERVICE: service, TERM: 'xterm', SHELL: '/bin/bash', KEYRING_INJECT_CLI: CLI });
    term = terminal(join(t.home, 'tmux.sock'), `kisetup${process.pid}`, t.env);
  });
  afterEach(() => {
    term.kill();
    t.cleanup();
  });

  it('asks before changing anything, applies on Enter, and offers the alias for an injected server', async () => {
    const gh = testSecret('gh');
    const odd = testSecret('odd');
    // "odd" has no command: it cannot be wrapped, so its key is injected and the launcher is needed.
    writeFileSync(
      join(t.home, '.claude.json'),
      JSON.stringify({ mcpServers: { github: { command: 'gh-mcp', env: { GITHUB_PERSONAL_ACCESS_TOKEN: gh } }, odd: { type: 'stdio', env: { ODD_API_KEY: odd } } } }, null, 2),
    );
    const envFlags = Object.entries(t.env)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    term.start(`env -i ${envFlags} ${process.execPath} ${CLI} setup; echo "EXIT=$?"; sleep 30`, { width: 250, height: 60 });
    const plan = await term.waitFor('Go ahead? [Y/n]');
    expect(plan).toContain('Setup will:');
    expect(readFileSync(join(t.home, '.claude.json'), 'utf8')).toContain(gh); // nothing changed before the answer
    term.keys(['Enter']);
    await term.waitFor('Add this alias to');
    term.keys(['y'], true);
    term.keys(['Enter']);
    const final = await term.waitFor('EXIT=');
    expect(final).toContain('EXIT=0');
    expect(final).toMatch(/github \(user\) +keyring: github\.GITHUB_PERSONAL_ACCESS_TOKEN +zero-disk/);
    expect(final).toMatch(/odd \(user\) +keyring: odd\.ODD_API_KEY +injected/);
    expect(secretToolLookup(service, 'github.GITHUB_PERSONAL_ACCESS_TOKEN')).toBe(gh);
    expect(secretToolLookup(service, 'odd.ODD_API_KEY')).toBe(odd);
    const rc = readFileSync(join(t.home, '.bashrc'), 'utf8');
    expect(rc.match(/alias claude='keyring-inject claude'/g)).toHaveLength(1);
    for (const v of [gh, odd]) expectNoLeak(v, [final], [t.home]);
  }, 60_000);
});
