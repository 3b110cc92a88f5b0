// e2e
// The guards as http hooks to the guard service (the default install where the client on PATH is
// 2.1.332 or later, as here) with the REAL Claude Code client offline: a key in a real gnome-keyring, injected by the SessionStart hook, a fake
// model that goes looking for it. The same promises as test/e2e/guards.test.ts: denied reads,
// masked outputs, a blocked prompt; and a service killed mid-session blocks the next tool call
// instead of letting its output through.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FAKE_TEXT, startFakeApi, toolResults, type FakeApi, type FakeApiScript, type FakeReply } from '../helpers/claude/fake-api.js';
import { CLAUDE_BIN, killAllClaude, makeClaudeHome, runClaude, type ClaudeHome } from '../helpers/claude/home.js';
import { filesContaining } from '../helpers/leak.js';
import { guardServicesFor, killAll, watchdogsFor } from '../helpers/processes.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { runCli } from '../helpers/spawn-cli.js';

const KEY = 'svckey';
const MASK = `[keyring-inject:${KEY}]`;
const TIMEOUT_MS = 120_000;

interface Env {
  api: FakeApi;
  home: ClaudeHome;
  value: string;
  env: Record<string, string>;
}
let current: Env | undefined;

async function setup(script: FakeApiScript): Promise<Env> {
  const value = testSecret('svc');
  const api = await startFakeApi(script);
  const home = makeClaudeHome({ mcpServers: { srv: { type: 'stdio', command: 'true', env: {} } } });
  const env = {
    HOME: home.home,
    // The client on PATH, as a user has it: install reads its version there and picks http guards.
    PATH: `${path.dirname(CLAUDE_BIN)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '',
    KEYRING_INJECT_SERVICE: testService(),
    NO_COLOR: '1',
  };
  current = { api, home, value, env };
  // The default install: no --guards.
  const inst = await runCli(['install', '--no-mcp'], { env });
  expect(inst.code, inst.stderr).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(home.home, '.claude/settings.json'), 'utf8')).hooks.PreToolUse[0].hooks[0]).toMatchObject({ type: 'http', onFailure: 'block' });
  const add = await runCli(['add', KEY, '--server', 'srv', '--env', 'SVC_TOKEN', '--stdin'], { env, input: `${value}\n` });
  expect(add.code, add.stderr).toBe(0);
  // A file of the user's that holds the value: what a Read must not hand the model.
  fs.writeFileSync(path.join(home.projectDir, '.env'), `SVC_TOKEN=${value}\n`);
  return current;
}

const tool = (id: string, name: string, input: Record<string, unknown>): FakeReply => ({ type: 'tool_use', id, name, input });
const clientEnv = (e: Env) => ({ DBUS_SESSION_BUS_ADDRESS: e.env.DBUS_SESSION_BUS_ADDRESS, KEYRING_INJECT_SERVICE: e.env.KEYRING_INJECT_SERVICE, NO_COLOR: '1' });

describe.runIf(HAVE_SECRET_SERVICE)('guards as http hooks to the guard service, with the real Claude Code client', () => {
  afterEach(async () => {
    killAllClaude();
    const e = current;
    current = undefined;
    if (!e) return;
    killAll(guardServicesFor(e.home.home));
    killAll(watchdogsFor(e.home.home));
    await e.api.close();
    await e.home.cleanup();
  });

  it(
    'denied reads, masked outputs, a blocked prompt: the value reaches the model nowhere',
    async () => {
      let e: Env | undefined;
      e = await setup({
        replies: [
          tool('toolu_cat', 'Bash', { command: 'cat ~/.claude.json', description: 'show config' }),
          () => tool('toolu_read_env', 'Read', { file_path: path.join(e?.home.projectDir ?? '', '.env') }),
          tool('toolu_glob', 'Bash', { command: 'cat ~/.cl*.json', description: 'show config' }),
          { type: 'text', text: DEFAULT_FAKE_TEXT },
        ],
      });
      const res = await runClaude(e.home, ['-p', 'find the key', '--allowedTools', 'Bash', 'Read'], { api: e.api, env: clientEnv(e) });
      expect(res.code, res.stderr).toBe(0);
      const results = toolResults(e.api);
      expect(results.get('toolu_cat')?.isError).toBe(true);
      expect(results.get('toolu_cat')?.text).toContain('Blocked by keyring-inject: ');
      expect(results.get('toolu_read_env')?.text).toContain(`SVC_TOKEN=${MASK}`);
      expect(results.get('toolu_glob')?.text).toContain(MASK);
      expect(e.api.allReceivedText().includes(e.value)).toBe(false);

      // A prompt holding the value is blocked before any request.
      const before = e.api.messageRequests().length;
      const blocked = await runClaude(e.home, ['-p', `use ${e.value}`], { api: e.api, env: clientEnv(e) });
      expect(blocked.stdout).toContain('UserPromptSubmit operation blocked by hook');
      expect(blocked.stdout).toContain(`the value of your stored key '${KEY}'`);
      expect(blocked.stdout.includes(e.value)).toBe(false);
      expect(e.api.messageRequests().length).toBe(before);
      // After the sessions: no value in any file but the transcript of the blocked prompt (a known limit).
      const files = filesContaining(e.value, [e.home.root]).map((f) => path.relative(e?.home.home ?? '', f));
      for (const f of files) expect(f).toMatch(/^(\.claude\/projects\/[^/]+\/[^/]+\.jsonl|\.\.\/project\/\.env)$/);
    },
    TIMEOUT_MS,
  );

  it(
    'another program on the port: SessionStart puts the guards back as command hooks, and the client uses them in that same session',
    async () => {
      let e: Env | undefined;
      e = await setup({
        replies: [
          tool('toolu_cat', 'Bash', { command: 'cat ~/.claude.json', description: 'show config' }),
          () => tool('toolu_read_env', 'Read', { file_path: path.join(e?.home.projectDir ?? '', '.env') }),
          { type: 'text', text: DEFAULT_FAKE_TEXT },
        ],
      });
      const port = (JSON.parse(fs.readFileSync(path.join(e.home.home, '.claude/keyring-inject/guard-service.json'), 'utf8')) as { port: number }).port;
      // It answers every hook with {}: were its answers taken, every call would go through.
      const seen: string[] = [];
      const squatter = http.createServer((req, res) => {
        let b = '';
        req.on('data', (d: Buffer) => (b += d));
        req.on('end', () => {
          seen.push(b);
          res.end('{}');
        });
      });
      await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
      try {
        const res = await runClaude(e.home, ['-p', 'find the key', '--allowedTools', 'Bash', 'Read'], { api: e.api, env: clientEnv(e) });
        expect(res.code, res.stderr).toBe(0);
        const results = toolResults(e.api);
        expect(results.get('toolu_cat')?.text).toContain('Blocked by keyring-inject: ');
        expect(results.get('toolu_read_env')?.text).toContain(`SVC_TOKEN=${MASK}`);
        expect(e.api.allReceivedText().includes(e.value)).toBe(false);
        // The other program got no tool call's input or output.
        expect(seen.filter((b) => b.includes('"PreToolUse"') || b.includes('"PostToolUse"'))).toEqual([]);
      } finally {
        await new Promise((r) => squatter.close(r));
      }
    },
    TIMEOUT_MS,
  );

  it(
    "Bash through the service's pipes: a failing command's output masked on both streams, a cd carried to the next call, a bare wait inside",
    async () => {
      const e = await setup({
        replies: [
          tool('toolu_cd', 'Bash', { command: 'mkdir -p sub && cd sub && echo "in $(basename "$PWD")"', description: 'cd' }),
          tool('toolu_fail', 'Bash', { command: 'pwd; cat ../.env; cat ../.env >&2; sleep 0.1 & wait; exit 3', description: 'fail' }),
          { type: 'text', text: DEFAULT_FAKE_TEXT },
        ],
      });
      const res = await runClaude(e.home, ['-p', 'go', '--allowedTools', 'Bash', 'Read'], { api: e.api, env: clientEnv(e) });
      expect(res.code, res.stderr).toBe(0);
      const results = toolResults(e.api);
      expect(results.get('toolu_cd')).toMatchObject({ isError: false, text: 'in sub' });
      const failed = results.get('toolu_fail');
      expect(failed?.isError).toBe(true);
      expect(failed?.text).toContain(`${e.home.projectDir}/sub`);
      expect(failed?.text).toContain('Exit code 3');
      // Both streams, masked at the source: a failing call never reaches PostToolUse.
      expect(failed?.text.split(MASK).length).toBe(3);
      expect(e.api.allReceivedText().includes(e.value)).toBe(false);
      // The service's pipes did it, not a mask-exec process of ours.
      const pipes = path.join(e.home.home, '.claude/keyring-inject/pipes');
      expect(fs.existsSync(pipes)).toBe(true);
    },
    TIMEOUT_MS,
  );

  it(
    'the service killed mid-session (and nobody to restart it): the next tool call is blocked, its output never sent',
    async () => {
      let e: Env | undefined;
      const killService = () => {
        if (!e) return;
        // The watchdog would start it again within a second: take it away first.
        killAll(watchdogsFor(e.home.home));
        killAll(guardServicesFor(e.home.home));
        execFileSync('sleep', ['0.3']);
      };
      e = await setup({
        replies: [
          tool('toolu_ls', 'Bash', { command: 'ls', description: 'list' }),
          () => {
            killService();
            return tool('toolu_read_env', 'Read', { file_path: path.join(e?.home.projectDir ?? '', '.env') });
          },
          { type: 'text', text: DEFAULT_FAKE_TEXT },
        ],
      });
      const res = await runClaude(e.home, ['-p', 'go', '--allowedTools', 'Bash', 'Read'], { api: e.api, env: clientEnv(e) });
      expect(res.code, res.stderr).toBe(0);
      const results = toolResults(e.api);
      expect(results.get('toolu_ls')?.isError).toBe(false);
      const r = results.get('toolu_read_env');
      expect(r?.isError).toBe(true);
      expect(r?.text).toContain('/keyring-inject/guard/pre-tool-use');
      expect(r?.text).toContain('blocking because onFailure is "block"');
      expect(e.api.allReceivedText().includes(e.value)).toBe(false);
    },
    TIMEOUT_MS,
  );
});
