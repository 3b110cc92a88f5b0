// `keyring-inject guard ...` in-process, with a memory keyring: the JSON each guard prints.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyringUnavailableError } from '../../src/core/errors.js';
import { readAudit } from '../../src/core/audit-trail.js';
import { claudePaths } from '../../src/core/paths.js';
import { takePendingScrubs } from '../../src/claude/pending-scrub.js';
import { macOf, newSalt } from '../../src/engine/value-mac.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { inProcessCli } from '../helpers/in-process.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { preToolUse } from '../../src/guards/guards.js';

class CountingBackend extends MemoryBackend {
  calls = 0;
  fail = false;
  override async getMany(names: readonly string[]): Promise<Map<string, string>> {
    this.calls++;
    if (this.fail) throw new KeyringUnavailableError('the Secret Service collection is locked', 'Unlock it');
    return super.getMany(names);
  }
}

let t: TempHome;
let backend: CountingBackend;
let cli: ReturnType<typeof inProcessCli>;
beforeEach(() => {
  t = makeTempHome();
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
  backend = new CountingBackend();
  cli = inProcessCli(t.env, t.home, backend);
});
afterEach(() => t.cleanup());

const SID = 'guard-test-session';
async function guard(event: string, input: Record<string, unknown>) {
  const r = await cli.run(['guard', event], JSON.stringify({ session_id: SID, cwd: t.home, ...input }));
  return { ...r, json: r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as Record<string, any>) };
}
async function addKey(name: string, value: string) {
  const r = await cli.run(['add', name, '--server', 'github', '--env', name.toUpperCase(), '--stdin'], `${value}\n`);
  expect(r.code, r.stderr).toBe(0);
  backend.calls = 0;
}
function ghToken(): string {
  return `gh${'p'}_${'Ab1'.repeat(12)}`; // the GitHub classic shape, made up here
}

