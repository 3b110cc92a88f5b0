// e2e
// `keyring-inject setup --yes` end to end with the REAL Claude Code client (offline, fake
// Messages API) and a real gnome-keyring: a HOME whose ~/.claude.json holds plaintext keys for a
// stdio server and an http server -> setup -> plain `claude -p` (no alias, no launcher) starts
// both servers with their keys, no file under HOME holds either value, doctor exits 0. Then a
// server gets a plaintext key again -> doctor exits 3 and names it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpMcpServer } from '../helpers/claude/http-mcp-server.js';
import { startFakeApi, DEFAULT_FAKE_TEXT } from '../helpers/claude/fake-api.js';
import { makeClaudeHome, recorderServer, runClaude, sha256Hex, claudeScratch, expectEveryStartSaw } from '../helpers/claude/home.js';
import { filesContaining } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runNode } from '../helpers/spawn-cli.js';

const VAR = 'RECORDER_API_KEY';

describe.runIf(HAVE_SECRET_SERVICE)('setup with the real Claude Code client', () => {
  const scratch = claudeScratch();

  it('setup --yes, then plain `claude -p` starts both servers with their keys; no file holds them; doctor 0, and 3 once plaintext is back', async () => {
    const stdioValue = testSecret('stdio');
    const httpValue = testSecret('http');
    const service = testService();
    const api = scratch.add(await startFakeApi());
    const remote = scratch.add(await httpMcpServer());
    const url = remote.url;
    let reportFile = '';
    const h = scratch.add(
      makeClaudeHome(({ outsideDir }) => {
        reportFile = path.join(outsideDir, 'recorder.jsonl');
        return {
          mcpServers: {
            recorder: recorderServer(reportFile, [VAR], { [VAR]: stdioValue }),
            remote: { type: 'http', url, headers: { Authorization: `Bearer ${httpValue}` } },
          },
        };
      }),
    );
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: h.home, NO_COLOR: '1', DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '', KEYRING_INJECT_SERVICE: service };

    const setup = await runNode([CLI, 'setup', '--yes'], { env, cwd: h.projectDir, timeoutMs: 60_000 });
    const setupOut = setup.stdout.toString();
    expect(setup.code, setup.stderr + setupOut).toBe(0);
    expect(setupOut).toMatch(/recorder \(user\) +keyring: recorder\.RECORDER_API_KEY +zero-disk/);
    expect(setupOut).toMatch(/remote \(user\) +keyring: remote\.Authorization +zero-disk: sent as a header/);
    expect(setupOut).toContain('All is well.');

    // Plain claude: no alias, no launcher. It has the session bus, as a desktop session does.
    const res = await runClaude(h, ['-p', 'hello'], { api, env: { DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS, KEYRING_INJECT_SERVICE: service }, timeoutMs: 60_000 });
    expect(res.timedOut, res.stderr).toBe(false);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(DEFAULT_FAKE_TEXT);
    expectEveryStartSaw(reportFile, VAR, stdioValue);
    expect(remote.authSeen).toContain(sha256Hex(`Bearer ${httpValue}`));

    for (const v of [stdioValue, httpValue]) {
      expect(filesContaining(v, [h.home])).toEqual([]);
      expect(api.allReceivedText()).not.toContain(v);
      expect(res.stdout + res.stderr + setupOut + setup.stderr).not.toContain(v);
    }
    const doctor = await runNode([CLI, 'doctor'], { env, cwd: h.projectDir });
    expect(doctor.code, doctor.stdout.toString()).toBe(0);

    const again = await runNode([CLI, 'setup', '--yes'], { env, cwd: h.projectDir, timeoutMs: 60_000 });
    expect(again.code).toBe(0);
    expect(again.stdout.toString()).toContain('All is well: nothing to change.');

    // Someone pastes a key into a server's env again.
    const config = h.readConfig();
    const servers = config.mcpServers as Record<string, { env?: Record<string, string> }>;
    const pasted = testSecret('pasted');
    servers.recorder = { ...servers.recorder, env: { ...servers.recorder?.env, PASTED_API_KEY: pasted } };
    h.writeConfig(config);
    const bad = await runNode([CLI, 'doctor'], { env, cwd: h.projectDir });
    expect(bad.code).toBe(3);
    expect(bad.stdout.toString()).toMatch(/recorder \(user\): .*PASTED_API_KEY/s);
    expect(bad.stdout.toString() + bad.stderr).not.toContain(pasted);
  }, 120_000);
});
