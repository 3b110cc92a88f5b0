// The guard service as real processes: `install --guards http`, the SessionStart hook run by the
// Claude Code stand-in (which starts the service), real HTTP requests, real SIGKILLs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { claudePaths } from '../../src/core/paths.js';
import { guardServiceFile } from '../../src/guard-service/config.js';
import { withLock } from '../../src/core/secure-file.js';
import { stateFile } from '../../src/engine/state.js';
import { startInput, StandIn } from '../helpers/fake-claude/hooks.js';
import { moduleSpy } from '../helpers/module-spy.js';
import { guardServicesFor, killAll, killStarted, watchdogsFor } from '../helpers/processes.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { runCli, runProgram } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { sleep, waitFor } from '../helpers/wait.js';

let t: TempHome | undefined;
afterEach(() => {
  killStarted();
  if (t) {
    killAll(guardServicesFor(t.home));
    killAll(watchdogsFor(t.home));
    t.cleanup();
  }
  t = undefined;
});

interface Service {
  port: number;
  token: string;
}

async function installHttp(extraEnv: Record<string, string> = {}): Promise<{ t: TempHome; svc: Service }> {
  t = makeTempHome({ KEYRING_INJECT_SERVICE: testService(), ...extraEnv });
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { srv: { type: 'stdio', command: 'true', env: {} } } }));
  const r = await runCli(['install', '--no-mcp', '--guards', 'http'], { env: t.env });
  expect(r.code, r.stderr).toBe(0);
  const svc = JSON.parse(readFileSync(guardServiceFile(claudePaths(t.env)), 'utf8')) as Service;
  const settings = JSON.parse(readFileSync(join(t.home, '.claude/settings.json'), 'utf8'));
  const pre = settings.hooks.PreToolUse[0].hooks[0];
  expect(pre).toEqual({ type: 'http', url: `http://127.0.0.1:${svc.port}/keyring-inject/guard/pre-tool-use`, headers: { 'X-Keyring-Inject-Token': svc.token }, timeout: 10, onFailure: 'block' });
  return { t, svc };
}

function post(port: number, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers } }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const HELD_START = fileURLToPath(new URL('../helpers/children/held-service-start.cjs', import.meta.url));
const auth = (svc: Service) => ({ 'X-Keyring-Inject-Token': svc.token });
/** A Bash call the guards always deny: writing our data directory. */
const writeData = (home: string) => ({
  session_id: 's1',
  hook_event_name: 'PreToolUse',
  cwd: home,
  tool_name: 'Bash',
  tool_input: { command: `echo x > ${home}/.claude/keyring-inject/registry.json` },
});

async function startSession(env: Record<string, string>, sid: string): Promise<{ client: StandIn; out: string }> {
  const client = new StandIn(env);
  const r = await client.run('session-start', startInput(sid));
  expect(r?.code, r?.err).toBe(0);
  return { client, out: r?.out ?? '' };
}

