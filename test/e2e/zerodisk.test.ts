// e2e
// Zero-disk mode end to end with the REAL Claude Code client (offline, fake Messages API) and a
// real gnome-keyring (scripts/with-secret-service.sh). No launcher and no hooks: plain
// `claude -p hello` starts a wrapped server, which must receive its key, while a watcher reading
// every file under the temp HOME during the whole session never sees the value.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { httpMcpServer } from '../helpers/claude/http-mcp-server.js';
import { startFakeApi, DEFAULT_FAKE_TEXT, type FakeApi } from '../helpers/claude/fake-api.js';
import { ENV_RECORDER_PATH, killAllClaude, makeClaudeHome, readRecorderReports, recorderServer, runClaude, sha256Hex, type ClaudeHome, expectEveryStartSaw } from '../helpers/claude/home.js';
import { fileHolds, filesContaining, filesUnder } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runNode } from '../helpers/spawn-cli.js';

const VAR = 'KI_ZD_TOKEN';
const TEST_TIMEOUT_MS = 90_000;

/** Reads every regular file under `dir` every `everyMs` until stopped; records files holding `value`. */
function watchTree(dir: string, value: string, everyMs = 20) {
  const hits = new Set<string>();
  let polls = 0;
  let filesSeen = 0;
  const poll = () => {
    polls++;
    const files = filesUnder(dir);
    filesSeen = Math.max(filesSeen, files.length);
    for (const f of files) if (fileHolds(f, value)) hits.add(f);
  };
  poll();
  const timer = setInterval(poll, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      poll();
      return { hits: [...hits], polls, filesSeen };
    },
  };
}

/**
 * Tools the client offered the model: the `tools` array, plus the MCP tools that Claude Code
 * 2.1.332 defers behind its ToolSearch tool and only names in the request's text (tool search
 * is on by default there; 2.1.197 listed MCP tools in `tools`).
 */
function toolNames(api: FakeApi): string[] {
  const names = new Set<string>();
  for (const r of api.messageRequests()) {
    try {
      const body = JSON.parse(r.body) as { tools?: { name?: string }[] };
      for (const t of body.tools ?? []) if (t.name) names.add(t.name);
    } catch {
      // not JSON
    }
    for (const m of r.body.matchAll(/mcp__[A-Za-z0-9_-]+/g)) names.add(m[0]);
  }
  return [...names];
}

