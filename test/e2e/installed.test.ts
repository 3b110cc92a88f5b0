// keyring-inject installed as users install it (npm install -g of the packed tarball, into a
// throwaway prefix), `install`ed, and then the prefix deleted: the real client's hooks, guards and
// wrapped servers keep working from the runtime copy under the data dir.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLAUDE_BIN, REPO_ROOT, claudeScratch, makeClaudeHome, readRecorderReports, recorderServer, sha256Hex, spawnClaude, waitForClaude } from '../helpers/claude/home.js';
import { waitFor } from '../helpers/wait.js';
import { guardServicesFor, watchdogsFor } from '../helpers/processes.js';
import { filesContaining } from '../helpers/leak.js';
import { DEFAULT_FAKE_TEXT, startFakeApi } from '../helpers/claude/fake-api.js';

const VAR = 'KI_INSTALLED_TOKEN';
const TEST_TIMEOUT_MS = 240_000;

const scratch = claudeScratch();

function run(bin: string, args: string[], env: Record<string, string>, input = ''): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(bin, args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.runIf(HAVE_SECRET_SERVICE)('installed from the packed tarball, then the package deleted', () => {
  it(
    'npm install -g into a throwaway prefix, install, delete the prefix: SessionStart injects, SessionEnd strips, the guard denies, the wrapped server gets its key; then uninstall --all leaves no trace',
    async () => {
      const work = scratch.dir('ki-installed-');
      const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const tarball = path.join(work, packed.trim().split('\n').pop() as string);
      const prefix = path.join(work, 'prefix');
      execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], { stdio: ['ignore', 'ignore', 'inherit'] });
      const bin = path.join(prefix, 'bin', 'keyring-inject');

      const injected = testSecret('inj');
      const zeroDisk = testSecret('zd');
      const service = testService();
      let injectReport = '';
      let wrapReport = '';
      const h = scratch.add(
        makeClaudeHome(({ outsideDir }) => {
          injectReport = path.join(outsideDir, 'inject.jsonl');
          wrapReport = path.join(outsideDir, 'wrap.jsonl');
          return { mcpServers: { recorder: recorderServer(injectReport, [VAR]), zd: recorderServer(wrapReport, [VAR]) } };
        }),
      );
      const configBefore = JSON.parse(fs.readFileSync(h.configPath, 'utf8')) as Record<string, unknown>;
      expect(fs.existsSync(h.settingsPath)).toBe(false);
      const bus = process.env.DBUS_SESSION_BUS_ADDRESS ?? '';
      // The client on PATH, as a user has it: the default install then serves the guards from the runtime's guard service.
      const env = { HOME: h.home, PATH: `${path.dirname(CLAUDE_BIN)}:${process.env.PATH ?? '/usr/bin:/bin'}`, DBUS_SESSION_BUS_ADDRESS: bus, KEYRING_INJECT_SERVICE: service, NO_COLOR: '1' };

      expect(run(bin, ['add', 'inj', '--server', 'recorder', '--env', VAR, '--stdin'], env, `${injected}\n`).code).toBe(0);
      expect(run(bin, ['add', 'zd', '--server', 'zd', '--env', VAR, '--mode', 'wrap', '--stdin'], env, `${zeroDisk}\n`).code).toBe(0);
      const inst = run(bin, ['install', '--json'], env);
      expect(inst.code, inst.stderr).toBe(0);
      expect(JSON.parse(inst.stdout).rewrapped).toEqual(['zd (user)']);
      expect(JSON.parse(inst.stdout).hooks.PreToolUse).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/keyring-inject\/guard\/pre-tool-use$/);

      fs.rmSync(prefix, { recursive: true, force: true });
      fs.rmSync(tarball, { force: true });
      // Nothing Claude Code runs names the deleted package.
      for (const f of [h.configPath, h.settingsPath]) expect(fs.readFileSync(f, 'utf8')).not.toContain(work);

      // The model first reads ~/.claude.json (after a pause, so that the session is alive while we
      // look at the config), then answers.
      const api = scratch.add(
        await startFakeApi({
          replies: [
            { type: 'tool_use', id: 'toolu_read', name: 'Read', input: { file_path: h.configPath }, delayMs: 1500 },
            { type: 'text', text: DEFAULT_FAKE_TEXT },
          ],
        }),
      );
      const configHolds = (v: string) => fs.readFileSync(h.configPath, 'utf8').includes(v);
      const child = spawnClaude(h, ['-p', 'hello', '--allowedTools', 'Read'], { api, env: { DBUS_SESSION_BUS_ADDRESS: bus, KEYRING_INJECT_SERVICE: service } });
      const done = waitForClaude(child, 90_000);
      await waitFor('SessionStart to inject the key', () => configHolds(injected), 30_000);
      const res = await done;
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(DEFAULT_FAKE_TEXT);
      expect(res.stderr).not.toMatch(/MODULE_NOT_FOUND|is missing|is gone/);

      // SessionEnd took the key out again.
      expect(configHolds(injected)).toBe(false);
      // The guard denied the read (the model saw the reason, never the file).
      const last = JSON.parse(api.messageRequests().at(-1)?.body ?? '{}') as { messages: { content: unknown }[] };
      const result = last.messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Record<string, unknown>[]) : [])).find((c) => c.tool_use_id === 'toolu_read');
      expect(result?.is_error).toBe(true);
      expect(JSON.stringify(result?.content)).toContain('Blocked by keyring-inject');
      // The wrapped server started from the runtime copy, with its key.
      expect(readRecorderReports(wrapReport).map((r) => r.vars[VAR])).toContain(sha256Hex(zeroDisk));
      expect(api.allReceivedText().includes(injected) || api.allReceivedText().includes(zeroDisk)).toBe(false);
      expect(filesContaining(zeroDisk, [h.root])).toEqual([]);
      expect(readRecorderReports(injectReport).length).toBeGreaterThan(0);

      // uninstall --all, through the runtime (the package is gone): as if never installed.
      const launcher = path.join(h.configDir, 'keyring-inject', 'runtime', 'cli.js');
      const un = run(process.execPath, [launcher, 'uninstall', '--all', '--json'], env);
      expect(un.code, un.stderr).toBe(0);
      expect(JSON.parse(un.stdout)).toMatchObject({ unwrapped: ['zd (user)'], hooksRemoved: 5, mcpServerRemoved: true, filesRemoved: [h.settingsPath], dataDirRemoved: true });
      expect(fs.existsSync(h.settingsPath)).toBe(false);
      expect(fs.existsSync(path.join(h.configDir, 'keyring-inject'))).toBe(false);
      // The guard service (its record gone) and the watchdog do not outlive it.
      await waitFor('the guard service and the watchdog to exit', () => guardServicesFor(h.home).length === 0 && watchdogsFor(h.home).length === 0, 15_000);
      const configAfter = JSON.parse(fs.readFileSync(h.configPath, 'utf8')) as Record<string, unknown>;
      // Claude Code's own bookkeeping (numStartups, projects[..].last*...) changed during the
      // session; everything of ours is gone and the servers are exactly as before.
      expect(configAfter['mcpServers']).toEqual(configBefore['mcpServers']);
      expect(fs.readFileSync(h.configPath, 'utf8')).not.toContain('keyring-inject');
    },
    TEST_TIMEOUT_MS,
  );
});
