// The headless advice we print (GNOME_KEYRING_STEPS) typed literally, line by line, into a bash
// that has no session bus (env -i: PATH and HOME only), as a user on an SSH box would: it must
// leave a working keyring. An empty password must be refused with its own explanation.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GNOME_KEYRING_STEPS } from '../../src/keyring/headless-advice.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { CLI } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const haveTools = process.platform === 'linux' && spawnSync('sh', ['-c', 'command -v dbus-run-session && command -v gnome-keyring-daemon && command -v bash'], { stdio: 'ignore' }).status === 0;

describe.runIf(haveTools || process.env.CI)('headless advice, followed literally', () => {
  let t: TempHome;
  beforeEach(() => {
    t = makeTempHome();
  });
  afterEach(() => t.cleanup());

  /** Types the advice into a bus-less bash; `password` is what the user types at `read -rs`. */
  function follow(password: string, value: string): { stdout: string; stderr: string } {
    const lines: string[] = [];
    for (const step of GNOME_KEYRING_STEPS) {
      lines.push(step.command);
      if (step.command.startsWith('read ')) lines.push(password);
    }
    lines.push(
      `printf %s "$KI_VALUE" | node "${CLI}" add gh --server github --env GITHUB_PERSONAL_ACCESS_TOKEN --stdin >/dev/null 2>"$HOME/add.err"; echo "add=$?"`,
      `node "${CLI}" run -- sh -c '[ "$GITHUB_PERSONAL_ACCESS_TOKEN" = "$KI_VALUE" ] && echo same-value' 2>/dev/null`,
      'cat "$HOME/add.err" >&2',
    );
    const r = spawnSync('bash', [], {
      input: `${lines.join('\n')}\n`,
      env: { PATH: t.env.PATH as string, HOME: t.home, KI_VALUE: value, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { stdout: r.stdout, stderr: r.stderr };
  }

  it('creates, unlocks and uses a keyring in a shell that had no session bus', () => {
    expect(GNOME_KEYRING_STEPS.map((s) => s.command).join('\n')).not.toContain('dbus-launch'); // dbus-x11 is not installed
    const value = testSecret();
    const r = follow('correct horse battery', value);
    expect(r.stdout).toContain('add=0');
    expect(r.stdout).toContain('same-value');
    expect(existsSync(join(t.home, '.local', 'share', 'keyrings', 'login.keyring'))).toBe(true);
    expectNoLeak(value, [r.stdout, r.stderr], []);
  }, 60_000);

  it('an empty password gets its own explanation, not the same advice again', () => {
    const value = testSecret();
    const r = follow('', value);
    expect(r.stdout).toContain('add=1');
    expect(r.stdout).not.toContain('same-value');
    const err = r.stderr.split('\n').filter((l) => l.startsWith('keyring-inject:'));
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/creates one only when it is unlocked with a non-empty password/);
    expect(err[0]).not.toContain('dbus-run-session');
    expectNoLeak(value, [r.stdout, r.stderr], [t.home]);
  }, 60_000);

  it('setup without a session bus shows the one screen of choices, exits 1 and moves nothing', () => {
    const value = testSecret();
    const cfg = join(t.home, '.claude.json');
    writeFileSync(cfg, JSON.stringify({ mcpServers: { github: { command: 'gh-mcp', env: { GITHUB_PERSONAL_ACCESS_TOKEN: value } } } }));
    const before = readFileSync(cfg, 'utf8');
    const r = spawnSync(process.execPath, [CLI, 'setup', '--yes'], { env: { PATH: t.env.PATH as string, HOME: t.home, NO_COLOR: '1' }, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    for (const step of GNOME_KEYRING_STEPS) expect(r.stderr).toContain(step.command);
    expect(r.stderr).toContain('--source pass');
    expect(r.stderr).toContain('export KEYRING_INJECT_BACKEND=keyutils');
    expect(readFileSync(cfg, 'utf8')).toBe(before);
    expectNoLeak(value, [r.stdout, r.stderr], []);
  });
});