describe.runIf(HAVE_SECRET_SERVICE)('zero-disk mode with the real Claude Code client', () => {
  let api: FakeApi | undefined;
  let home: ClaudeHome | undefined;
  const closers: (() => Promise<void>)[] = [];

  afterEach(async () => {
    killAllClaude();
    await api?.close();
    for (const close of closers.splice(0)) await close();
    await home?.cleanup();
    api = undefined;
    home = undefined;
  });

  const cliEnv = (h: ClaudeHome, service: string) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: h.home,
    NO_COLOR: '1',
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '',
    KEYRING_INJECT_SERVICE: service,
    KEYRING_INJECT_CLI: CLI,
  });

  it(
    'plain `claude -p hello` starts the wrapped stdio server with its key; no file under HOME ever holds the value',
    async () => {
      const value = testSecret('zd');
      const service = testService();
      api = await startFakeApi();
      let reportFile = '';
      home = makeClaudeHome(({ outsideDir }) => {
        reportFile = path.join(outsideDir, 'recorder.jsonl');
        return { mcpServers: { recorder: recorderServer(reportFile, [VAR]) } };
      });
      const h = home;
      const env = cliEnv(h, service);
      const watcher = watchTree(h.home, value);

      const add = await runNode([CLI, 'add', 'rec', '--server', 'recorder', '--env', VAR, '--mode', 'wrap', '--stdin'], { env, input: `${value}\n` });
      expect(add.code, add.stderr).toBe(0);
      const entry = (h.readConfig().mcpServers as Record<string, { command: string; args: string[]; env: Record<string, string> }>).recorder;
      expect(entry?.command).toBe(process.execPath);
      expect(entry?.args.slice(0, 5)).toEqual([CLI, 'exec', '--server', 'recorder', '--']);
      expect(entry?.args.slice(5)).toEqual([process.execPath, ENV_RECORDER_PATH]);
      expect(Object.keys(entry?.env ?? {})).not.toContain(VAR);

      // No launcher, no hooks: the client as users start it. It needs the D-Bus address to reach
      // the keyring (as a desktop session has) and the test's keyring service name.
      const res = await runClaude(h, ['-p', 'hello'], { api, env: { DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS, KEYRING_INJECT_SERVICE: service }, timeoutMs: 60_000 });
      const seen = watcher.stop();

      expect(res.timedOut, res.stderr).toBe(false);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(DEFAULT_FAKE_TEXT);
      const reports = expectEveryStartSaw(reportFile, VAR, value);
      // The server really connected: its tool was offered to the model.
      expect(toolNames(api)).toContain('mcp__recorder__echo');
      // The server and its parent (the wrapper) are both gone once the session ended.
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const pids = reports.flatMap((r) => [r.pid, r.ppid]);
      for (let i = 0; i < 40 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
      expect(pids.filter(alive)).toEqual([]);

      expect(seen.polls).toBeGreaterThan(5);
      expect(seen.hits).toEqual([]);
      expect(filesContaining(value, [h.root])).toEqual([]);
      expect(api.allReceivedText()).not.toContain(value);
      expect(res.stdout + res.stderr + add.stdout.toString() + add.stderr).not.toContain(value);
      console.log(`[zerodisk e2e] session ${res.durationMs} ms; watcher read up to ${seen.filesSeen} files ${seen.polls} times; hits: ${seen.hits.length}`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a key the keyring does not have: the wrapped server never starts, the session still runs',
    async () => {
      api = await startFakeApi();
      let reportFile = '';
      home = makeClaudeHome(({ outsideDir }) => {
        reportFile = path.join(outsideDir, 'recorder.jsonl');
        return { mcpServers: { recorder: recorderServer(reportFile, [VAR]) } };
      });
      const h = home;
      const env = cliEnv(h, testService());
      const add = await runNode([CLI, 'add', 'rec', '--server', 'recorder', '--env', VAR, '--mode', 'wrap', '--stdin'], { env, input: testSecret() });
      expect(add.code, add.stderr).toBe(0);
      // The client looks in another keyring service: the key is missing there.
      const res = await runClaude(h, ['-p', 'hello'], { api, env: { DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS, KEYRING_INJECT_SERVICE: testService() }, timeoutMs: 60_000 });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(DEFAULT_FAKE_TEXT);
      expect(readRecorderReports(reportFile)).toEqual([]);
      expect(toolNames(api)).not.toContain('mcp__recorder__echo');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a server from the project .mcp.json: wrap makes a local copy; the client starts that copy, with the key; .mcp.json unchanged',
    async () => {
      const value = testSecret('mcpjson');
      const service = testService();
      api = await startFakeApi();
      let reportFile = '';
      home = makeClaudeHome(({ outsideDir }) => {
        reportFile = path.join(outsideDir, 'recorder.jsonl');
        return { projectMcpServers: { projrec: recorderServer(reportFile, [VAR]) }, extraProjectConfig: { mcpServers: {}, enabledMcpjsonServers: ['projrec'] } };
      });
      const h = home;
      const env = cliEnv(h, service);
      const mcpJson = fs.readFileSync(path.join(h.projectDir, '.mcp.json'), 'utf8');
      const add = await runNode([CLI, 'add', 'pr', '--server', 'projrec', '--env', VAR, '--scope', 'local', '--mode', 'wrap', '--stdin'], { env, cwd: h.projectDir, input: value });
      expect(add.code, add.stderr).toBe(0);
      expect(add.stdout.toString()).toContain('wrapped: projrec (local:');
      const local = (h.readConfig().projects as Record<string, { mcpServers: Record<string, { args: string[] }> }>)[h.projectDir]?.mcpServers?.projrec;
      expect(local?.args).toContain('--mcp-json');

      const watcher = watchTree(h.home, value);
      const res = await runClaude(h, ['-p', 'hello'], { api, env: { DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS, KEYRING_INJECT_SERVICE: service }, timeoutMs: 60_000 });
      const seen = watcher.stop();
      expect(res.code, res.stderr).toBe(0);
      // Every start of the server was the wrapped local copy (the project one never ran).
      expectEveryStartSaw(reportFile, VAR, value);
      expect(fs.readFileSync(path.join(h.projectDir, '.mcp.json'), 'utf8')).toBe(mcpJson);
      expect(seen.hits).toEqual([]);
      expect(filesContaining(value, [h.root])).toEqual([]);

      const un = await runNode([CLI, 'unwrap', 'projrec', '--scope', 'local'], { env, cwd: h.projectDir });
      expect(un.code, un.stderr).toBe(0);
      expect((h.readConfig().projects as Record<string, { mcpServers: Record<string, unknown> }>)[h.projectDir]?.mcpServers?.projrec).toBeUndefined();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an http server: Claude Code runs our headersHelper and sends the header; the value is in no file',
    async () => {
      const value = testSecret('http');
      const service = testService();
      api = await startFakeApi();
      const remote = await httpMcpServer();
      closers.push(remote.close);
      const { url, authSeen } = remote;
      home = makeClaudeHome({ mcpServers: { remote: { type: 'http', url } } });
      const h = home;
      const env = cliEnv(h, service);
      const add = await runNode([CLI, 'add', 'remote-key', '--server', 'remote', '--header', 'Authorization: Bearer {value}', '--stdin'], { env, input: value });
      expect(add.code, add.stderr).toBe(0);
      const watcher = watchTree(h.home, value);
      const res = await runClaude(h, ['-p', 'hello'], { api, env: { DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS, KEYRING_INJECT_SERVICE: service }, timeoutMs: 60_000 });
      const seen = watcher.stop();
      expect(res.code, res.stderr).toBe(0);
      expect(authSeen.length).toBeGreaterThan(0);
      expect(authSeen).toContain(sha256Hex(`Bearer ${value}`));
      expect(toolNames(api)).toContain('mcp__remote__ping_http');
      expect(seen.hits).toEqual([]);
      expect(filesContaining(value, [h.root])).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('MCP traffic passes through the wrapper unchanged', () => {
  it('initialize + tools/list + tools/call: the wrapped recorder answers byte for byte like the unwrapped one', async () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'ki-zd-mcp-'));
    try {
      // The entry 'wrap' leaves (exec serves only the wrapped command).
      fs.writeFileSync(
        path.join(dir, '.claude.json'),
        JSON.stringify({ mcpServers: { recorder: { command: process.execPath, args: [CLI, 'exec', '--server', 'recorder', '--', process.execPath, ENV_RECORDER_PATH] } } }),
      );
      const requests = [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'ünï\u0000cödé \\ "quoted" \u2028 😀' } } },
        { jsonrpc: '2.0', id: 'p', method: 'ping' },
      ];
      const input = `${requests.map((r) => JSON.stringify(r)).join('\n')}\n`;
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', KI_TEST_REPORT_FILE: path.join(dir, 'r.jsonl'), KI_TEST_WATCH_VARS: VAR };
      const direct = await runNode([ENV_RECORDER_PATH], { env, input });
      const wrapped = await new Promise<{ code: number | null; stdout: Buffer }>((resolve) => {
        const p = spawn(process.execPath, [CLI, 'exec', '--server', 'recorder', '--', process.execPath, ENV_RECORDER_PATH], { env, cwd: dir, stdio: ['pipe', 'pipe', 'ignore'] });
        const out: Buffer[] = [];
        p.stdout.on('data', (c: Buffer) => out.push(c));
        p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out) }));
        p.stdin.end(input);
      });
      expect(direct.code).toBe(0);
      expect(wrapped.code).toBe(0);
      const lines = direct.stdout.toString().trim().split('\n');
      expect(lines).toHaveLength(4);
      expect(JSON.parse(lines[1] as string).result.tools[0].name).toBe('echo');
      expect(wrapped.stdout.equals(direct.stdout)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
