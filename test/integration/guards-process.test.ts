// The guard hooks as real processes: the commands `keyring-inject install` writes, run through
// /bin/sh as Claude Code runs them, against a real gnome-keyring (values read in memory only),
// and against an unreachable keyring (they fail open with a note, and still check key shapes).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shQuote as shQuoteWord } from '../../src/core/shell.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runCli } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

interface ShResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a hook command as Claude Code does: `/bin/sh -c CMD` with the hook JSON on stdin. */
function sh(cmd: string, input: unknown, env: Record<string, string>): Promise<ShResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/bin/sh', ['-c', cmd], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
    child.stdin.end(input === undefined ? '' : JSON.stringify(input));
  });
}

let t: TempHome;
let hooks: Record<string, string>;
beforeEach(async () => {
  t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
  const inst = await runCli(['install', '--json'], { env: t.env });
  expect(inst.code, inst.stderr).toBe(0);
  hooks = JSON.parse(inst.stdout).hooks as Record<string, string>;
});
afterEach(() => t.cleanup());

const SID = 'guard-process-test';

describe.runIf(HAVE_SECRET_SERVICE)('guard hooks as processes, with a real keyring', () => {
  it('the installed commands mask, block and deny, and never print a value', async () => {
    const value = testSecret('proc');
    const add = await runCli(['add', 'github', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], { env: t.env, input: `${value}\n` });
    expect(add.code, add.stderr).toBe(0);

    const post = await sh(
      hooks.PostToolUse as string,
      { session_id: SID, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: { stdout: `GITHUB_TOKEN=${value}`, stderr: '', interrupted: false, isImage: false } },
      t.env,
    );
    expect(post.code, post.stderr).toBe(0);
    expect(JSON.parse(post.stdout).hookSpecificOutput.updatedToolOutput.stdout).toBe('GITHUB_TOKEN=[keyring-inject:github]');

    const ups = await sh(hooks.UserPromptSubmit as string, { session_id: SID, hook_event_name: 'UserPromptSubmit', prompt: `here: ${value}` }, t.env);
    expect(ups.code, ups.stderr).toBe(0);
    expect(JSON.parse(ups.stdout)).toMatchObject({ decision: 'block', hookSpecificOutput: { suppressOriginalPrompt: true } });

    // Not injected (no session): reading the config is allowed, but (a key being stored) the Bash
    // call is rewritten to run under guard mask-exec; process environments are not allowed.
    const pre = await sh(hooks.PreToolUse as string, { session_id: SID, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'cat ~/.claude.json', timeout: 5000 } }, t.env);
    expect(pre).toMatchObject({ code: 0, stderr: '' });
    const rewritten = JSON.parse(pre.stdout).hookSpecificOutput;
    expect(rewritten.permissionDecision).toBeUndefined(); // the user's permission rules still decide
    expect(rewritten.updatedInput.timeout).toBe(5000);
    expect(rewritten.updatedInput.command).toMatch(/ guard mask-exec --cwd-file "\$__ki_cwd" -- 'cat ~\/\.claude\.json'; /);

    // The rewritten command, run as the Bash tool would: masked stdout and stderr (plain, base64,
    // hex), the exit status kept, even when the command fails.
    const envFile = join(t.home, 'leak.env');
    writeFileSync(envFile, `GITHUB_TOKEN=${value}\n`);
    const failing = `cat ${envFile}; base64 ${envFile} >&2; od -An -tx1 ${envFile} | tr -d ' \\n'; echo; exit 3`;
    const pre2 = await sh(hooks.PreToolUse as string, { session_id: SID, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: failing } }, t.env);
    const run = await sh(JSON.parse(pre2.stdout).hookSpecificOutput.updatedInput.command as string, undefined, t.env);
    rmSync(envFile);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('GITHUB_TOKEN=[keyring-inject:github]');
    expect(run.stderr).toContain('[keyring-inject:github]');
    expect(run.stdout.split('\n')[1]).toContain('[keyring-inject:github]'); // the hex line
    expectNoLeak(value, [run.stdout, run.stderr], []);
    expect(run.stderr.includes(Buffer.from(value).toString('base64').slice(4, 20))).toBe(false);
    const environ = await sh(hooks.PreToolUse as string, { session_id: SID, hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: '/proc/1/environ' } }, t.env);
    expect(JSON.parse(environ.stdout).hookSpecificOutput.permissionDecision).toBe('deny');

    expectNoLeak(value, [post.stdout, post.stderr, ups.stdout, ups.stderr, pre.stdout, environ.stdout], [t.home]);
    // The settings file names the guards with their matchers.
    const settings = JSON.parse(readFileSync(join(t.home, '.claude', 'settings.json'), 'utf8'));
    expect(settings.hooks.PreToolUse[0].matcher).toBe('*');
    expect(settings.hooks.PostToolUse[0].matcher).toBe('*');
  });

  it('guard mask-exec passes stdin through, keeps the order of early output, and dies of the signal that ends its command', async () => {
    const value = testSecret('sig');
    const add = await runCli(['add', 'github', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], { env: t.env, input: `${value}\n` });
    expect(add.code, add.stderr).toBe(0);
    const run = (command: string, input: string, onStart?: (pid: number) => void) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, 'guard', 'mask-exec', '--', command], { env: t.env, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('begun')) onStart?.(child.pid as number);
        });
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, out }));
        child.stdin.end(input);
      });
    const piped = await run('read -r l; echo "got $l"; echo "$l" >&2; exit 4', `${value}\n`);
    expect(piped.code).toBe(4);
    expect(piped.out).toBe('got [keyring-inject:github]\n[keyring-inject:github]\n');
    // (a whole line: it goes out at once, while the end of an unfinished line is held back)
    const killed = await run('echo begun; sleep 20', '', (pid) => process.kill(pid, 'SIGTERM'));
    expect(killed.signal === 'SIGTERM' || killed.code === 143, JSON.stringify(killed)).toBe(true);
  });

  it('guard mask-exec: when output goes out does not tell whether it starts the stored value (no prefix oracle)', async () => {
    const value = testSecret('tm');
    const add = await runCli(['add', 'github', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], { env: t.env, input: `${value}\n` });
    expect(add.code, add.stderr).toBe(0);
    // As a model would probe: print a guess, wait, end the line; watch what arrives before the line break.
    const chunks = (text: string) =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, 'guard', 'mask-exec', '--', `printf '%s' '${text}'; sleep 1; echo`], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
        const got: string[] = [];
        child.stdout.on('data', (c: Buffer) => got.push(c.toString()));
        child.on('error', reject);
        child.on('close', () => resolve(got));
      });
    const hit = value.slice(0, 14);
    const miss = `${value.slice(0, 13)}Z`; // no form of the value starts so
    const [a, b] = await Promise.all([chunks(hit), chunks(miss)]);
    expect(a).toEqual([`${hit}\n`]);
    expect(b).toEqual([`${miss}\n`]);
  });

  it('a cd inside a rewritten Bash call carries over to the next call, as the Bash tool keeps the working directory', async () => {
    const add = await runCli(['add', 'github', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], { env: t.env, input: `${testSecret('cwd')}\n` });
    expect(add.code, add.stderr).toBe(0);
    const rewrite = async (command: string) => {
      const pre = await sh(hooks.PreToolUse as string, { session_id: SID, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command } }, t.env);
      return JSON.parse(pre.stdout).hookSpecificOutput.updatedInput.command as string;
    };
    // As Claude Code runs a Bash call: eval in bash, then record the directory only if it succeeded.
    const claudeBash = (command: string) => sh(`cd ${shQuoteWord(t.home)} && eval ${shQuoteWord(command)} && pwd -P`, undefined, t.env);
    const moved = await claudeBash(await rewrite('mkdir -p "sub dir" && cd "sub dir" && echo moved'));
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toBe(`moved\n${realpathSync(join(t.home, 'sub dir'))}\n`);
    // A failing call keeps its status (and, as in the Bash tool, its directory is not recorded).
    const failed = await claudeBash(await rewrite('cd "sub dir"; exit 5'));
    expect(failed.code).toBe(5);
    expect(failed.stdout).toBe('');
    // Nothing of ours is left in the temp dir.
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('ki-cwd.'))).toEqual([]);
  });

  it('with the keyring unreachable: shapes are still blocked and masked, the user is told, nothing fails', async () => {
    const add = await runCli(['add', 'github', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], { env: t.env, input: `${testSecret('x')}\n` });
    expect(add.code, add.stderr).toBe(0);
    const env = { ...t.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(t.home, 'no-such-bus')}` };
    const shaped = `gh${'p'}_${'Qz9'.repeat(12)}`; // the GitHub shape, made up here
    const ups = await sh(hooks.UserPromptSubmit as string, { session_id: SID, hook_event_name: 'UserPromptSubmit', prompt: `token ${shaped}` }, env);
    expect(ups.code, ups.stderr).toBe(0);
    expect(JSON.parse(ups.stdout).decision).toBe('block');
    const clean = await sh(hooks.UserPromptSubmit as string, { session_id: SID, hook_event_name: 'UserPromptSubmit', prompt: 'hello' }, env);
    expect(JSON.parse(clean.stdout).systemMessage).toContain('could not read the keyring');
    const post = await sh(hooks.PostToolUse as string, { session_id: SID, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: { stdout: `T=${shaped}`, stderr: '' } }, env);
    const out = JSON.parse(post.stdout);
    expect(out.hookSpecificOutput.updatedToolOutput.stdout).toBe('T=[keyring-inject:github-token]');
    expect(out.systemMessage).toContain('only common key formats were hidden');
    // Fails fast: no D-Bus is noticed at once, well inside the hook timeouts.
    expect(post.ms).toBeLessThan(5000);
  });

  it('runs fast enough to sit on every tool call (10 keys)', async () => {
    for (let k = 0; k < 10; k++) {
      const r = await runCli(['add', `k${k}`, '--server', 'github', '--env', `K${k}`, '--stdin'], { env: t.env, input: `${testSecret(`k${k}`)}\n` });
      expect(r.code, r.stderr).toBe(0);
    }
    const input = { session_id: SID, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: { stdout: 'x'.repeat(2000), stderr: '' } };
    const times: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await sh(hooks.PostToolUse as string, input, t.env);
      expect(r).toMatchObject({ code: 0, stdout: '' });
      times.push(r.ms);
    }
    times.sort((a, b) => a - b);
    console.log(`guard post-tool-use with 10 keys, as a process: median ${times[4]?.toFixed(0)} ms, max ${times[7]?.toFixed(0)} ms`);
    // Generous bound for a loaded 2-core CI box; scripts/bench-guards.mjs measures properly.
    expect(times[4]).toBeLessThan(1500);
  });
});
