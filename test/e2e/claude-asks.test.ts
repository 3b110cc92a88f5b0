// e2e
// The issue-16 scene with the REAL Claude Code client, offline:
//   "I need to connect to our CRM API. I have an API key."
// The fake model calls request_secret (our `keyring-inject mcp` server, registered by
// `keyring-inject install`); Claude Code shows its "wants to open a URL" dialog in an interactive
// session driven with tmux; the test plays the user: accepts; the client hands the link to the
// "browser" ($BROWSER, which records it), and real Chromium opens it, a person's keystrokes type
// the value and the browser submits the form. The value lands in a real
// gnome-keyring, the reference in .claude/secrets.json. Then the model runs
// `keyring-inject run -- node fetch.js`; fetch.js calls a loopback stub "CRM API" with the key.
// A second session (-p) lists the secrets and runs the same command without asking.
// Neither any request to the model nor any file under the temp tree (transcripts included) holds
// the value.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runCli, shellQuote } from '../helpers/spawn-cli.js';
import { CLAUDE_BIN, REPO_ROOT, claudeEnv, killAllClaude, makeClaudeHome, runClaude, type ClaudeHome } from '../helpers/claude/home.js';
import { filesContaining } from '../helpers/leak.js';
import { DEFAULT_FAKE_TEXT, startFakeApi, type FakeApi, type FakeReply, toolResults } from '../helpers/claude/fake-api.js';
import { sleep, waitUntil } from '../helpers/wait.js';
import { launchBrowser, type TestBrowser } from '../helpers/browsers.js';

const haveTmux = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0;
const TEST_TIMEOUT_MS = 180_000;
const TOOL = 'mcp__keyring-inject__request_secret';
const LIST = 'mcp__keyring-inject__list_secrets';

const tool = (id: string, name: string, input: Record<string, unknown>): FakeReply => ({ type: 'tool_use', id, name, input });

