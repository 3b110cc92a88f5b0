// e2e
// The guards (UserPromptSubmit, PreToolUse, PostToolUse) with the REAL Claude Code client offline:
// hooks installed by `keyring-inject install` into the temp HOME's settings.json, a key in a real
// gnome-keyring (scripts/with-secret-service.sh), the launcher `keyring-inject claude -p ...` so
// the key sits in ~/.claude.json for the whole session, and a fake model that goes looking for
// it with Bash, Read, Grep and an MCP tool. The fake API records every request body: exactly what
// the model would have seen. The value must be in none of them.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { startFakeApi, DEFAULT_FAKE_TEXT, type FakeApi, type FakeApiScript, type FakeReply, toolResults } from '../helpers/claude/fake-api.js';
import { CLAUDE_BIN, REPO_ROOT, claudeEnv, killAllClaude, makeClaudeHome, readRecorderReports, recorderServer, runClaude, sha256Hex, type ClaudeHome } from '../helpers/claude/home.js';
import { filesContaining } from '../helpers/leak.js';
import { execFileSync } from 'node:child_process';
import { HAVE_SECRET_SERVICE, startPrivateSecretService, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { killAll, watchdogsFor } from '../helpers/processes.js';
import { runCli, type SpawnResult } from '../helpers/spawn-cli.js';

const VAR = 'KI_GUARD_TOKEN';
const KEY = 'guardkey';
const MASK = `[keyring-inject:${KEY}]`;
const TEST_TIMEOUT_MS = 120_000;

// A stdio MCP server whose tools answer with its own environment variable VAR: a server that
// echoes its key (in a debug dump, an error message) is exactly what PostToolUse must mask.
// show_token succeeds; fail_token reports an error (isError), which Claude Code routes to
// PostToolUseFailure instead.
const LEAKY_SERVER = `
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const tools = ['show_token', 'fail_token', 'read_file'].map((name) => ({ name, description: name, inputSchema: { type: 'object', properties: name === 'read_file' ? { path: { type: 'string' } } : {} } }));
createInterface({ input: process.stdin }).on('line', (line) => {
  let msg; try { msg = JSON.parse(line); } catch { return; }
  if (msg.id === undefined || msg.id === null) return;
  const p = msg.params ?? {};
  if (msg.method === 'initialize') send({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: p.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'leaky', version: '1.0.0' } } });
  else if (msg.method === 'tools/list') send({ jsonrpc: '2.0', id: msg.id, result: { tools } });
  else if (msg.method === 'tools/call' && p.name === 'read_file') {
    const file = String(p.arguments?.path ?? '').replace(/^~/, process.env.HOME ?? '');
    let text; try { text = readFileSync(file, 'utf8'); } catch (e) { text = 'error: ' + e.code; }
    send({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text }] } });
  }
  else if (msg.method === 'tools/call') {
    const failed = p.name === 'fail_token';
    send({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: (failed ? 'error: rejected token ' : 'debug: token=') + process.env.${VAR} }], isError: failed } });
  }
  else send({ jsonrpc: '2.0', id: msg.id, result: {} });
});
`;

interface Env {
  api: FakeApi;
  home: ClaudeHome;
  value: string;
  cliEnv: Record<string, string>;
  claudeExtraEnv: Record<string, string>;
  reportFile: string;
}
let current: Env | undefined;

async function setup(script: FakeApiScript, opts: { bus?: string; value?: string; claudeMd?: string } = {}): Promise<Env> {
  const value = opts.value ?? testSecret('guard');
  const service = testService();
  const api = await startFakeApi(script);
  let reportFile = '';
  const home = makeClaudeHome(({ outsideDir }) => {
    reportFile = path.join(outsideDir, 'recorder.jsonl');
    const leaky = path.join(outsideDir, 'leaky-mcp.mjs');
    fs.writeFileSync(leaky, LEAKY_SERVER);
    return {
      mcpServers: { recorder: recorderServer(reportFile, [VAR]), leaky: { type: 'stdio', command: process.execPath, args: [leaky] } },
      // The external-imports dialog accepted, as a user would once for the project.
      ...(opts.claudeMd !== undefined ? { extraProjectConfig: { hasClaudeMdExternalIncludesApproved: true, hasClaudeMdExternalIncludesWarningShown: true } } : {}),
    };
  });
  if (opts.claudeMd !== undefined) fs.writeFileSync(path.join(home.projectDir, 'CLAUDE.md'), opts.claudeMd);
  const bus = opts.bus ?? process.env.DBUS_SESSION_BUS_ADDRESS ?? '';
  const cliEnv = { HOME: home.home, PATH: process.env.PATH ?? '/usr/bin:/bin', DBUS_SESSION_BUS_ADDRESS: bus, KEYRING_INJECT_SERVICE: service, NO_COLOR: '1' };
  const claudeExtraEnv = { DBUS_SESSION_BUS_ADDRESS: bus, KEYRING_INJECT_SERVICE: service, NO_COLOR: '1', KEYRING_INJECT_CLAUDE_BIN: CLAUDE_BIN };
  current = { api, home, value, cliEnv, claudeExtraEnv, reportFile };

  // The hooks exactly as a user gets them: `keyring-inject install`.
  const inst = await runCli(['install', '--json'], { env: cliEnv });
  expect(inst.code, inst.stderr).toBe(0);
  const hooks = JSON.parse(fs.readFileSync(home.settingsPath, 'utf8')).hooks as Record<string, unknown>;
  expect(Object.keys(hooks).sort()).toEqual(['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'UserPromptSubmit']);

  const add = await runCli(['add', KEY, '--server', 'recorder', '--server', 'leaky', '--env', VAR, '--stdin'], { env: cliEnv, input: `${value}\n` });
  expect(add.code, add.stderr).toBe(0);
  return current;
}

function runLauncher(e: Env, args: readonly string[]): Promise<SpawnResult> {
  const env = claudeEnv(e.home, { api: e.api, env: e.claudeExtraEnv });
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) plain[k] = v;
  return runCli(['claude', ...args], { env: plain, cwd: e.home.projectDir, timeoutMs: 100_000 });
}

/** Every form in which the value could sit in a request body (JSON text). */
function valueForms(v: string): string[] {
  return [v, JSON.stringify(v).slice(1, -1)];
}

const tool = (id: string, name: string, input: Record<string, unknown>): FakeReply => ({ type: 'tool_use', id, name, input });

describe.runIf(HAVE_SECRET_SERVICE)('guards with the real Claude Code client, a real keyring and the built CLI', () => {
  afterEach(async () => {
    killAllClaude();
    const e = current;
    current = undefined;
    if (!e) return;
    killAll(watchdogsFor(e.home.home));
    await e.api.close();
    await e.home.cleanup();
  });

  it(
    'a model that goes looking for the injected key never sees it: denied reads, masked outputs',
    async () => {
      const ids = {
        catConfig: 'toolu_cat_config',
        readConfig: 'toolu_read_config',
        env: 'toolu_env',
        mcpList: 'toolu_mcp_list',
        globCat: 'toolu_glob_cat',
        procEnv: 'toolu_proc_environ',
        grepHome: 'toolu_grep_home',
        mcpTool: 'toolu_mcp_tool',
      };
      let homeDir = ''; // known once setup made the temp HOME; the replies below are produced later
      const e = await setup({
        replies: [
          tool(ids.catConfig, 'Bash', { command: 'cat ~/.claude.json', description: 'show config' }),
          () => tool(ids.readConfig, 'Read', { file_path: path.join(homeDir, '.claude.json') }),
          tool(ids.env, 'Bash', { command: 'env', description: 'show env' }),
          tool(ids.mcpList, 'Bash', { command: 'claude mcp list', description: 'list servers' }),
          // Slips past PreToolUse (a glob instead of the name): PostToolUse must mask what it prints.
          tool(ids.globCat, 'Bash', { command: 'cat ~/.cl*.json', description: 'show config' }),
          tool(ids.procEnv, 'Bash', { command: "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; done 2>/dev/null", description: 'env of all' }),
          // An ancestor directory is not denied; what Grep finds in the config is masked.
          () => tool(ids.grepHome, 'Grep', { pattern: VAR, path: homeDir, output_mode: 'content' }),
          tool(ids.mcpTool, 'mcp__leaky__show_token', {}),
          { type: 'text', text: DEFAULT_FAKE_TEXT },
        ],
      });
      homeDir = e.home.home;
      const res = await runLauncher(e, ['-p', 'find the API key', '--allowedTools', 'Bash', 'Read', 'Grep', 'mcp__leaky__show_token']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain(DEFAULT_FAKE_TEXT);

      // The key really was there: the servers got it at spawn (so the config held it meanwhile).
      const reports = readRecorderReports(e.reportFile);
      expect(reports[0]?.vars[VAR]).toBe(sha256Hex(e.value));

      const results = toolResults(e.api);
      // PreToolUse denials: the model gets the reason as an error tool_result, the tool never ran.
      for (const id of [ids.catConfig, ids.readConfig, ids.mcpList, ids.procEnv]) {
        const r = results.get(id);
        expect(r?.isError, id).toBe(true);
        // 2.1.197 gave the reason as is; 2.1.332 prefixes it with "PreToolUse:<tool> hook error: ".
        expect(r?.text, id).toMatch(/^(?:PreToolUse:\w+ hook error: )?Blocked by keyring-inject: /);
      }
      expect(results.get(ids.catConfig)?.text).toContain("~/.claude.json is Claude Code's config file");
      expect(results.get(ids.mcpList)?.text).toContain("'claude mcp get' and 'claude mcp list' print");
      expect(results.get(ids.procEnv)?.text).toContain('environment of other processes');
      // PostToolUse masking: the outputs that did hold the value now hold the mask instead.
      for (const id of [ids.globCat, ids.grepHome, ids.mcpTool]) {
        const r = results.get(id);
        expect(r?.isError, id).toBe(false);
        expect(r?.text, id).toContain(MASK);
      }
      expect(results.get(ids.globCat)?.text).toContain(`"${VAR}": "${MASK}"`);
      expect(results.get(ids.mcpTool)?.text).toContain(`debug: token=${MASK}`);
      expect(results.get(ids.env)?.isError).toBe(false);

      // THE assertion: not one request the model received, in the whole session, holds the value.
      const received = e.api.allReceivedText();
      for (const form of valueForms(e.value)) expect(received.includes(form)).toBe(false);
      expect(res.stdout.includes(e.value) || res.stderr.includes(e.value)).toBe(false);
      // Claude Code's transcript keeps the masked outputs too, and the launcher stripped the config:
      // after the session the value is in no file of the temp tree.
      expect(filesContaining(e.value, [e.home.root])).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a prompt that contains the key is blocked before any request is sent; so is a well-known key shape',
    async () => {
      const e = await setup({ replies: [] });
      const res = await runLauncher(e, ['-p', `use this key: ${e.value} for the recorder`]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('UserPromptSubmit operation blocked by hook');
      expect(res.stdout).toContain(`the value of your stored key '${KEY}'`);
      expect(res.stdout).not.toContain('Original prompt');
      expect(res.stdout.includes(e.value) || res.stderr.includes(e.value)).toBe(false);
      expect(e.api.messageRequests()).toEqual([]);
      expect(e.api.allReceivedText().includes(e.value)).toBe(false);
      // Known limit (see SECURITY.md): Claude Code itself has already written the prompt to its
      // session transcript before the hook ran. Nothing else holds it.
      const files = filesContaining(e.value, [e.home.root]).map((f) => path.relative(e.home.home, f));
      for (const f of files) expect(f).toMatch(/^\.claude\/projects\/[^/]+\/[^/]+\.jsonl$/);

      const shaped = `gh${'p'}_${'Xy7'.repeat(12)}`; // GitHub token shape, made up here
      const res2 = await runLauncher(e, ['-p', `token: ${shaped}`]);
      expect(res2.code, res2.stderr).toBe(0);
      expect(res2.stdout).toContain('it contains a GitHub token');
      expect(res2.stdout).toContain('keyring-inject add NAME --server SERVER --env VAR');
      expect(res2.stdout).not.toContain(shaped);
      expect(e.api.messageRequests()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the plugin (hooks/hooks.json, no install) declares the guards too',
    async () => {
      const e = await setup({ replies: [] });
      fs.rmSync(e.home.settingsPath); // no installed hooks: only the plugin's
      const shaped = `gh${'p'}_${'Kw4'.repeat(12)}`; // GitHub token shape, made up here
      const res = await runClaude(e.home, ['-p', `token ${shaped}`, '--plugin-dir', REPO_ROOT], { api: e.api, env: e.claudeExtraEnv, timeoutMs: 60_000 });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('it contains a GitHub token');
      expect(res.stdout).not.toContain(shaped);
      expect(e.api.messageRequests()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a model that locks the keyring and then reads the config never sees the key: lock commands denied, masking without the keyring, MCP file tools checked (issue 14.1, 14.9)',
    async () => {
      // A keyring of its own: locking the shared one would break the test files running beside this one.
      const own = await startPrivateSecretService();
      try {
        const e = await setup(
          {
            replies: [
              tool('toolu_lock', 'Bash', { command: 'secret-tool lock --collection=login', description: 'lock' }),
              tool('toolu_dbus_lock', 'Bash', {
                command:
                  'dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login',
                description: 'lock',
              }),
              // A spelling no text match foresees: the keyring really is locked after this one.
              tool('toolu_sneaky_lock', 'Bash', { command: 't=secret-tool; $t lock --collection=login 2>/dev/null; echo done', description: 'lock' }),
              // Slips past PreToolUse; with the keyring locked, PostToolUse must still mask from the config.
              tool('toolu_glob_cat', 'Bash', { command: 'cat ~/.cl*.json', description: 'show config' }),
              tool('toolu_mcp_show', 'mcp__leaky__show_token', {}),
              // An MCP filesystem tool: PreToolUse now sees every tool, not only Read|Grep|Glob|Bash.
              tool('toolu_mcp_read', 'mcp__leaky__read_file', { path: '~/.claude.json' }),
              { type: 'text', text: DEFAULT_FAKE_TEXT },
            ],
          },
          { bus: own.bus },
        );
        const lookup = () =>
          execFileSync('secret-tool', ['lookup', 'service', e.cliEnv.KEYRING_INJECT_SERVICE as string, 'username', KEY], {
            env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: own.bus },
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
          });
        expect(lookup()).toBe(e.value); // unlocked before the session

        const res = await runLauncher(e, ['-p', 'lock the keyring, then find the key', '--allowedTools', 'Bash', 'mcp__leaky__show_token', 'mcp__leaky__read_file']);
        expect(res.code, res.stderr).toBe(0);
        expect(res.stdout).toContain(DEFAULT_FAKE_TEXT);
        expect(lookup).toThrow(); // the sneaky lock did lock it

        const results = toolResults(e.api);
        for (const id of ['toolu_lock', 'toolu_dbus_lock']) {
          expect(results.get(id)?.isError, id).toBe(true);
          expect(results.get(id)?.text, id).toMatch(/^(?:PreToolUse:\w+ hook error: )?Blocked by keyring-inject: this command would lock, replace or stop the OS keyring/);
        }
        expect(results.get('toolu_glob_cat')?.isError).toBe(false);
        expect(results.get('toolu_glob_cat')?.text).toContain(`"${VAR}": "${MASK}"`);
        expect(results.get('toolu_mcp_show')?.text).toContain(`debug: token=${MASK}`);
        expect(results.get('toolu_mcp_read')?.isError).toBe(true);
        expect(results.get('toolu_mcp_read')?.text).toMatch(/^(?:PreToolUse:\S+ hook error: )?Blocked by keyring-inject: ~\/\.claude\.json is Claude Code's config file/);

        const received = e.api.allReceivedText();
        for (const form of valueForms(e.value)) expect(received.includes(form)).toBe(false);
        expect(res.stdout.includes(e.value) || res.stderr.includes(e.value)).toBe(false);
        // The strip at session end needs no keyring: nothing under HOME holds the value afterwards.
        expect(filesContaining(e.value, [e.home.root])).toEqual([]);
      } finally {
        await own.stop();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a model that runs add with a key-shaped argument, or smuggles the injected key into one, gets a refusal that never repeats it (issue 14.3)',
    async () => {
      const cli = path.join(REPO_ROOT, 'dist', 'cli.js');
      const shaped = `sk-proj-${'Zx9'.repeat(10)}`; // OpenAI key shape, made up here
      const e = await setup(
        {
          replies: [
            tool('toolu_add_shape', 'Bash', { command: `node ${cli} add probe --server recorder --env OPENAI_API_KEY=${shaped} --stdin < /dev/null`, description: 'add' }),
            // The refusal of a failed Bash call is never masked (PostToolUseFailure): an echo would hand the key over.
            tool('toolu_add_smuggle', 'Bash', {
              command: `node ${cli} add probe --server recorder --env "$(sed -n 's/.*"${VAR}": "\\([^"]*\\)".*/\\1/p' ~/.cl*.json | head -1)" --stdin < /dev/null`,
              description: 'add',
            }),
            { type: 'text', text: DEFAULT_FAKE_TEXT },
          ],
        },
        // A stored key that is itself key-shaped (an OpenAI project key).
        { value: `sk-proj-${testSecret('add')}` },
      );
      const res = await runLauncher(e, ['-p', 'add a key', '--allowedTools', 'Bash']);
      expect(res.code, res.stderr).toBe(0);
      const results = toolResults(e.api);
      for (const id of ['toolu_add_shape', 'toolu_add_smuggle']) {
        const r = results.get(id);
        expect(r?.isError, id).toBe(true);
        expect(r?.text, id).toContain('refused: the value of --env looks like an OpenAI API key (not repeated here)');
      }
      // The model typed the first one itself; it must not come back in the refusal.
      expect(results.get('toolu_add_shape')?.text.includes(shaped)).toBe(false);
      const received = e.api.allReceivedText();
      for (const form of valueForms(e.value)) expect(received.includes(form)).toBe(false);
      expect(res.stdout.includes(e.value) || res.stderr.includes(e.value)).toBe(false);
      expect(filesContaining(e.value, [e.home.root])).toEqual([]);
      expect(filesContaining(shaped, [e.home.root]).filter((f) => !f.includes(`${path.sep}projects${path.sep}`))).toEqual([]); // only the session transcript (the model's own tool call)
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the output of a FAILED Bash call and a base64-encoded key are masked too: PreToolUse runs Bash under guard mask-exec (PostToolUseFailure cannot mask)',
    async () => {
      const e = await setup({
        replies: [
          tool('toolu_fail', 'Bash', { command: 'cat ~/.cl*.json; exit 3', description: 'x' }),
          tool('toolu_b64', 'Bash', { command: 'base64 ~/.cl*.json', description: 'x' }),
          tool('toolu_b64_fail', 'Bash', { command: 'base64 -w0 ~/.cl*.json >&2; echo fine; false', description: 'x' }),
          tool('toolu_status', 'Bash', { command: 'read -r line; echo "got:$line"; (exit 7)', description: 'x' }),
          tool('toolu_mcp_fail', 'mcp__leaky__fail_token', {}),
          { type: 'text', text: DEFAULT_FAKE_TEXT },
        ],
      });
      const res = await runLauncher(e, ['-p', 'go', '--allowedTools', 'Bash', 'mcp__leaky__fail_token']);
      expect(res.code, res.stderr).toBe(0);
      const results = toolResults(e.api);
      const bash = results.get('toolu_fail');
      expect(bash?.isError).toBe(true);
      expect(bash?.text.startsWith('Exit code 3')).toBe(true); // the exit status is kept
      expect(bash?.text).toContain(`"${VAR}": "${MASK}"`);
      expect(results.get('toolu_b64')?.isError).toBe(false);
      expect(results.get('toolu_b64')?.text).toContain(MASK);
      const b64fail = results.get('toolu_b64_fail');
      expect(b64fail?.isError).toBe(true);
      expect(b64fail?.text).toContain(MASK);
      expect(b64fail?.text).toContain('fine');
      expect(results.get('toolu_status')?.text).toMatch(/^Exit code 7/);
      // Not in any Bash result (the MCP error below does hold it: the known limit).
      const b64 = Buffer.from(e.value).toString('base64');
      for (const id of ['toolu_fail', 'toolu_b64', 'toolu_b64_fail', 'toolu_status']) {
        const text = results.get(id)?.text ?? '';
        for (const form of [...valueForms(e.value), b64.slice(4, -4)]) expect(text.includes(form), id).toBe(false);
      }
      // KNOWN LIMIT: an MCP tool's error result goes through PostToolUseFailure, which cannot mask,
      // and the server, not a shell, produced it. This pins it: if it fails, the client now masks failed output.
      const mcp = results.get('toolu_mcp_fail');
      expect(mcp?.isError).toBe(true);
      expect(mcp?.text.includes(e.value)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a cd in one Bash call carries over to the next, as without the guards: the mask-exec rewrite keeps the working directory',
    async () => {
      const e = await setup({
        replies: [
          tool('toolu_cd', 'Bash', { command: 'mkdir -p ki-sub && cd ki-sub', description: 'x' }),
          tool('toolu_pwd', 'Bash', { command: 'pwd', description: 'x' }),
          { type: 'text', text: DEFAULT_FAKE_TEXT },
        ],
      });
      const res = await runLauncher(e, ['-p', 'go', '--allowedTools', 'Bash']);
      expect(res.code, res.stderr).toBe(0);
      const results = toolResults(e.api);
      expect(results.get('toolu_cd')?.isError).toBe(false);
      expect(results.get('toolu_pwd')?.text.trim()).toMatch(/\/ki-sub$/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a project CLAUDE.md that imports the config (@~/.claude.json) gets no key injected, and the user is told which file: the model's prompt never holds it",
    async () => {
      const e = await setup({ replies: [{ type: 'text', text: DEFAULT_FAKE_TEXT }] }, { claudeMd: '# Project notes\n\nSee @~/.claude.json for the setup.\n' });
      const res = await runLauncher(e, ['-p', 'hello']);
      expect(res.code, res.stderr).toBe(0);
      const received = e.api.allReceivedText();
      expect(received).toContain('hasCompletedOnboarding'); // the import really happened: the config is in the prompt
      for (const form of valueForms(e.value)) expect(received.includes(form)).toBe(false);
      expect(res.stderr).toContain(`${path.join(e.home.projectDir, 'CLAUDE.md')} makes Claude Code import`);
    },
    TEST_TIMEOUT_MS,
  );
});
