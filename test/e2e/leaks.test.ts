// e2e
// scan and scrub with the REAL Claude Code client offline: a prompt holding a stored key is
// blocked by our guard, but the client has written it to the session's transcript already. With
// the SessionEnd hook gone (a session that was killed), the copy stays: scan names it (exit 3),
// scrub removes every form of it from every file under HOME, each transcript line still parses
// and `claude --resume <id> -p` goes on. With the hooks as installed, the copy is scrubbed when
// the session ends, and the block message says so. The audit trail holds names, never the value.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { startFakeApi, DEFAULT_FAKE_TEXT, type FakeApi, type FakeApiScript } from '../helpers/claude/fake-api.js';
import { CLAUDE_BIN, killAllClaude, makeClaudeHome, runClaude, spawnClaude, waitForClaude, type ClaudeHome } from '../helpers/claude/home.js';
import { expectNoLeak, filesUnder } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { killAll, watchdogsFor } from '../helpers/processes.js';
import { runCli } from '../helpers/spawn-cli.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { HAVE_TMUX, terminal } from '../helpers/tmux.js';
import { claudeEnv, claudeTmpDir } from '../helpers/claude/home.js';
import { shellQuote } from '../helpers/spawn-cli.js';
import { formsOf } from '../../src/core/secret-forms.js';

const KEY = 'leakkey';
const TEST_TIMEOUT_MS = 120_000;

interface Env {
  api: FakeApi;
  home: ClaudeHome;
  value: string;
  cliEnv: Record<string, string>;
  claudeExtraEnv: Record<string, string>;
}
let current: Env | undefined;

async function setup(extraConfig: Record<string, unknown> = {}, script: FakeApiScript = { replies: [] }): Promise<Env> {
  // A backslash: the JSON lines of the transcript hold the value escaped, not as it is.
  const value = `${testSecret('leak')}\\x`;
  const service = testService();
  const api = await startFakeApi(script);
  const home = makeClaudeHome({ mcpServers: { svc: { type: 'stdio', command: 'true' } }, extraConfig });
  const bus = process.env.DBUS_SESSION_BUS_ADDRESS ?? '';
  const cliEnv = { HOME: home.home, PATH: process.env.PATH ?? '/usr/bin:/bin', DBUS_SESSION_BUS_ADDRESS: bus, KEYRING_INJECT_SERVICE: service, NO_COLOR: '1', CLAUDE_CODE_TMPDIR: claudeTmpDir(home) };
  const claudeExtraEnv = { DBUS_SESSION_BUS_ADDRESS: bus, KEYRING_INJECT_SERVICE: service, NO_COLOR: '1', KEYRING_INJECT_CLAUDE_BIN: CLAUDE_BIN };
  current = { api, home, value, cliEnv, claudeExtraEnv };
  const inst = await runCli(['install', '--json'], { env: cliEnv });
  expect(inst.code, inst.stderr).toBe(0);
  const add = await runCli(['add', KEY, '--server', 'svc', '--env', 'SVC_TOKEN', '--stdin'], { env: cliEnv, input: `${value}\n` });
  expect(add.code, add.stderr).toBe(0);
  return current;
}

/** Files under HOME holding any form of the value (as is, JSON-escaped, URL, base64, hex...). */
function filesWithAnyForm(dir: string, value: string): string[] {
  const forms = formsOf(value).map((f) => Buffer.from(f.text));
  return filesUnder(dir).filter((f) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(f);
    } catch {
      return false; // a temp or lock file removed between listing and reading
    }
    return forms.some((b) => bytes.includes(b));
  });
}

function transcripts(home: ClaudeHome): string[] {
  return filesUnder(path.join(home.configDir, 'projects')).filter((f) => f.endsWith('.jsonl'));
}

function claude(e: Env, args: string[]) {
  return runClaude(e.home, args, { api: e.api, env: e.claudeExtraEnv });
}