describe('guard user-prompt-submit', () => {
  it("blocks a prompt with a stored key's value, names the key, never the value", async () => {
    const v = testSecret('ups');
    await addKey('github', v);
    const r = await guard('user-prompt-submit', { hook_event_name: 'UserPromptSubmit', prompt: `use this: ${v} ok?`, transcript_path: join(t.home, 't.jsonl') });
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ decision: 'block', hookSpecificOutput: { hookEventName: 'UserPromptSubmit', suppressOriginalPrompt: true } });
    expect(r.json?.reason).toContain("the value of your stored key 'github'");
    expect(r.json?.reason).toContain('Nothing was sent to the model');
    expect(backend.calls).toBe(1);
    expectNoLeak(v, [r.stdout, r.stderr], [join(t.home, '.claude')]);
    for (let i = 0; i + 6 <= v.length; i++) expect(r.stdout).not.toContain(v.slice(i, i + 6)); // not even partially
    // The client's copy of the prompt is noted for the SessionEnd scrub, and the message says so.
    expect(r.json?.reason).toContain('keyring-inject removes your stored key from them when this session ends');
    const paths = claudePaths(t.env);
    expect(takePendingScrubs(paths).notes).toEqual([{ session: SID, file: join(t.home, 't.jsonl'), keys: ['github'] }]);
    expect(readAudit(paths).map((l) => [l.event, l.keys])).toEqual([['guard-block', ['github']]]);
  });

  it('blocks a well-known key shape without any key registered, and says how to store it', async () => {
    const tok = ghToken();
    const r = await guard('user-prompt-submit', { hook_event_name: 'UserPromptSubmit', prompt: `my token is ${tok}` });
    expect(r.json?.decision).toBe('block');
    expect(r.json?.reason).toContain('a GitHub token');
    expect(r.json?.reason).toContain('keyring-inject add NAME --server SERVER --env VAR');
    expect(r.stdout).not.toContain(tok.slice(4, 14));
    expect(backend.calls).toBe(0); // empty registry: no keyring round trip
  });

  it('names a stored key once, even when its value also has a well-known shape', async () => {
    const tok = ghToken();
    await addKey('github', tok);
    const r = await guard('user-prompt-submit', { hook_event_name: 'UserPromptSubmit', prompt: `x ${tok}` });
    expect(r.json?.reason).toContain("it contains the value of your stored key 'github'.");
    expect(r.json?.reason).not.toContain('a GitHub token');
  });

  it('lets an ordinary prompt through silently', async () => {
    await addKey('github', testSecret('ups'));
    const r = await guard('user-prompt-submit', { hook_event_name: 'UserPromptSubmit', prompt: 'please refactor src/app.ts' });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('still checks shapes when the keyring cannot be read, and tells the user', async () => {
    await addKey('github', testSecret('ups'));
    backend.fail = true;
    const shaped = await guard('user-prompt-submit', { hook_event_name: 'UserPromptSubmit', prompt: `x ${ghToken()}` });
    expect(shaped.json?.decision).toBe('block');
    const plain = await guard('user-prompt-submit', { hook_event_name: 'UserPromptSubmit', prompt: 'hello' });
    expect(plain.json?.decision).toBeUndefined();
    expect(plain.json?.systemMessage).toMatch(/could not read the keyring .*locked.*common key formats only/);
  });

  it('refuses input that is not the hook JSON, with one line and exit 1', async () => {
    for (const stdin of ['', 'not json', '[]', JSON.stringify({ hook_event_name: 'UserPromptSubmit' })]) {
      const r = await cli.run(['guard', 'user-prompt-submit'], stdin);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const other = await guard('user-prompt-submit', { hook_event_name: 'PreToolUse' });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('another event');
    expect((await cli.run(['guard', 'nope'])).code).toBe(2);
    expect((await cli.run(['guard'])).code).toBe(2);
  });
});

describe('guard post-tool-use', () => {
  it('masks a stored value in Bash output, keeping the shape', async () => {
    const v = testSecret('post');
    await addKey('github', v);
    const response = { stdout: `GITHUB=${v}\nescaped: ${JSON.stringify(v)}`, stderr: '', interrupted: false, isImage: false, noOutputExpected: false };
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'env' }, tool_response: response });
    expect(r.json?.hookSpecificOutput).toEqual({
      hookEventName: 'PostToolUse',
      updatedToolOutput: { ...response, stdout: 'GITHUB=[keyring-inject:github]\nescaped: "[keyring-inject:github]"' },
    });
    expect(r.json?.systemMessage).toContain("hid the value of 'github' in the output of Bash");
    expectNoLeak(v, [r.stdout, r.stderr], [join(t.home, '.claude')]);
    expect(readAudit(claudePaths(t.env)).map((l) => [l.event, l.keys, l.where])).toEqual([['guard-mask', ['github'], 'Bash']]);
  });

  it('an invalid .claude/secrets.json in the cwd (a repository or the model wrote it) does not switch masking of stored keys off', async () => {
    const v = testSecret('badproject');
    await addKey('github', v);
    const project = join(t.home, 'repo');
    mkdirSync(join(project, '.claude'), { recursive: true });
    writeFileSync(join(project, '.claude', 'secrets.json'), '{"X": {"source": "built-in", "id": ');
    const response = { stdout: `error 401: bad token ${v}`, stderr: '', interrupted: false, isImage: false, noOutputExpected: false };
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', cwd: project, tool_input: { command: 'x' }, tool_response: response });
    expect(r.json?.hookSpecificOutput?.updatedToolOutput?.stdout).toBe('error 401: bad token [keyring-inject:github]');
    // The note names the project file, not the keyring.
    expect(r.json?.systemMessage).toContain('secrets.json');
    expect(r.json?.systemMessage).not.toContain('could not read the keyring');
    expectNoLeak(v, [r.stdout, r.stderr], [join(t.home, '.claude')]);
    // The prompt guard too.
    const p = await guard('user-prompt-submit', { hook_event_name: 'UserPromptSubmit', cwd: project, prompt: `here: ${v}` });
    expect(p.json?.decision).toBe('block');
  });

  it('masks a key that lives in an env file (another source), not only keyring keys', async () => {
    const v = testSecret('envfile');
    const envFile = join(t.home, 'secrets.env');
    writeFileSync(envFile, `STRIPE_KEY=${v}\n`);
    const add = await cli.run(['add', 'stripe', '--server', 'github', '--env', 'STRIPE_KEY', '--source', 'env-file', '--id', 'STRIPE_KEY', '--meta', `path=${envFile}`]);
    expect(add.code, add.stderr).toBe(0);
    const response = { stdout: `key is ${v}`, stderr: '', interrupted: false, isImage: false, noOutputExpected: false };
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'cat x' }, tool_response: response });
    expect(r.json?.hookSpecificOutput?.updatedToolOutput?.stdout).toBe('key is [keyring-inject:stripe]');
    expectNoLeak(v, [r.stdout, r.stderr], [join(t.home, '.claude')]);
  });

  it("masks a key read from another program's keyring item (moved from mcp-keyring-injector), as it masks keyring keys", async () => {
    const v = testSecret('legacy');
    await backend.forService('github').set('api-key', v);
    const add = await cli.run(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--source', 'os-keyring', '--id', 'api-key', '--meta', 'service=github']);
    expect(add.code, add.stderr).toBe(0);
    const response = { stdout: `key is ${v}`, stderr: '', interrupted: false, isImage: false, noOutputExpected: false };
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_input: { command: 'cat x' }, tool_response: response });
    expect(r.json?.hookSpecificOutput?.updatedToolOutput?.stdout).toBe('key is [keyring-inject:gh]');
    expectNoLeak(v, [r.stdout, r.stderr, add.stdout, add.stderr], [join(t.home, '.claude')]);
  });

  it('masks a value with quotes and backslashes as it appears in JSON text (cat ~/.claude.json)', async () => {
    const v = `${testSecret('q')}"and\\back`;
    await addKey('github', v);
    const file = JSON.stringify({ mcpServers: { github: { env: { GITHUB: v } } } }, null, 2);
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: { stdout: file, stderr: '' } });
    const out = r.json?.hookSpecificOutput.updatedToolOutput.stdout as string;
    expect(out).toContain('"GITHUB": "[keyring-inject:github]"');
    expect(r.stdout).not.toContain(JSON.stringify(v).slice(1, -1));
    expect(JSON.parse(out)).toEqual({ mcpServers: { github: { env: { GITHUB: '[keyring-inject:github]' } } } });
  });

  it('adds updatedMCPToolOutput for MCP tools', async () => {
    const v = testSecret('mcp');
    await addKey('github', v);
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'mcp__github__whoami', tool_response: [{ type: 'text', text: `token ${v}` }] });
    const masked = [{ type: 'text', text: 'token [keyring-inject:github]' }];
    expect(r.json?.hookSpecificOutput).toEqual({ hookEventName: 'PostToolUse', updatedToolOutput: masked, updatedMCPToolOutput: masked });
  });

  it('prints nothing when nothing matches, and skips the keyring without keys or long strings', async () => {
    let r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: { stdout: 'a long enough output', stderr: '' } });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(backend.calls).toBe(0); // no key registered
    await addKey('github', testSecret('post'));
    r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'mcp__s__t', tool_response: [{ type: 'text', text: 'ok' }] });
    expect(r.stdout).toBe('');
    expect(backend.calls).toBe(0); // no string (or key) long enough to hold a value
    r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: { stdout: 'a long enough output', stderr: '' } });
    expect(r.stdout).toBe('');
    expect(backend.calls).toBe(1);
  });

  it('masks key shapes and warns the user when the keyring cannot be read', async () => {
    await addKey('github', testSecret('post'));
    backend.fail = true;
    const tok = ghToken();
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Read', tool_response: { type: 'text', file: { filePath: '/x', content: `T=${tok}` } } });
    expect(r.json?.hookSpecificOutput.updatedToolOutput).toEqual({ type: 'text', file: { filePath: '/x', content: 'T=[keyring-inject:github-token]' } });
    expect(r.json?.systemMessage).toContain('could not read the keyring');
  });
});

