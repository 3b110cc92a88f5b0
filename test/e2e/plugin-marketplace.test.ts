// The plugin installed the way Claude Code users install plugins: the repository is a marketplace;
// a fresh `git clone` (no dist/, no node_modules: what a GitHub marketplace hands the client)
// added by local path, then `claude plugin install`. The first session's SessionStart builds the
// runtime into ${CLAUDE_PLUGIN_DATA}; its hooks inject and its guards mask.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { runCli } from '../helpers/spawn-cli.js';
import { CLAUDE_BIN, REPO_ROOT, claudeEnv, claudeScratch, makeClaudeHome, recorderServer, spawnClaude, waitForClaude } from '../helpers/claude/home.js';
import { waitFor } from '../helpers/wait.js';
import { DEFAULT_FAKE_TEXT, startFakeApi } from '../helpers/claude/fake-api.js';

const VAR = 'KI_PLUGIN_TOKEN';
const TEST_TIMEOUT_MS = 240_000;

const scratch = claudeScratch();

describe.runIf(HAVE_SECRET_SERVICE)('the plugin from a git marketplace, with the real client', () => {
  it(
    'marketplace add <fresh clone> + plugin install; the first session builds the runtime, then hooks inject and guards mask',
    async () => {
      const work = scratch.dir('ki-plugin-');
      const clone = path.join(work, 'clone');
      execFileSync('git', ['clone', '--quiet', REPO_ROOT, clone]);
      expect(fs.existsSync(path.join(clone, 'dist'))).toBe(false);
      expect(fs.existsSync(path.join(clone, 'node_modules'))).toBe(false);

      const value = testSecret('plugin');
      const service = testService();
      const h = scratch.add(makeClaudeHome(({ outsideDir }) => ({ mcpServers: { recorder: recorderServer(path.join(outsideDir, 'rec.jsonl'), [VAR]) } })));
      const bus = process.env.DBUS_SESSION_BUS_ADDRESS ?? '';
      const extra = { DBUS_SESSION_BUS_ADDRESS: bus, KEYRING_INJECT_SERVICE: service };
      const env = claudeEnv(h, { api: 'http://127.0.0.1:9', env: extra });
      const claude = (args: string[]) => execFileSync(CLAUDE_BIN, args, { cwd: h.projectDir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      claude(['plugin', 'marketplace', 'add', clone]);
      claude(['plugin', 'install', 'keyring-inject@keyring-inject']);

      const cliEnv = { HOME: h.home, PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...extra };
      const add = await runCli(['add', 'tok', '--server', 'recorder', '--env', VAR, '--stdin'], { env: cliEnv, input: `${value}\n` });
      expect(add.code, add.stderr).toBe(0);

      // Session 1 builds the runtime in its SessionStart hook (npm install + esbuild: seconds).
      let api = scratch.add(await startFakeApi());
      const first = await waitForClaude(spawnClaude(h, ['-p', 'hello'], { api, env: extra }), 120_000);
      expect(first.code, first.stderr).toBe(0);
      const pluginData = path.join(h.configDir, 'plugins', 'data');
      const built = fs.existsSync(pluginData)
        ? fs
            .readdirSync(pluginData, { recursive: true })
            .map(String)
            .filter((f) => f.endsWith(path.join('dist', 'cli.js')))
        : [];
      expect(built.length, `runtime under ${pluginData}`).toBe(1);
      await api.close();

      // Session 2: the key is in the config while it runs, gone after; reading the config is denied.
      api = scratch.add(
        await startFakeApi({
          replies: [
            { type: 'tool_use', id: 'toolu_read', name: 'Read', input: { file_path: h.configPath }, delayMs: 1500 },
            { type: 'text', text: DEFAULT_FAKE_TEXT },
          ],
        }),
      );
      const child = spawnClaude(h, ['-p', 'hello', '--allowedTools', 'Read'], { api, env: extra });
      const done = waitForClaude(child, 90_000);
      await waitFor('the plugin SessionStart hook to inject the key', () => fs.readFileSync(h.configPath, 'utf8').includes(value), 30_000);
      const res = await done;
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(DEFAULT_FAKE_TEXT);
      expect(fs.readFileSync(h.configPath, 'utf8').includes(value)).toBe(false);
      const last = JSON.parse(api.messageRequests().at(-1)?.body ?? '{}') as { messages: { content: unknown }[] };
      const result = last.messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Record<string, unknown>[]) : [])).find((c) => c.tool_use_id === 'toolu_read');
      expect(result?.is_error).toBe(true);
      expect(JSON.stringify(result?.content)).toContain('Blocked by keyring-inject');
      expect(api.allReceivedText().includes(value)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );
});