describe.runIf(HAVE_SECRET_SERVICE)('scan and scrub with the real Claude Code client', () => {
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
    'a blocked prompt left in the transcript: scan names it (exit 3), scrub removes every form, the session still resumes',
    async () => {
      const e = await setup();
      // A session killed before its SessionEnd: our hook never ran.
      const settings = JSON.parse(fs.readFileSync(e.home.settingsPath, 'utf8'));
      delete settings.hooks.SessionEnd;
      e.home.writeSettings(settings);
      const res = await claude(e, ['-p', `use this key: ${e.value} for the service`]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('UserPromptSubmit operation blocked by hook');
      expect(e.api.messageRequests()).toEqual([]);
      const [transcript] = transcripts(e.home);
      expect(transcript).toBeDefined();
      const sessionId = path.basename(transcript as string, '.jsonl');
      expect(filesWithAnyForm(e.home.home, e.value)).toContain(transcript);

      const scan = await runCli(['scan'], { env: e.cliEnv, cwd: e.home.projectDir });
      expect(scan.code, scan.stderr).toBe(3);
      expect(scan.stdout).toContain(`${transcript}:`);
      expect(scan.stdout).toMatch(new RegExp(`: ${KEY} \\((plain|json)\\) \\[transcripts\\]`));
      const json = JSON.parse((await runCli(['scan', '--json'], { env: e.cliEnv, cwd: e.home.projectDir })).stdout);
      expect(json.found).toEqual([KEY]);

      const scrub = await runCli(['scrub'], { env: e.cliEnv, cwd: e.home.projectDir });
      expect(scrub.code, scrub.stdout + scrub.stderr).toBe(0);
      expect(scrub.stdout).toContain(`exposed: ${KEY}`);
      expect(scrub.stdout).toContain(`keyring-inject rotate ${KEY}`);
      // The session's injection is not scrub's: without SessionEnd, the watchdog strips it once
      // the client is gone (on a loaded machine the SessionStart hook may even inject after the
      // client exited), so wait for that; scrub's files do not change meanwhile.
      await waitFor('no file holds any form of the key', () => filesWithAnyForm(e.home.root, e.value).length === 0, 15_000);
      for (const f of transcripts(e.home)) for (const l of fs.readFileSync(f, 'utf8').split('\n').filter(Boolean)) JSON.parse(l);
      expect(fs.readFileSync(transcript as string, 'utf8')).toContain(`[keyring-inject:${KEY}]`);
      const again = await runCli(['scan'], { env: e.cliEnv, cwd: e.home.projectDir });
      expect(again.code, again.stdout).toBe(0);

      const resumed = await claude(e, ['--resume', sessionId, '-p', 'go on']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain(DEFAULT_FAKE_TEXT);
      expect(e.api.messageRequests().length).toBeGreaterThan(0);
      // The resumed session's key injection is stripped by the watchdog once the client is gone.
      await waitFor('the injected key stripped', () => filesWithAnyForm(e.home.root, e.value).length === 0, 15_000);
      expectNoLeak(e.value, [res.stdout, res.stderr, scan.stdout, scan.stderr, scrub.stdout, scrub.stderr, resumed.stdout, e.api.allReceivedText()], [e.home.root]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'with the hooks as installed, the copy of a blocked prompt is scrubbed when the session ends, and the block message says so',
    async () => {
      const e = await setup();
      const res = await claude(e, ['-p', `use this key: ${e.value} for the service`]);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('keyring-inject removes your stored key from them when this session ends');
      expect(transcripts(e.home).length).toBe(1);
      expect(filesWithAnyForm(e.home.root, e.value)).toEqual([]);
      for (const f of transcripts(e.home)) for (const l of fs.readFileSync(f, 'utf8').split('\n').filter(Boolean)) JSON.parse(l);

      // The audit trail recorded the block and the scrub, by name; the data dir holds no value.
      const audit = await runCli(['audit', '--json'], { env: e.cliEnv });
      const events = JSON.parse(audit.stdout).lines.map((l: { event: string; keys: string[] }) => `${l.event}:${l.keys.join(',')}`);
      expect(events).toEqual(expect.arrayContaining([`inject:${KEY}`, `guard-block:${KEY}`, `scrub:${KEY}`, `strip:${KEY}`]));
      const dataDir = path.join(e.home.configDir, 'keyring-inject');
      expect(fs.statSync(path.join(dataDir, 'audit.jsonl')).mode & 0o777).toBe(0o600);
      expectNoLeak(e.value, [res.stdout, res.stderr, audit.stdout], [dataDir]);
    },
    TEST_TIMEOUT_MS,
  );

  it.runIf(HAVE_TMUX)(
    'interactive: after a blocked prompt and a clean exit (Ctrl-C twice), no form of the key is in any file and the scrub note is used up',
    async () => {
      const e = await setup({ customApiKeyResponses: { approved: ['test-key'], rejected: [] } });
      const socket = path.join(e.home.outsideDir, 'tmux.sock');
      const term = terminal(socket, 'ki', { PATH: process.env.PATH ?? '/usr/bin:/bin' });
      try {
        const env = claudeEnv(e.home, { api: e.api, env: e.claudeExtraEnv });
        const envArgs = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${shellQuote(v)}`]));
        term.start(`cd ${shellQuote(e.home.projectDir)} && env -i ${envArgs.join(' ')} ${shellQuote(CLAUDE_BIN)} --permission-mode default; sleep 30`, { width: 200, height: 50 });
        await term.waitFor('for shortcuts', 60_000);
        term.keys([`use this key: ${e.value} for the service`], true);
        await sleep(300);
        term.keys(['Enter']);
        const shown = await term.waitFor('keyring-inject blocked this prompt', 30_000);
        expect(shown.replace(/\s+/g, ' ')).toMatch(/removes your stored key from them when this session\s?ends/);
        // A clean exit, as a user does: Ctrl-C twice fires SessionEnd.
        term.keys(['C-c']);
        await sleep(300);
        term.keys(['C-c']);
        // 2.1.332 interactive writes the block notice to the transcript, not the prompt (neither
        // to history.jsonl): after the exit no form of the key is in any file, and the note the
        // guard left for the SessionEnd scrub is used up.
        await waitFor('the session transcript', () => transcripts(e.home).length > 0, 20_000);
        const pending = path.join(e.home.configDir, 'keyring-inject', 'pending-scrub.jsonl');
        await waitFor('the SessionEnd scrub ran', () => !fs.existsSync(pending), 20_000);
        // The same hook strips the injected key from ~/.claude.json right after.
        await waitFor('no form of the key in any file', () => filesWithAnyForm(e.home.root, e.value).length === 0, 20_000);
        for (const f of transcripts(e.home)) for (const l of fs.readFileSync(f, 'utf8').split('\n').filter(Boolean)) JSON.parse(l);
      } finally {
        term.kill();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a LIVE session: scrub rewrites its transcript while the client runs a tool, and nothing the client appends afterwards is lost',
    async () => {
      let value = '';
      const e = await setup(
        {},
        {
          replies: [
            // The model's own tool call holds the key (in the transcript as the assistant's tool_use), then runs a while.
            () => ({ type: 'tool_use', id: 'toolu_live', name: 'Bash', input: { command: `printf %s ${value} >/dev/null; sleep 4; echo slept`, description: 'wait' } }),
            { type: 'text', text: 'live session done' },
          ],
        },
      );
      value = e.value;
      const child = spawnClaude(e.home, ['-p', 'go', '--allowedTools', 'Bash'], { api: e.api, env: e.claudeExtraEnv });
      const done = waitForClaude(child, 90_000);
      await waitFor('the tool call in the transcript', () => transcripts(e.home).some((f) => filesWithAnyForm(path.dirname(f), e.value).includes(f)), 30_000);
      const [transcript] = transcripts(e.home);
      const before = fs
        .readFileSync(transcript as string, 'utf8')
        .split('\n')
        .filter(Boolean).length;
      const scrub = await runCli(['scrub'], { env: e.cliEnv, cwd: e.home.projectDir });
      expect(scrub.code, scrub.stdout + scrub.stderr).toBe(0);
      expect(scrub.stdout).toContain(`scrubbed ${transcript}`);
      const res = await done;
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('live session done');
      // What the client appended after the scrub is there: the tool's result and the final answer.
      const lines = fs
        .readFileSync(transcript as string, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      expect(lines.length).toBeGreaterThan(before);
      const text = JSON.stringify(lines);
      expect(text).toContain('slept');
      expect(text).toContain('live session done');
      expect(text).toContain(`[keyring-inject:${KEY}]`);
      expect(fs.readFileSync(transcript as string, 'utf8').includes(e.value)).toBe(false);
      const resumed = await claude(e, ['--resume', path.basename(transcript as string, '.jsonl'), '-p', 'again']);
      expect(resumed.code, resumed.stderr).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