// Issue 14.1: the model locks the keyring (secret-tool lock, a D-Bus Lock call) to switch masking
// off. While keys are injected, their values are in the config at our targets, confirmed by our
// HMAC records: masking must not need the keyring, and must fail closed when it cannot tell.
describe('guards while keys are injected: values from the config, confirmed by our records', () => {
  /** What an injection leaves: the value in the config at the target, an HMAC record in our state. */
  function inject(name: string, env: string, value: string, configValue = value) {
    const config = join(t.home, '.claude.json');
    writeFileSync(config, JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp', env: { [env]: configValue } } } }, null, 2));
    const dir = join(t.home, '.claude', 'keyring-inject');
    mkdirSync(dir, { recursive: true });
    const salt = newSalt();
    const rec = { server: 'github', env, scope: 'user', key: name, file: config, createdEnv: true, salt, mac: macOf(value, salt) };
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 1, sessions: [], injected: [rec] }));
  }

  it('post-tool-use masks the injected value, read from the config and confirmed by its HMAC, without the keyring', async () => {
    const v = testSecret('locked');
    await addKey('github', v);
    inject('github', 'GITHUB', v);
    backend.fail = true;
    const out = { stdout: `"env": {\n  "GITHUB": "${v}"\n}`, stderr: '', interrupted: false, isImage: false, noOutputExpected: false };
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: out });
    expect(r.json?.hookSpecificOutput.updatedToolOutput).toEqual({ ...out, stdout: '"env": {\n  "GITHUB": "[keyring-inject:github]"\n}' });
    expect(r.json?.systemMessage).toContain('could not read the keyring');
    expectNoLeak(v, [r.stdout, r.stderr], [join(t.home, '.claude')]);
  });

  it('user-prompt-submit blocks the injected value without the keyring', async () => {
    const v = testSecret('locked');
    await addKey('github', v);
    inject('github', 'GITHUB', v);
    backend.fail = true;
    const r = await guard('user-prompt-submit', { hook_event_name: 'UserPromptSubmit', prompt: `here: ${v}` });
    expect(r.json?.decision).toBe('block');
    expect(r.json?.reason).toContain("the value of your stored key 'github'");
    expectNoLeak(v, [r.stdout, r.stderr], [join(t.home, '.claude')]);
  });

  it('masks an injected key of a networked source (Doppler here) from the config, without calling its CLI (issue 14.9)', async () => {
    const v = testSecret('doppler');
    const r0 = await cli.run(['add', 'stripe', '--source', 'doppler', '--id', 'STRIPE_KEY', '--server', 'github', '--env', 'STRIPE']);
    expect(r0.code, r0.stderr).toBe(0);
    inject('stripe', 'STRIPE', v);
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'mcp__github__debug', tool_response: [{ type: 'text', text: `key=${v}` }] });
    expect(r.json?.hookSpecificOutput.updatedToolOutput).toEqual([{ type: 'text', text: 'key=[keyring-inject:stripe]' }]);
    expectNoLeak(v, [r.stdout, r.stderr], [join(t.home, '.claude')]);
  });

  it('post-tool-use fails closed (withholds the output, tells the user why) when neither the keyring nor the config can tell what to hide', async () => {
    const v = testSecret('locked');
    await addKey('github', v);
    // The config no longer holds what the record confirms (edited, or unreadable): the value is unknown.
    inject('github', 'GITHUB', v, 'something-else-entirely');
    backend.fail = true;
    const out = { stdout: `leaked ${v} here`, stderr: '', interrupted: false, isImage: false, noOutputExpected: false };
    const r = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: out });
    const replaced = r.json?.hookSpecificOutput.updatedToolOutput as Record<string, unknown>;
    // Same shape (Claude Code keeps the original output when the shape does not match), no content.
    expect(Object.keys(replaced)).toEqual(Object.keys(out));
    expect(replaced.stdout).toMatch(/^\[keyring-inject: output withheld/);
    expect(replaced.interrupted).toBe(false);
    expect(r.json?.systemMessage).toMatch(/withheld the output of Bash/);
    expect(r.json?.systemMessage).toContain('could not read the keyring');
    expectNoLeak(v, [r.stdout, r.stderr], [join(t.home, '.claude')]);
    // Same with a config that does not parse.
    writeFileSync(join(t.home, '.claude.json'), '{ broken');
    const r2 = await guard('post-tool-use', { hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: out });
    expect((r2.json?.hookSpecificOutput.updatedToolOutput as Record<string, unknown>).stdout).toMatch(/^\[keyring-inject: output withheld/);
  });
});