/** The stub "CRM API": records the Authorization header of each call. */
async function startCrm(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(String(req.headers.authorization ?? ''));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ contacts: [{ name: 'Ada' }, { name: 'Grace' }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

interface Scene {
  api?: FakeApi;
  browser?: TestBrowser;
  crm?: { close(): Promise<void> };
  home?: ClaudeHome;
  tmuxSocket?: string;
}
let scene: Scene = {};

/** Ctrl-C twice, then wait (up to 15 s) until the pane runs the `sleep` after the client. */
async function endInteractive(socket: string): Promise<void> {
  const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  for (let i = 0; i < 75; i++) {
    const cmd = tmux('display-message', '-p', '-t', 'ki', '#{pane_current_command}');
    if (cmd.status !== 0 || cmd.stdout.trim() === 'sleep') return;
    if (i % 10 === 0) {
      tmux('send-keys', '-t', 'ki', 'C-c');
      await sleep(300);
      tmux('send-keys', '-t', 'ki', 'C-c');
    }
    await sleep(200);
  }
}

describe.runIf(HAVE_SECRET_SERVICE && (haveTmux || process.env.CI))('Claude asks for a key, uses it, and never sees it (real client)', () => {
  afterEach(async () => {
    if (scene.tmuxSocket) {
      // End the client first (Ctrl-C twice, as a user does): killed with the tmux server, it would
      // run its SessionEnd hook and write its MCP logs into the temp HOME after cleanup.
      await endInteractive(scene.tmuxSocket);
      spawnSync('tmux', ['-S', scene.tmuxSocket, 'kill-server'], { stdio: 'ignore' });
    }
    killAllClaude();
    await scene.browser?.close();
    await scene.api?.close();
    await scene.crm?.close();
    await scene.home?.cleanup();
    scene = {};
  });

  it(
    'request_secret in an interactive session, run -- node fetch.js, and a second session that does not ask again',
    async () => {
      const value = testSecret('crm');
      const service = testService();
      const crm = await startCrm();
      scene.crm = crm;
      const ids = { ask: 'toolu_ask', run: 'toolu_run', list: 'toolu_list', print: 'toolu_print', run2: 'toolu_run2' };
      const api = await startFakeApi({
        replies: [
          tool(ids.ask, TOOL, { name: 'CRM_API_KEY', purpose: 'to read contacts from the CRM API' }),
          tool(ids.run, 'Bash', { command: 'keyring-inject run -- node fetch.js', description: 'fetch contacts' }),
          { type: 'text', text: 'session one done' },
          tool(ids.list, LIST, {}),
          // A model that wants the value itself: denied before it runs.
          tool(ids.print, 'Bash', { command: 'keyring-inject run -- printenv CRM_API_KEY', description: 'show key' }),
          tool(ids.run2, 'Bash', { command: 'keyring-inject run --only CRM_API_KEY -- node fetch.js', description: 'fetch contacts' }),
          { type: 'text', text: DEFAULT_FAKE_TEXT },
        ],
      });
      scene.api = api;
      const home = makeClaudeHome({ extraConfig: { customApiKeyResponses: { approved: ['test-key'], rejected: [] } } });
      scene.home = home;
      fs.mkdirSync(path.join(home.projectDir, '.git'));
      // fetch.js, as a user's project would have it: the key from its environment, never printed.
      fs.writeFileSync(
        path.join(home.projectDir, 'fetch.js'),
        `const key = process.env.CRM_API_KEY;
if (!key) { console.error('CRM_API_KEY is not set'); process.exit(2); }
fetch(${JSON.stringify(crm.url)} + '/contacts', { headers: { authorization: 'Bearer ' + key } })
  .then((r) => r.json())
  .then((j) => console.log('contacts: ' + j.contacts.map((c) => c.name).join(', ') + ' (debug: used key ' + key + ')'));
`,
      );
      // `keyring-inject` on PATH, as after `npm install -g keyring-inject`.
      const bin = path.join(home.outsideDir, 'bin');
      fs.mkdirSync(bin);
      fs.symlinkSync(CLI, path.join(bin, 'keyring-inject'));
      const PATH = `${bin}:${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
      const bus = process.env.DBUS_SESSION_BUS_ADDRESS ?? '';
      const cliEnv = { HOME: home.home, PATH, DBUS_SESSION_BUS_ADDRESS: bus, KEYRING_INJECT_SERVICE: service, NO_COLOR: '1' };
      // The client opens a link with $BROWSER: this one records it for the test's real browser.
      const opened = path.join(home.outsideDir, 'opened-urls');
      const openUrl = path.join(bin, 'open-url');
      fs.writeFileSync(openUrl, `#!/bin/sh\nprintf '%s\\n' "$1" >> ${shellQuote(opened)}\n`, { mode: 0o755 });

      // Hooks, guards and the MCP server exactly as a user gets them.
      const inst = await runCli(['install', '--json'], { env: cliEnv });
      expect(inst.code, inst.stderr).toBe(0);
      const config = home.readConfig() as { mcpServers?: Record<string, unknown> };
      expect(Object.keys(config.mcpServers ?? {})).toContain('keyring-inject');

      // ---- Session 1: interactive, in tmux. The test is the user.
      const env = claudeEnv(home, { api, env: { ...cliEnv, TERM: 'xterm-256color', BROWSER: openUrl } });
      const socket = path.join(home.outsideDir, 'tmux.sock');
      scene.tmuxSocket = socket;
      const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
      const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'ki', '-S', '-200');
      const waitFor = async (test: (s: string) => boolean, what: string, ms = 60_000): Promise<string> => {
        const until = Date.now() + ms;
        for (;;) {
          const s = screen();
          if (test(s)) return s;
          if (Date.now() > until) throw new Error(`screen never showed ${what}:\n${s}`);
          await sleep(200);
        }
      };
      const envArgs = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${shellQuote(v)}`]));
      // Default permission mode: 2.1.332's auto mode wants a server-side check the fake API cannot give.
      const claudeCmd = [CLAUDE_BIN, '--permission-mode', 'default', '--allowedTools', shellQuote(`${TOOL},Bash`), '--', shellQuote('I need to connect to our CRM API. I have an API key.')].join(' ');
      tmux('new-session', '-d', '-s', 'ki', '-x', '250', '-y', '60', '-c', home.projectDir, `env -i ${envArgs.join(' ')} ${claudeCmd}; sleep 30`);

      const dialog = await waitFor((s) => /wants to open a URL/.test(s), 'the URL dialog');
      // 2.1.332 prints the name in curly quotes: MCP server “keyring-inject” wants to open a URL
      expect(dialog).toMatch(/MCP server .keyring-inject. wants to open a URL/);
      const url = /http:\/\/127\.0\.0\.1:\d+\/s\/[A-Za-z0-9_-]{43}/.exec(dialog)?.[0];
      expect(url, dialog).toBeDefined();
      // Accept (the first choice). The dialog takes keys only once it is drawn completely: retry
      // until it turns into the "waiting for completion" state (the client has opened the link).
      for (let i = 0; !/waiting for completion/.test(screen()); i++) {
        if (i === 20) throw new Error(`the dialog did not take Enter:\n${screen()}`);
        tmux('send-keys', '-t', 'ki', 'Enter');
        await sleep(500);
      }
      // The client handed the link to the browser; a person types the value there and submits.
      await waitUntil(() => fs.existsSync(opened), 10_000);
      expect(fs.readFileSync(opened, 'utf8').trim().split('\n')).toEqual([url]);
      scene.browser = await launchBrowser('chromium');
      const tab = await scene.browser.newPage();
      expect(await tab.goto(url as string)).toBe(200);
      await tab.type('#value', value);
      await tab.clickAndWait('button[type=submit]');
      expect(await tab.text()).toMatch(/Stored\s+CRM_API_KEY is in your OS keyring/);
      expect(await tab.dom()).not.toContain(value);
      // Our server tells the client the page is done: the waiting dialog goes away by itself.
      await waitFor((s) => !/waiting for completion/.test(s), 'the waiting dialog closing', 20_000);

      await api.waitForMessageRequests(3, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}; the screen:\n${screen()}`);
      });
      await waitFor((s) => s.includes('session one done'), 'the end of the first turn');
      await endInteractive(socket);

      const r1 = toolResults(api);
      expect(r1.get(ids.ask)?.text).toMatch(/stored: CRM_API_KEY is in the OS keyring as crm-api-key/);
      expect(secretToolLookup(service, 'crm-api-key')).toBe(value);
      expect(JSON.parse(fs.readFileSync(path.join(home.projectDir, '.claude', 'secrets.json'), 'utf8'))).toEqual({ CRM_API_KEY: { source: 'built-in', id: 'crm-api-key' } });
      // The stub saw the right key; the model saw the output with the key masked.
      expect(crm.seen).toEqual([`Bearer ${value}`]);
      const run1 = r1.get(ids.run);
      expect(run1?.isError, run1?.text).toBe(false);
      expect(run1?.text).toContain('contacts: Ada, Grace (debug: used key [keyring-inject:CRM_API_KEY])');

      // ---- Session 2: -p, no asking.
      const res = await runClaude(home, ['-p', 'fetch the CRM contacts again', '--allowedTools', LIST, 'Bash'], { api, env: cliEnv, timeoutMs: 90_000 });
      expect(res.code, res.stderr).toBe(0);
      const r2 = toolResults(api);
      expect(r2.get(ids.list)?.text).toContain('CRM_API_KEY: built-in crm-api-key, stored');
      expect(r2.get(ids.print)?.isError).toBe(true);
      expect(r2.get(ids.print)?.text).toContain("Blocked by keyring-inject: 'printenv' under keyring-inject run would only show the keys");
      expect(r2.get(ids.run2)?.text).toContain('contacts: Ada, Grace');
      expect(crm.seen).toEqual([`Bearer ${value}`, `Bearer ${value}`]);
      // SessionStart named the project's secret for the model (never its value).
      const firstOfSession2 = api.messageRequests().find((r) => r.body.includes('fetch the CRM contacts again'));
      const named = firstOfSession2?.body.includes('names these secrets (values are never shown): CRM_API_KEY (built-in crm-api-key)') ?? false;
      expect(named, 'the SessionStart context names CRM_API_KEY').toBe(true);

      // THE assertions: no request to the model, and no file of the temp tree, holds the value.
      const received = api.allReceivedText();
      for (const form of [value, JSON.stringify(value).slice(1, -1)]) expect(received.includes(form)).toBe(false);
      expect(filesContaining(value, [home.root])).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the plugin (.claude-plugin/plugin.json, no install) declares the MCP server too',
    async () => {
      const LIST_VIA_PLUGIN = 'mcp__plugin_keyring-inject_keyring-inject__list_secrets';
      const api = await startFakeApi({ replies: [tool('toolu_list_by_plugin', LIST_VIA_PLUGIN, {}), { type: 'text', text: DEFAULT_FAKE_TEXT }] });
      scene.api = api;
      const home = makeClaudeHome({});
      scene.home = home;
      const res = await runClaude(home, ['-p', 'which secrets are there?', '--plugin-dir', REPO_ROOT, '--allowedTools', LIST_VIA_PLUGIN], { api, timeoutMs: 90_000 });
      expect(res.code, res.stderr).toBe(0);
      const r = toolResults(api).get('toolu_list_by_plugin');
      expect(r?.isError, r?.text).toBe(false);
      expect(r?.text).toContain('Project secrets: none (no .claude/secrets.json)');
    },
    TEST_TIMEOUT_MS,
  );
});
