// Headless Linux failure modes, each in a private D-Bus session of its own: the CLI must fail
// within a bounded time, with one line that names the fix, and store nothing anywhere.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { CLI } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const haveDbus = process.platform === 'linux' && spawnSync('sh', ['-c', 'command -v dbus-run-session && command -v gnome-keyring-daemon'], { stdio: 'ignore' }).status === 0;

interface Outcome {
  code: number;
  ms: number;
  stderr: string;
}

describe.runIf(haveDbus || process.env.CI)('headless Linux keyring failures', () => {
  let t: TempHome;
  let secret: string;
  beforeEach(() => {
    t = makeTempHome();
    secret = testSecret();
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { command: 'x' }, s: { command: 'y' } } }));
  });
  afterEach(() => t.cleanup());

  // gnome-keyring no longer prints its pid: ask the private bus who owns the Secret Service name.
  const daemonPid = `$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ {print $2}')`;

  /** Runs `prelude` and then `add --stdin` inside a fresh dbus-run-session; reports exit code, time and stderr of the add. */
  function addUnder(prelude: string, dbusConfig?: string, postlude = ''): Outcome {
    const script = `${prelude}
      start=$(date +%s%N)
      printf %s "$KI_VALUE" | node "${CLI}" add gh --server github --env GITHUB_TOKEN --stdin 2>"$HOME/err" >/dev/null
      code=$?
      end=$(date +%s%N)
      echo "$code $(( (end - start) / 1000000 ))"
      ${postlude}`;
    const args = [...(dbusConfig ? [`--config-file=${dbusConfig}`] : []), '--', 'sh', '-c', script];
    const out = execFileSync('dbus-run-session', args, {
      env: { ...t.env, KI_VALUE: secret, XDG_DATA_HOME: join(t.home, 'data') },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
    const [code, ms] = out.trim().split('\n').pop()!.split(' ').map(Number);
    const stderr = execFileSync('cat', [join(t.home, 'err')], { encoding: 'utf8' });
    return { code: code!, ms: ms!, stderr };
  }

  function expectCleanFailure(o: Outcome, fix: RegExp): void {
    expect(o.code).toBe(1);
    expect(o.stderr.trim().split('\n')).toHaveLength(1);
    expect(o.stderr).toMatch(fix);
    expect(o.ms).toBeLessThan(4000);
    expectNoLeak(secret, [o.stderr], [t.home]);
    console.log(`  failure time: ${o.ms} ms`);
  }

  it('no Secret Service provider on the bus', () => {
    // A session bus that cannot activate anything: nobody owns org.freedesktop.secrets.
    const conf = join(t.home, 'bus.conf');
    writeFileSync(
      conf,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:tmpdir=${t.home}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
    );
    expectCleanFailure(addUnder('', conf), /No Secret Service provider is running.*gnome-keyring-daemon/);
  });

  it('a locked collection', () => {
    // Create the login keyring with one password, restart the daemon without unlocking it.
    const o = addUnder(`
      eval "$(printf %s pw1 | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
      printf %s x | node "${CLI}" add warmup --server s --env W --stdin >/dev/null 2>&1
      pid=${daemonPid}; kill "$pid"
      # Under load the old daemon takes longer than a fixed sleep to go; a new start would then
      # find it (unlocked) still on the bus. Wait until it is gone and the new one owns the name.
      i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
      eval "$(gnome-keyring-daemon --start --components=secrets)" >/dev/null
      i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done`);
    expectCleanFailure(o, /(locked: unlock it|gnome-keyring-daemon --unlock)/);
  });

  it('a provider that never answers', () => {
    // A stopped daemon never notices its bus going away: kill it, or it outlives the test.
    const o = addUnder(
      `
      eval "$(printf %s pw1 | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
      sleep 0.2; stopped=${daemonPid}; kill -STOP "$stopped"`,
      undefined,
      'kill -KILL "$stopped" 2>/dev/null',
    );
    expectCleanFailure(o, /(did not answer within|gnome-keyring-daemon --unlock)/);
    expect(o.ms).toBeGreaterThan(500);
  });

  it('no D-Bus session at all', () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, 'add', 'gh', '--server', 'github', '--env', 'T', '--stdin'], {
      env: { PATH: t.env.PATH, HOME: t.home, NO_COLOR: '1' },
      input: secret,
      encoding: 'utf8',
    });
    expectCleanFailure({ code: r.status ?? -1, ms: performance.now() - t0, stderr: r.stderr }, /DBUS_SESSION_BUS_ADDRESS is not set.*KEYRING_INJECT_BACKEND=keyutils/);
  });
});