describe('guard pre-tool-use', () => {
  function markInjected() {
    const dir = join(t.home, '.claude', 'keyring-inject');
    mkdirSync(dir, { recursive: true });
    const rec = { server: 'github', env: 'GITHUB', scope: 'user', key: 'github', file: join(t.home, '.claude.json'), createdEnv: false, salt: '00', mac: '00' };
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 1, sessions: [], injected: [rec] }));
  }

  it('denies reading the config while keys are injected, without touching the keyring', async () => {
    await addKey('github', testSecret('pre'));
    const input = { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'cat ~/.claude.json' } };
    expect((await guard('pre-tool-use', input)).stdout).toBe(''); // registered, not injected
    markInjected();
    const r = await guard('pre-tool-use', input);
    expect(r.json).toEqual({
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: expect.stringContaining("~/.claude.json is Claude Code's config file") },
    });
    const read = await guard('pre-tool-use', { hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: join(t.home, '.claude.json') } });
    expect(read.json?.hookSpecificOutput.permissionDecision).toBe('deny');
    const ok = await guard('pre-tool-use', { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } });
    expect(ok.stdout).toBe('');
    expect(backend.calls).toBe(0);
  });
});

describe('pre-tool-use rewrites Bash to run under guard mask-exec while keys are stored', () => {
  const CLI = '/opt/ki/dist/cli.js';
  const deps = () => ({ paths: claudePaths(t.env), env: t.env, cwd: t.home, backend: () => backend, cliPaths: [CLI], node: '/usr/bin/node' });
  const call = (command: string) => preToolUse({ session_id: SID, hook_event_name: 'PreToolUse', cwd: t.home, tool_name: 'Bash', tool_input: { command, description: 'd' } }, deps());

  it('rewrites every allowed Bash call, keeps the other input fields, sets no permission decision, and reads no value', async () => {
    expect(await call('ls')).toBeUndefined(); // nothing stored: nothing to mask
    await addKey('github', testSecret('pre'));
    const out = (await call("cat .env; echo 'x'; exit 3")) as { hookSpecificOutput: Record<string, any> };
    expect(out.hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      updatedInput: { command: expect.stringContaining(`; '/usr/bin/node' '${CLI}' guard mask-exec --cwd-file "$__ki_cwd" -- 'cat .env; echo '\\''x'\\''; exit 3'; `), description: 'd' },
    });
    expect(backend.calls).toBe(0);
    // A command dressed up as our own rewrite (a look-alike after a comment) is wrapped all the same.
    const lookalike = `cat .env; exit 3 # '${CLI}' guard mask-exec -- 'x'`;
    expect(((await call(lookalike)) as { hookSpecificOutput: Record<string, any> }).hookSpecificOutput.updatedInput.command).toContain(`guard mask-exec --cwd-file "$__ki_cwd" -- 'cat .env; exit 3 #`);
    // Denied calls stay denied.
    expect(((await call('keyring-inject run -- printenv')) as { hookSpecificOutput: Record<string, any> }).hookSpecificOutput.permissionDecision).toBe('deny');
  });

  it("the guard service's piped rewrite when it has one; mask-exec when it has none or cannot make its pipes", async () => {
    await addKey('github', testSecret('pre'));
    const input = { session_id: SID, hook_event_name: 'PreToolUse' as const, cwd: t.home, tool_name: 'Bash', tool_input: { command: 'ls', description: 'd' } };
    const command = async (maskedBash: (c: string, cwd: string) => string | undefined) =>
      ((await preToolUse(input, { ...deps(), maskedBash })) as { hookSpecificOutput: Record<string, any> }).hookSpecificOutput.updatedInput.command as string;
    expect(await command((c, cwd) => `piped ${c} in ${cwd}`)).toBe(`piped ls in ${t.home}`);
    expect(await command(() => undefined)).toContain('guard mask-exec');
    expect(
      await command(() => {
        throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
      }),
    ).toContain('guard mask-exec');
  });
});
