// exec / run / headers / wrap as real processes: binary-safe stdio, exit codes, signals, the real
// Secret Service (inside scripts/with-secret-service.sh), and the wrapper's start-up overhead.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { readAudit } from '../../src/core/audit-trail.js';
import { claudePaths } from '../../src/core/paths.js';
import { CLI, runNode } from '../helpers/spawn-cli.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { srv: { command: 'x', args: [] }, api: { type: 'http', url: 'https://x.example/mcp' } } }, null, 2));
});
afterEach(() => t.cleanup());

/** Make `server` a stdio server around `command` and wrap it: exec gives keys only to the wrapped command. */
async function wrapAround(server: string, command: string[]): Promise<void> {
  const file = join(t.home, '.claude.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8'));
  cfg.mcpServers[server] = { command: command[0], args: command.slice(1) };
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  const r = await runNode([CLI, 'wrap', server], { env: { ...t.env, KEYRING_INJECT_CLI: CLI } });
  expect(r.code, r.stderr).toBe(0);
}

const script = (name: string, body: string) => {
  const f = join(t.home, name);
  writeFileSync(f, body);
  return f;
};

describe('exec as a process (no key mapped: it warns and runs)', () => {
  it('passes binary stdin to stdout and stderr untouched, and prints nothing of its own on stdout', async () => {
    const cat = script('cat.cjs', `process.stdin.pipe(process.stdout); process.stderr.write(Buffer.from([0, 255, 10]));`);
    const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1 << 20), Buffer.from('\r\n\u0000{"jsonrpc":"2.0"}\n')]);
    await wrapAround('srv', [process.execPath, cat]);
    const r = await runNode([CLI, 'exec', '--server', 'srv', '--', process.execPath, cat], { env: t.env, input: data });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(r.stdout.equals(data)).toBe(true);
    expect(r.stderr.endsWith('\u0000\ufffd\n')).toBe(true);
    expect(r.stderr).toContain('no key is mapped to MCP server srv (user)');
    expect(readAudit(claudePaths(t.env)).map((l) => [l.event, l.keys, l.server, l.program])).toEqual([['exec', [], 'srv', 'node']]);
  });

  it("exit codes are the command's; 128+n when a signal ends it; 127 when it cannot start", async () => {
    for (const code of [0, 3, 255]) {
      await wrapAround('srv', [process.execPath, '-e', `process.exit(${code})`]);
      const r = await runNode([CLI, 'exec', '--server', 'srv', '--', process.execPath, '-e', `process.exit(${code})`], { env: t.env });
      expect(r.code).toBe(code);
    }
    await wrapAround('srv', [process.execPath, '-e', `process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 5000)`]);
    const killed = await runNode([CLI, 'exec', '--server', 'srv', '--', process.execPath, '-e', `process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 5000)`], { env: t.env });
    expect(killed.code).toBe(143);
    await wrapAround('srv', ['/bin/sh', '-c', 'kill -KILL $$']);
    const segv = await runNode([CLI, 'exec', '--server', 'srv', '--', '/bin/sh', '-c', 'kill -KILL $$'], { env: t.env });
    expect(segv.code).toBe(137);
    await wrapAround('srv', [join(t.home, 'nope')]);
    const missing = await runNode([CLI, 'exec', '--server', 'srv', '--', join(t.home, 'nope')], { env: t.env });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('cannot start "nope"');
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('forwards %s to the command and exits with its code', async (sig) => {
    const marker = join(t.home, `got-${sig}`);
    const child = script(
      'trap.cjs',
      `process.on(${JSON.stringify(sig)}, () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); process.exit(42); }); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`,
    );
    await wrapAround('srv', [process.execPath, child]);
    const p = spawn(process.execPath, [CLI, 'exec', '--server', 'srv', '--', process.execPath, child], { env: t.env, stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
    p.kill(sig);
    const code = await new Promise<number | null>((resolve) => p.once('exit', (c) => resolve(c)));
    expect(code).toBe(42);
    expect(readFileSync(marker, 'utf8')).toBe('x');
  });

  it('when the command ignores a signal, exec keeps waiting for it (and exits with its code)', async () => {
    const child = script('ignore.cjs', `process.on('SIGTERM', () => {}); process.stdout.write('ready\\n'); process.stdin.on('end', () => process.exit(5)); process.stdin.resume();`);
    await wrapAround('srv', [process.execPath, child]);
    const p = spawn(process.execPath, [CLI, 'exec', '--server', 'srv', '--', process.execPath, child], { env: t.env, stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
    p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect(p.exitCode).toBeNull();
    p.stdin.end(); // EOF reaches the command directly: the pipe is its own
    const code = await new Promise<number | null>((resolve) => p.once('exit', (c) => resolve(c)));
    expect(code).toBe(5);
  });
});

describe.runIf(HAVE_SECRET_SERVICE)('zero-disk with the real Secret Service', () => {
  const hashChild = () => script('hash.cjs', `const h=require('crypto').createHash('sha256').update(process.env.SRV_TOKEN ?? '').digest('hex'); process.stdout.write(h);`);

  it('exec reads the key from the keyring and gives it to the command only through its environment', async () => {
    const v = testSecret();
    const add = await runNode([CLI, 'add', 'tok', '--server', 'srv', '--env', 'SRV_TOKEN', '--stdin'], { env: t.env, input: `${v}\n` });
    expect(add.code, add.stderr).toBe(0);
    expect(secretToolLookup(t.env.KEYRING_INJECT_SERVICE as string, 'tok')).toBe(v);
    await wrapAround('srv', [process.execPath, hashChild()]);
    const r = await runNode([CLI, 'exec', '--server', 'srv', '--', process.execPath, hashChild()], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe(createHash('sha256').update(v).digest('hex'));
    expect(r.stderr).toBe('');
    expectNoLeak(v, [add.stdout.toString(), add.stderr, r.stdout.toString(), r.stderr], [t.home]);
  });

  it('a missing key or an unreachable keyring: exit 1, one line on stderr, the command never starts', async () => {
    const marker = join(t.home, 'started');
    const child = script('mark.cjs', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`);
    await runNode([CLI, 'add', 'tok', '--server', 'srv', '--env', 'SRV_TOKEN', '--stdin'], { env: t.env, input: 'value-1234' });
    await wrapAround('srv', [process.execPath, child]);
    const noBus = await runNode([CLI, 'exec', '--server', 'srv', '--', process.execPath, child], { env: { ...t.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(t.home, 'no-bus')}` } });
    expect(noBus.code).toBe(1);
    expect(noBus.stderr.trim().split('\n')).toHaveLength(1);
    expect(noBus.stdout.length).toBe(0);
    expect(noBus.ms).toBeLessThan(5000);
    await wrapAround('srv', [process.execPath, child]);
    const other = await runNode([CLI, 'exec', '--server', 'srv', '--', process.execPath, child], { env: { ...t.env, KEYRING_INJECT_SERVICE: testService() } });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('key tok is not in the');
    expect(() => readFileSync(marker)).toThrow();
  });

  it('headers prints only the JSON object, and run gives every key to any command', async () => {
    const [a, b] = [testSecret('a'), testSecret('b')];
    await runNode([CLI, 'add', 'apikey', '--server', 'api', '--header', 'Authorization: Bearer {value}', '--stdin'], { env: { ...t.env, KEYRING_INJECT_CLI: CLI }, input: a });
    const h = await runNode([CLI, 'headers', 'api'], { env: { ...t.env, CLAUDE_CODE_MCP_SERVER_URL: 'https://x.example/mcp' } });
    expect(h.code, h.stderr).toBe(0);
    expect(h.stderr).toBe('');
    expect(JSON.parse(h.stdout.toString())).toEqual({ Authorization: `Bearer ${a}` });
    await runNode([CLI, 'add', 'tok', '--server', 'srv', '--env', 'SRV_TOKEN', '--stdin'], { env: t.env, input: b });
    const r = await runNode([CLI, 'run', '--', process.execPath, hashChild()], { env: t.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toBe(createHash('sha256').update(b).digest('hex'));
    const cfg = JSON.parse(readFileSync(join(t.home, '.claude.json'), 'utf8'));
    expect(cfg.mcpServers.api.headersHelper).toBe(`${process.execPath} ${CLI} headers api`);
    expectNoLeak(a, [h.stderr, r.stdout.toString(), r.stderr], [t.home]);
    expectNoLeak(b, [h.stdout.toString(), h.stderr, r.stdout.toString(), r.stderr], [t.home]);
    // The audit trail (scanned above with the rest of HOME) names the uses.
    const trail = readAudit(claudePaths(t.env)).map((l) => [l.event, l.keys, l.server ?? l.program]);
    expect(trail).toEqual([
      ['headers', ['apikey'], 'api'],
      ['run', ['tok'], 'node'],
    ]);
  });

  it('start-up overhead of the wrapper: exec (one key from the Secret Service) vs the command alone', async () => {
    await runNode([CLI, 'add', 'tok', '--server', 'srv', '--env', 'SRV_TOKEN', '--stdin'], { env: t.env, input: testSecret() });
    const env = { ...t.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const runs = 9;
    const time = async (args: string[]) => {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await runNode(args, { env });
        expect(r.code, r.stderr).toBe(0);
        ms.push(r.ms);
      }
      return ms.sort((x, y) => x - y)[Math.floor(runs / 2)] as number;
    };
    const direct = await time(['-e', '']);
    // exec itself is a node process, then starts `node -e ''`: overhead = exec - direct.
    await wrapAround('srv', [process.execPath, '-e', '']);
    const wrapped = await time([CLI, 'exec', '--server', 'srv', '--', process.execPath, '-e', '']);
    await wrapAround('api', [process.execPath, '-e', '']);
    const noKey = await time([CLI, 'exec', '--server', 'api', '--', process.execPath, '-e', '']);
    const overhead = wrapped - direct;
    console.log(
      `[zerodisk timing] median of ${runs}: node -e '' ${direct.toFixed(0)} ms; exec (1 key) ${wrapped.toFixed(0)} ms; exec (no key) ${noKey.toFixed(0)} ms; overhead ${overhead.toFixed(0)} ms`,
    );
    expect(overhead).toBeLessThan(1500);
  }, 60_000);
});
