// e2e
// Smoke test of the e2e harness (test/helpers/claude/): the REAL Claude Code client (installed on demand by scripts/install-test-client.mjs,
// @anthropic-ai/claude-code) runs `claude -p hello` offline in a temp HOME against the fake
// Messages API, spawns a stdio MCP server configured in ~/.claude.json with its `env`, and
// fires the SessionStart/SessionEnd hooks declared in ~/.claude/settings.json.
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startFakeApi, DEFAULT_FAKE_TEXT } from '../helpers/claude/fake-api.js';
import { makeClaudeHome, recorderServer, readJsonLines, runClaude, appendStdinHookCommand, type HookInput, claudeScratch, expectEveryStartSaw } from '../helpers/claude/home.js';
import { filesContaining } from '../helpers/leak.js';

const TEST_TIMEOUT_MS = 60_000;
const WATCHED_VAR = 'KI_SMOKE_VALUE';

describe('e2e harness: real Claude Code client, offline', () => {
  const scratch = claudeScratch();

  it(
    'claude -p hello: prints the fake reply, gives the MCP server its env, fires SessionStart and SessionEnd',
    async () => {
      // A random test value made now (never a credential-looking literal).
      const value = `ki-smoke-${randomBytes(16).toString('hex')}`;
      const api = scratch.add(await startFakeApi());
      let reportFile = '';
      let hookLog = '';
      const home = scratch.add(
        makeClaudeHome(({ outsideDir }) => {
          reportFile = path.join(outsideDir, 'recorder.jsonl');
          hookLog = path.join(outsideDir, 'hooks.jsonl');
          const hook = { type: 'command', command: appendStdinHookCommand(hookLog), timeout: 10 };
          return {
            mcpServers: { recorder: recorderServer(reportFile, [WATCHED_VAR], { [WATCHED_VAR]: value }) },
            settings: { hooks: { SessionStart: [{ hooks: [hook] }], SessionEnd: [{ hooks: [hook] }] } },
          };
        }),
      );

      const res = await runClaude(home, ['-p', 'hello'], { api, timeoutMs: 50_000 });

      expect(res.timedOut, `timed out; stderr: ${res.stderr}`).toBe(false);
      expect(res.code, `stderr: ${res.stderr}`).toBe(0);
      expect(res.stdout).toContain(DEFAULT_FAKE_TEXT);

      // The client reached the fake model.
      const posts = api.messageRequests();
      expect(posts.length).toBeGreaterThanOrEqual(1);
      expect(posts[0]?.url).toMatch(/^\/v1\/messages(\?|$)/);

      // The MCP server was spawned with the `env` of its config entry.
      expectEveryStartSaw(reportFile, WATCHED_VAR, value);

      // Both session hooks fired, for the same session.
      const hooks = readJsonLines<HookInput>(hookLog);
      const start = hooks.filter((h) => h.hook_event_name === 'SessionStart');
      const end = hooks.filter((h) => h.hook_event_name === 'SessionEnd');
      expect(start).toHaveLength(1);
      expect(end).toHaveLength(1);
      expect(start[0]?.source).toBe('startup');
      expect(typeof start[0]?.session_id).toBe('string');
      expect(start[0]?.session_id.length).toBeGreaterThan(0);
      expect(end[0]?.session_id).toBe(start[0]?.session_id);

      // A server's env is not something the model sees, and the harness files hold only hashes.
      expect(api.allReceivedText()).not.toContain(value);
      expect(filesContaining(value, [home.outsideDir])).toEqual([]);
      // Sanity check of findInTree itself: the value IS in the config we wrote into HOME.
      expect(filesContaining(value, [home.home])).toContain(home.configPath);
    },
    TEST_TIMEOUT_MS,
  );
});
