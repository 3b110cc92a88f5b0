// The hook commands as real processes under a stand-in Claude Code process (hooks run as
// `/bin/sh -c CMD`, children of the client): registration by process, the watchdog after a
// SIGKILL, and bad stdin.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesContaining } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runCli, shellQuote as q } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { type HookResult, StandIn } from '../helpers/fake-claude/hooks.js';
import { moduleSpy } from '../helpers/module-spy.js';
import { watchdogsFor } from '../helpers/processes.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** A code cache beside the bundle, written for its current bytes (not one left by an older build). */
function cacheIsFor(bundle: string): boolean {
  const cache = join(dirname(CLI), `.${bundle}.v8-cache`);
  return existsSync(cache) && readFileSync(cache).includes(readFileSync(join(dirname(CLI), bundle)));
}

/** One hook run under the stand-in, which stays alive throughout these tests. */
async function hook(c: StandIn, event: 'session-start' | 'session-end', input: unknown): Promise<HookResult> {
  const r = await c.run(event, input);
  if (r === undefined) throw new Error('the Claude Code stand-in died');
  return r;
}

describe.runIf(HAVE_SECRET_SERVICE)('hooks under a Claude Code stand-in', () => {
  let t: TempHome;
  let config: string;
  let secret: string;
  const fakes: StandIn[] = [];
  const original = `${JSON.stringify({ mcpServers: { gh: { type: 'stdio', command: 'gh-mcp' } } }, null, 2)}\n`;

  beforeEach(async () => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    config = join(t.home, '.claude.json');
    writeFileSync(config, original);
    secret = testSecret();
    const add = await runCli(['add', 'gh', '--server', 'gh', '--env', 'GITHUB_TOKEN', '--stdin'], { env: t.env, input: secret });
    expect(add.code).toBe(0);
  });
  afterEach(() => {
    fakes.splice(0).forEach((f) => f.kill());
    t.cleanup();
  });
  const fake = () => {
    const f = new StandIn(t.env);
    fakes.push(f);
    return f;
  };

  it('start injects and says so without any value; end strips back to the original bytes', async () => {
    const c = fake();
    const start = await hook(c, 'session-start', { session_id: 'sess-1', hook_event_name: 'SessionStart', source: 'startup' });
    expect(start.code).toBe(0);
    expect(JSON.parse(start.out).systemMessage).toMatch(/put 1 key\(s\) into .*reconnect/);
    expect(start.out + start.err).not.toContain(secret);
    expect(JSON.parse(readFileSync(config, 'utf8')).mcpServers.gh.env.GITHUB_TOKEN).toBe(secret);
    const clear = await hook(c, 'session-end', { session_id: 'sess-1', hook_event_name: 'SessionEnd', reason: 'clear' });
    expect(clear.code).toBe(0);
    expect(readFileSync(config, 'utf8')).toContain(secret); // /clear: same process goes on
    const end = await hook(c, 'session-end', { session_id: 'sess-1', hook_event_name: 'SessionEnd', reason: 'other' });
    expect(end.code).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe(original);
    expect(filesContaining(secret, [t.home])).toEqual([]);
  });

  it('a SIGKILLed client: the watchdog strips within ~2 s and then exits', async () => {
    const c = fake();
    await hook(c, 'session-start', { session_id: 'sess-k', hook_event_name: 'SessionStart', source: 'startup' });
    expect(readFileSync(config, 'utf8')).toContain(secret);
    await sleep(200);
    expect(watchdogsFor(t.home).length).toBeGreaterThan(0);
    const t0 = performance.now();
    c.kill();
    while (readFileSync(config, 'utf8').includes(secret) && performance.now() - t0 < 5000) await sleep(50);
    const ms = performance.now() - t0;
    console.log(`  key gone ${Math.round(ms)} ms after SIGKILL`);
    expect(ms).toBeLessThan(2500);
    expect(readFileSync(config, 'utf8')).toBe(original);
    // It re-checks for 3 s after the strip (a racing writer could bring a value back), then exits.
    for (let i = 0; i < 120 && watchdogsFor(t.home).length > 0; i++) await sleep(50);
    expect(watchdogsFor(t.home)).toEqual([]);
    expect(filesContaining(secret, [t.home])).toEqual([]);
  });

  it('each hook runs its own bundle; session-end never loads the keyring binding or child_process', async () => {
    // A preloaded spy records what each process requires from outside its bundle: our other
    // bundles, Node built-ins, the native binding.
    const spy = moduleSpy(join(t.home, 'spy'));
    const env = { ...t.env, NODE_OPTIONS: spy.nodeOptions };
    const c = new StandIn(env);
    fakes.push(c);
    expect((await hook(c, 'session-start', { session_id: 'sess-b', hook_event_name: 'SessionStart', source: 'startup' })).code).toBe(0);
    expect(readFileSync(config, 'utf8')).toContain(secret);
    expect((await hook(c, 'session-end', { session_id: 'sess-b', hook_event_name: 'SessionEnd', reason: 'other' })).code).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe(original);
    const guard = await runCli(['guard', 'pre-tool-use'], { env, input: JSON.stringify({ session_id: 'sess-b', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } }) });
    expect(guard.code).toBe(0);
    // The full-CLI bundle beside the binary can be run directly: the guard knows it as ours.
    const mainJs = join(dirname(CLI), 'main.js');
    const viaMain = await runCli(['guard', 'pre-tool-use'], {
      env,
      input: JSON.stringify({ session_id: 'sess-b', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: `node ${q(mainJs)} run -- env` } }),
    });
    expect(JSON.parse(viaMain.stdout).hookSpecificOutput.permissionDecision).toBe('deny');
    expect((await runCli(['list'], { env })).code).toBe(0);
    // The watchdog the session start started exits after the strip (and its re-checks).
    await waitFor('the watchdog to exit', () => watchdogsFor(t.home).length === 0, 15_000);
    const run = (...argv: string[]) => {
      const found = spy.find(...argv);
      expect(found, argv.join(' ')).toBeDefined();
      return new Set(found?.loaded);
    };
    const start = run('hook', 'session-start');
    const end = run('hook', 'session-end');
    // The spy does see the binding where it is loaded, so its absence below means something.
    expect(start.has('@napi-rs/keyring')).toBe(true);
    // What the binary (dist/cli.js) required of its neighbours: a hook or guard only the code
    // cache's loader (which runs hook.js or guard.js from their code cache, entries/code-cache.ts),
    // never the full CLI's bundle; any other command main.js.
    const bundles = (loaded: Set<string>) => [...loaded].filter((m) => /^\.\/[a-z-]+\.js$/.test(m));
    expect([...bundles(start), ...bundles(end)]).toEqual(['./code-cache.js', './code-cache.js']);
    expect(cacheIsFor('hook.js')).toBe(true);
    expect(end.has('@napi-rs/keyring')).toBe(false);
    expect(end.has('node:child_process') || end.has('child_process')).toBe(false);
    // node:net (~3 ms) only where the guard service is talked to, never for the registry's Vault check.
    expect(end.has('node:net') || end.has('net')).toBe(false);
    // Both write the config through the swap (core/rename-exchange.ts): koffi's binary, where it has one.
    if (process.platform === 'linux' || process.platform === 'darwin') for (const loaded of [start, end]) expect(loaded.has(`@koromix/koffi-${process.platform}-${process.arch}`)).toBe(true);
    // Our files are written by core/atomic-write.ts: no write-file-atomic (worker_threads, signal-exit) in a hook.
    for (const loaded of [start, end]) expect(loaded.has('worker_threads') || loaded.has('node:worker_threads')).toBe(false);
    expect(bundles(run('guard', 'pre-tool-use'))).toEqual(['./code-cache.js']);
    expect(run('guard', 'pre-tool-use').has('node:net')).toBe(false);
    expect(cacheIsFor('guard.js')).toBe(true);
    expect(bundles(run('list'))).toEqual(['./main.js']);
    // The watchdog too runs a bundle of its own (it starts beside every session start), not the whole CLI's.
    expect(bundles(run('watchdog'))).toEqual(['./code-cache.js']);
    expect(cacheIsFor('watchdog.js')).toBe(true);
  });

  it('garbage, empty and oversized stdin: one clear line, exit 1, nothing written', async () => {
    const c = fake();
    for (const input of ['not json at all', '', '{"hook_event_name":"SessionStart"}', `{"session_id":"x","pad":"${'a'.repeat(300_000)}"}`, '[1,2,3]']) {
      const r = await hook(c, 'session-start', input);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/nothing was changed/);
    }
    expect(readFileSync(config, 'utf8')).toBe(original);
    expect(existsSync(join(t.home, '.claude', 'keyring-inject', 'state.json'))).toBe(false);
  });

  it('status and cleanup report leftovers by name and remove them', async () => {
    const c = fake();
    await hook(c, 'session-start', { session_id: 'sess-c', hook_event_name: 'SessionStart', source: 'startup' });
    const status = await runCli(['status', '--json'], { env: t.env });
    const s = JSON.parse(status.stdout);
    expect(s.sessions).toEqual([{ pid: c.child.pid, sessionId: 'sess-c', alive: true, launcher: false }]);
    expect(s.injected).toEqual([{ key: 'gh', server: 'gh', env: 'GITHUB_TOKEN', scope: 'user', project: null }]);
    const dry = await runCli(['cleanup', '--dry-run', '--json'], { env: t.env });
    expect(JSON.parse(dry.stdout).stripped).toEqual(['gh: gh.env.GITHUB_TOKEN (user)']);
    expect(readFileSync(config, 'utf8')).toContain(secret);
    const real = await runCli(['cleanup'], { env: t.env });
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('removed gh: gh.env.GITHUB_TOKEN (user)');
    expect(readFileSync(config, 'utf8')).toBe(original);
    const again = await runCli(['cleanup', '--json'], { env: t.env });
    expect(JSON.parse(again.stdout).stripped).toEqual([]);
    for (const r of [status, dry, real, again]) expect(r.stdout + r.stderr).not.toContain(secret);
  });
});