describe('the guard service', () => {
  it('SessionStart starts it before it returns; it answers with the guards decisions, and only to Claude Code', async () => {
    const { t, svc } = await installHttp();
    const { out } = await startSession(t.env, 's1');
    expect(out).not.toContain('guard service');
    expect(guardServicesFor(t.home)).toHaveLength(1);

    const denied = await post(svc.port, '/keyring-inject/guard/pre-tool-use', writeData(t.home), auth(svc));
    expect(denied.status).toBe(200);
    expect(JSON.parse(denied.body).hookSpecificOutput.permissionDecision).toBe('deny');
    const allowed = await post(svc.port, '/keyring-inject/guard/pre-tool-use', { ...writeData(t.home), tool_input: { command: 'ls' } }, auth(svc));
    expect(JSON.parse(allowed.body)).toEqual({});

    // A plain curl without the token, or with a wrong one; a web page (Origin); DNS rebinding (Host).
    const curl = (...args: string[]) =>
      spawnSync(
        'curl',
        [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          ...args,
          `http://127.0.0.1:${svc.port}/keyring-inject/guard/pre-tool-use`,
          '--data-binary',
          JSON.stringify(writeData(t.home)),
          '-H',
          'content-type: application/json',
        ],
        { encoding: 'utf8' },
      ).stdout;
    expect(curl()).toBe('403');
    expect(curl('-H', `X-Keyring-Inject-Token: ${'0'.repeat(64)}`)).toBe('403');
    expect(curl('-H', `X-Keyring-Inject-Token: ${svc.token}`, '-H', 'Origin: http://evil.example')).toBe('403');
    expect(curl('-H', `X-Keyring-Inject-Token: ${svc.token}`, '-H', 'Host: evil.example')).toBe('403');
    expect(curl('-H', `X-Keyring-Inject-Token: ${svc.token}`)).toBe('200');
    // Another local user's process (nobody, via setpriv, where we are root): it cannot read the
    // token (the record is 0600 in our 0700 data dir) and gets 403 without it.
    if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v setpriv'], { stdio: 'ignore' }).status === 0) {
      const asNobody = (...args: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...args], { encoding: 'utf8' });
      expect(asNobody('cat', guardServiceFile(claudePaths(t.env))).status).not.toBe(0);
      expect(
        asNobody('curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${svc.port}/keyring-inject/guard/pre-tool-use`, '--data-binary', '{}', '-H', 'content-type: application/json')
          .stdout,
      ).toBe('403');
    }
    // Garbage is refused (the hook's onFailure then blocks the call), never answered with an empty allow.
    const garbage = await post(svc.port, '/keyring-inject/guard/pre-tool-use', 'not an object', auth(svc));
    expect(garbage.status).toBe(400);
  }, 60_000);

  it('SessionStart does not wait for the service to start up: it hands the service its listening socket, so a first request waits for the answer; a service that dies first leaves it refused (the call blocked)', async () => {
    const gate = join(tmpdir(), `ki-gate-${process.pid}-${Date.now()}`);
    const { t, svc } = await installHttp({ NODE_OPTIONS: `--require ${HELD_START}`, KI_TEST_SERVICE_GATE: gate });
    try {
      // The service is held before any of its code runs; SessionStart returns all the same, with no problem to report.
      const { client, out } = await startSession(t.env, 's1');
      expect(out).not.toContain('guard service');
      expect(guardServicesFor(t.home)).toHaveLength(1);
      let settled = false;
      const first = post(svc.port, '/keyring-inject/guard/pre-tool-use', writeData(t.home), auth(svc)).finally(() => (settled = true));
      await sleep(700);
      expect(settled).toBe(false); // queued in the socket's backlog: not refused, not answered yet
      writeFileSync(gate, 'go');
      expect(JSON.parse((await first).body).hookSpecificOutput.permissionDecision).toBe('deny');
      client.kill();
      await client.exited;

      // A service that dies at its start: the request it would have answered is refused (Claude Code's onFailure "block" blocks the call).
      killAll(watchdogsFor(t.home));
      killAll(guardServicesFor(t.home));
      await waitFor('the service to be gone', () => guardServicesFor(t.home).length === 0, 5000);
      writeFileSync(gate, 'die');
      const b = await startSession(t.env, 's2');
      expect(b.out).not.toContain('guard service');
      await expect(post(svc.port, '/keyring-inject/guard/pre-tool-use', writeData(t.home), auth(svc))).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
      b.client.kill();
      await b.client.exited;
    } finally {
      rmSync(gate, { force: true });
    }
  }, 60_000);

  it('answers parallel hooks of two sessions that started at once, from one service', async () => {
    const { t, svc } = await installHttp();
    const [a, b] = await Promise.all([startSession(t.env, 'a'), startSession(t.env, 'b')]);
    expect(a.out + b.out).not.toContain('guard service');
    expect(guardServicesFor(t.home)).toHaveLength(1);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(svc.port, '/keyring-inject/guard/pre-tool-use', i % 2 ? writeData(t.home) : { ...writeData(t.home), tool_input: { command: `echo ${i}` } }, auth(svc))),
    );
    answers.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).hookSpecificOutput?.permissionDecision).toBe(i % 2 ? 'deny' : undefined);
    });
  }, 60_000);

  it('killed mid-session (SIGKILL): refused connections until the watchdog starts it again; gone after the last session', async () => {
    const { t, svc } = await installHttp();
    const { client } = await startSession(t.env, 's1');
    const [pid] = guardServicesFor(t.home);
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    await waitFor('the service to be gone', () => guardServicesFor(t.home).length === 0, 5000);
    // What Claude Code then meets: a refused connection (its onFailure "block" blocks the call).
    await expect(post(svc.port, '/keyring-inject/guard/pre-tool-use', writeData(t.home), auth(svc))).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);
    await waitFor('the watchdog to start the service again', () => guardServicesFor(t.home).length === 1, 10_000);
    await sleep(300);
    const again = await post(svc.port, '/keyring-inject/guard/pre-tool-use', writeData(t.home), auth(svc));
    expect(JSON.parse(again.body).hookSpecificOutput.permissionDecision).toBe('deny');

    client.kill();
    await client.exited;
    await waitFor('the service to exit after the last session', () => guardServicesFor(t.home).length === 0, 30_000);
  }, 60_000);

  it('killed mid-session and its port taken by another program: the watchdog puts the guards back as command hooks (that program would get every prompt and tool output, and decide for the guards)', async () => {
    const { t, svc } = await installHttp();
    const { client } = await startSession(t.env, 's1');
    expect(guardServicesFor(t.home)).toHaveLength(1);
    // Kill it and take its port. The watchdog may restart it between the two (it listens again
    // within about a second): then kill the new one and try again, as a program racing it would.
    const listen = () =>
      new Promise<http.Server | undefined>((r) => {
        const server = http.createServer((_req, res) => res.end('{}'));
        server.once('error', () => r(undefined));
        server.listen(svc.port, '127.0.0.1', () => r(server));
      });
    let taken: http.Server | undefined;
    for (let i = 0; i < 20 && !taken; i++) {
      for (const pid of guardServicesFor(t.home)) process.kill(pid, 'SIGKILL');
      await waitFor('the service to be gone', () => guardServicesFor(t.home).length === 0, 5000);
      taken = await listen();
    }
    expect(taken).toBeDefined();
    const squatter = taken as http.Server;
    try {
      const settingsFile = join(t.home, '.claude/settings.json');
      await waitFor('the watchdog to put the guards back as command hooks', () => !readFileSync(settingsFile, 'utf8').includes('"http"'), 15_000);
      for (const e of ['UserPromptSubmit', 'PreToolUse', 'PostToolUse'])
        expect(JSON.parse(readFileSync(settingsFile, 'utf8')).hooks[e][0].hooks[0].command).toMatch(/ guard [a-z-]+ # keyring-inject$/);
      expect(() => readFileSync(guardServiceFile(claudePaths(t.env)))).toThrow();
    } finally {
      squatter.closeAllConnections();
      await new Promise((r) => squatter.close(r));
      client.kill();
      await client.exited;
    }
  }, 60_000);

  it('a session that starts while the last one just ended finds the service answering at its first call (it does not exit under it)', async () => {
    const { t, svc } = await installHttp();
    const a = await startSession(t.env, 'a');
    await sleep(5500); // the service is past any start-up grace
    a.client.kill();
    await a.client.exited;
    // B's hook finds the service up (its ping answers) and records B only when it gets the state
    // lock; we hold that lock meanwhile, so the service sees no live session for seconds.
    const b = new StandIn(t.env);
    let started: Promise<unknown> = Promise.resolve();
    await withLock(stateFile(claudePaths(t.env)), async () => {
      started = b.run('session-start', startInput('b'));
      await sleep(3000);
    });
    await started;
    const r = await post(svc.port, '/keyring-inject/guard/pre-tool-use', writeData(t.home), auth(svc)).catch((err: Error) => ({ status: 0, body: err.message }));
    expect(r.status, r.body).toBe(200);
  }, 60_000);

  it('a stale port: install moves off a port another program holds; a session that finds one puts the guards back as command hooks', async () => {
    const { t, svc } = await installHttp();
    const squat = async (port: number) => {
      const server = http.createServer((_req, res) => res.end('{}'));
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
      return server;
    };
    const squatters: http.Server[] = [];
    try {
      // install again while another program holds the recorded port: a new port.
      squatters.push(await squat(svc.port));
      expect((await runCli(['install', '--no-mcp', '--guards', 'http'], { env: t.env })).code).toBe(0);
      const next = JSON.parse(readFileSync(guardServiceFile(claudePaths(t.env)), 'utf8')) as Service;
      expect(next.port).not.toBe(svc.port);
      expect(readFileSync(join(t.home, '.claude/settings.json'), 'utf8')).toContain(`127.0.0.1:${next.port}/keyring-inject/guard/`);

      // A session that starts while another program holds that port: one line, command guards.
      squatters.push(await squat(next.port));
      const { out } = await startSession(t.env, 's1');
      expect(out.trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(out).systemMessage).toContain(`another program holds port ${next.port} of the guard service, so the guards are command hooks again`);
      const settings = readFileSync(join(t.home, '.claude/settings.json'), 'utf8');
      expect(settings).not.toContain('"http"');
      for (const e of ['UserPromptSubmit', 'PreToolUse', 'PostToolUse']) expect(JSON.parse(settings).hooks[e][0].hooks[0].command).toMatch(/ guard [a-z-]+ # keyring-inject$/);
      expect(() => readFileSync(guardServiceFile(claudePaths(t.env)))).toThrow();
    } finally {
      for (const q of squatters) await new Promise((r) => q.close(r));
    }
    // A re-install while our own service runs keeps its port (running sessions keep working).
    expect((await runCli(['install', '--no-mcp', '--guards', 'http'], { env: t.env })).code).toBe(0);
    const port = (JSON.parse(readFileSync(guardServiceFile(claudePaths(t.env)), 'utf8')) as Service).port;
    await startSession(t.env, 's2');
    expect((await runCli(['install', '--no-mcp', '--guards', 'http'], { env: t.env })).code).toBe(0);
    expect((JSON.parse(readFileSync(guardServiceFile(claudePaths(t.env)), 'utf8')) as Service).port).toBe(port);
  }, 60_000);

  it('a session of a client older than 2.1.332 (its session file says so) puts the guards back as command hooks, in one line; 2.1.332 keeps them', async () => {
    const { t } = await installHttp();
    const sessions = join(t.home, '.claude/sessions');
    mkdirSync(sessions, { recursive: true });
    const settingsFile = join(t.home, '.claude/settings.json');
    const sessionOf = async (sid: string, version: string) => {
      const client = new StandIn(t.env);
      writeFileSync(join(sessions, `${client.pid}.json`), JSON.stringify({ pid: client.pid, sessionId: sid, version, kind: 'interactive' }));
      const r = await client.run('session-start', startInput(sid));
      expect(r?.code, r?.err).toBe(0);
      return { client, out: r?.out ?? '' };
    };
    const current = await sessionOf('new', '2.1.332');
    expect(current.out).not.toContain('guard');
    expect(readFileSync(settingsFile, 'utf8')).toContain('"http"');

    const older = await sessionOf('old', '2.1.300');
    expect(older.out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(older.out).systemMessage).toContain('Claude Code 2.1.300 may not block a tool call when the guard service fails');
    const settings = readFileSync(settingsFile, 'utf8');
    expect(settings).not.toContain('"http"');
    for (const e of ['UserPromptSubmit', 'PreToolUse', 'PostToolUse']) expect(JSON.parse(settings).hooks[e][0].hooks[0].command).toMatch(/ guard [a-z-]+ # keyring-inject$/);
    expect(() => readFileSync(guardServiceFile(claudePaths(t.env)))).toThrow();
    for (const c of [current.client, older.client]) {
      c.kill();
      await c.exited;
    }
  }, 60_000);

  it('install --guards command removes the http hooks and the record', async () => {
    const { t } = await installHttp();
    const r = await runCli(['install', '--no-mcp', '--guards', 'command'], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(t.home, '.claude/settings.json'), 'utf8');
    expect(text).not.toContain('"http"');
    expect(JSON.parse(text).hooks.PreToolUse).toHaveLength(1);
    expect(() => readFileSync(guardServiceFile(claudePaths(t.env)))).toThrow();
    const u = await runCli(['install', '--no-mcp', '--guards', 'http'], { env: t.env });
    expect(u.code).toBe(0);
    const un = await runCli(['uninstall'], { env: t.env });
    expect(un.code, un.stderr).toBe(0);
    expect(readFileSync(join(t.home, '.claude/settings.json'), 'utf8')).not.toContain('keyring-inject');
    expect(() => readFileSync(guardServiceFile(claudePaths(t.env)))).toThrow();
  }, 60_000);
});

describe.runIf(HAVE_SECRET_SERVICE)('the guard service with a key in the real keyring', () => {
  it("a Bash call through the service's pipes, the service SIGKILLed mid-command: nothing unmasked, the shell ends; a call made after: the command does not run; a new service sweeps the pipes", async () => {
    const { t, svc } = await installHttp();
    const value = testSecret('svc');
    const add = await runCli(['add', 'k1', '--server', 'srv', '--env', 'K1', '--stdin'], { env: t.env, input: `${value}\n` });
    expect(add.code, add.stderr).toBe(0);
    writeFileSync(join(t.home, 'k1.txt'), `${value}\n`);
    await startSession(t.env, 's1');
    const rewrite = async (command: string) => {
      const r = await post(svc.port, '/keyring-inject/guard/pre-tool-use', { ...writeData(t!.home), tool_input: { command } }, auth(svc));
      const out = JSON.parse(r.body).hookSpecificOutput.updatedInput.command as string;
      expect(out).toContain('/pipes/');
      return out;
    };
    const bash = async (script: string) => {
      const r = await runProgram('bash', ['-c', script], { env: t!.env });
      return { status: r.code, stdout: r.stdout.toString(), stderr: r.stderr };
    };
    // Masked while the service lives.
    const alive = await bash(await rewrite('cat k1.txt; cat k1.txt >&2; exit 5'));
    expect(alive.status).toBe(5);
    expect(alive.stdout).toBe('[keyring-inject:k1]\n');
    expect(alive.stderr).toBe('[keyring-inject:k1]\n');

    // Killed while the command sleeps: its write after that has no reader (SIGPIPE), nothing goes out unmasked.
    killAll(watchdogsFor(t.home));
    const midway = await rewrite('echo before; sleep 1; cat k1.txt; cat k1.txt >&2; echo after');
    const [pid] = guardServicesFor(t.home);
    setTimeout(() => process.kill(pid as number, 'SIGKILL'), 400);
    const killed = await bash(midway);
    expect(killed.stdout).toBe('before\n');
    expect(killed.stdout + killed.stderr).not.toContain(value);
    expect(killed.status).not.toBe(0);
    // Nothing of that call waits on for good (its cats and subshell, blocked on a pipe).
    const callDir = /pipes\/([0-9a-f]+)\//.exec(midway)?.[1] as string;
    const waiting = () =>
      readdirSync('/proc').filter(
        (p) =>
          /^\d+$/.test(p) &&
          (() => {
            try {
              return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(callDir);
            } catch {
              return false;
            }
          })(),
      );
    await waitFor("the call's processes to end", () => waiting().length === 0, 8000);

    // Rewritten before the kill, run after it: refused, not run.
    await startSession(t.env, 's2');
    await waitFor('a new service', () => guardServicesFor(t!.home).length === 1, 10_000);
    const late = await rewrite('touch ran; cat k1.txt');
    killAll(watchdogsFor(t.home));
    const [pid2] = guardServicesFor(t.home);
    process.kill(pid2 as number, 'SIGKILL');
    // Reaped, not only dead: the shell's check is `kill -0`, which a zombie passes.
    const reaped = () => {
      try {
        process.kill(pid2 as number, 0);
        return false;
      } catch {
        return true;
      }
    };
    await waitFor('the service to be reaped', reaped, 10_000);
    const refused = await bash(late);
    expect(refused.status).toBe(126);
    expect(refused.stderr).toMatch(/guard service .* is not running, so the command did not run/);
    expect(existsSync(join(t.home, 'ran'))).toBe(false);
    expect(refused.stdout).toBe('');

    // What the killed services left is swept by the next one.
    const pipes = join(t.home, '.claude/keyring-inject/pipes');
    expect(readdirSync(pipes).length).toBeGreaterThan(0);
    await startSession(t.env, 's3');
    await waitFor('the pipes of the killed services to be swept', () => readdirSync(pipes).length === 0, 10_000);
  }, 60_000);

  it("a cold session start hands the service the hook's keyring read: its first answers mask the value without loading the keyring binding", async () => {
    const { t, svc } = await installHttp();
    const value = testSecret('handed');
    expect((await runCli(['add', 'k1', '--server', 'srv', '--env', 'K1', '--stdin'], { env: t.env, input: `${value}\n` })).code).toBe(0);
    // A preloaded spy records what each of our processes requires (the service inherits it).
    const spy = moduleSpy(join(t.home, 'spy'));
    await startSession({ ...t.env, NODE_OPTIONS: spy.nodeOptions }, 's1');
    const prompt = await post(svc.port, '/keyring-inject/guard/user-prompt-submit', { session_id: 's1', hook_event_name: 'UserPromptSubmit', cwd: t.home, prompt: `my key is ${value}` }, auth(svc));
    expect(JSON.parse(prompt.body).decision).toBe('block');
    const masked = await post(
      svc.port,
      '/keyring-inject/guard/post-tool-use',
      {
        session_id: 's1',
        hook_event_name: 'PostToolUse',
        cwd: t.home,
        tool_name: 'Bash',
        tool_input: { command: 'env' },
        tool_response: { stdout: `K1=${value}\n`, stderr: '', interrupted: false, isImage: false },
      },
      auth(svc),
    );
    expect(JSON.parse(masked.body).hookSpecificOutput.updatedToolOutput.stdout).toBe('K1=[keyring-inject:k1]\n');
    await sleep(300);
    const service = spy.find('guard-service');
    expect(service?.argv).toEqual(['guard-service', '--listen-fd', '3', '--values-fd', '4']);
    expect(spy.find('hook')?.loaded).toContain('@napi-rs/keyring');
    expect(service?.loaded).not.toContain('@napi-rs/keyring');
    for (const f of readdirSync(spy.dir)) expect(readFileSync(join(spy.dir, f), 'utf8')).not.toContain(value);
  }, 60_000);

  it('masks a stored value in a tool output, and a rotated value right after the rotate', async () => {
    const { t, svc } = await installHttp();
    const value = testSecret('svc');
    const add = await runCli(['add', 'k1', '--server', 'srv', '--env', 'K1', '--stdin'], { env: t.env, input: `${value}\n` });
    expect(add.code, add.stderr).toBe(0);
    await startSession(t.env, 's1');
    const postTool = (v: string) =>
      post(
        svc.port,
        '/keyring-inject/guard/post-tool-use',
        {
          session_id: 's1',
          hook_event_name: 'PostToolUse',
          cwd: t?.home,
          tool_name: 'Bash',
          tool_input: { command: 'env' },
          tool_response: { stdout: `K1=${v}\n`, stderr: '', interrupted: false, isImage: false },
        },
        auth(svc),
      );
    const masked = await postTool(value);
    expect(masked.body).not.toContain(value);
    expect(JSON.parse(masked.body).hookSpecificOutput.updatedToolOutput.stdout).toBe('K1=[keyring-inject:k1]\n');
    const rotated = testSecret('svc2');
    execFileSync(process.execPath, [join(__dirname, '../../dist/cli.js'), 'rotate', 'k1', '--stdin'], { env: t.env, input: `${rotated}\n`, stdio: ['pipe', 'ignore', 'ignore'] });
    await sleep(20);
    const again = await postTool(rotated);
    expect(again.body).not.toContain(rotated);
  }, 60_000);
});
