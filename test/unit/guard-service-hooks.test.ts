// The guards as http hooks in settings.json (install --guards http), and the guard service's
// keyring cache. Pure: text in, text out; a fake backend.
import { constants, createWriteStream, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFifo } from '../../src/core/make-fifo.js';
import { cachingBackend, MAX_AGE_MS, registryStamp } from '../../src/guard-service/cached-backend.js';
import { handOff, readHandedValues, tapFirstRead } from '../../src/guard-service/value-handoff.js';
import { checkHooks } from '../../src/install/hook-check.js';
import { hookCommands, httpGuards } from '../../src/install/install-ops.js';
import { addHooks, ourHookCommands, removeHooks } from '../../src/install/settings-hooks.js';
import type { SecretBackend } from '../../src/keyring/backend.js';

const commands = hookCommands({ script: '/opt/ki/runtime/cli.js', node: '/usr/bin/node', platform: 'linux' });
const svc = { port: 45678, token: 'a'.repeat(64) };
const http = { ...commands, ...httpGuards(svc) };
const USER = `{\n  "theme": "dark",\n  "hooks": {\n    "PreToolUse": [\n      { "matcher": "Bash", "hooks": [{ "type": "command", "command": "my-check" }] }\n    ]\n  }\n}\n`;

describe('http guards in settings.json', () => {
  it('are added with onFailure "block" and the token header; a second run changes nothing', () => {
    const a = addHooks(USER, http);
    const s = JSON.parse(a.text);
    const pre = s.hooks.PreToolUse.find((g: any) => g.matcher === '*').hooks[0];
    expect(pre).toEqual({ type: 'http', url: 'http://127.0.0.1:45678/keyring-inject/guard/pre-tool-use', headers: { 'X-Keyring-Inject-Token': svc.token }, timeout: 10, onFailure: 'block' });
    expect(s.hooks.PreToolUse[0].hooks[0].command).toBe('my-check');
    expect(s.hooks.SessionStart[0].hooks[0].type).toBe('command');
    expect(addHooks(a.text, http)).toEqual({ text: a.text, changed: false });
    expect(
      ourHookCommands(a.text)
        .map((h) => h.event)
        .sort(),
    ).toEqual(['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'UserPromptSubmit']);
  });

  it('switch from command to http and back (one entry of ours per event), a new port replaces the URL, and uninstall gives back the original bytes', () => {
    const cmd = addHooks(USER, commands).text;
    const toHttp = addHooks(cmd, http).text;
    const moved = addHooks(toHttp, { ...commands, ...httpGuards({ ...svc, port: 45999 }) }).text;
    expect(moved).toContain('127.0.0.1:45999');
    expect(moved).not.toContain('127.0.0.1:45678');
    const back = addHooks(moved, commands).text;
    for (const text of [toHttp, moved, back]) {
      const s = JSON.parse(text);
      for (const e of ['UserPromptSubmit', 'PreToolUse', 'PostToolUse'])
        expect(s.hooks[e].flatMap((g: any) => g.hooks).filter((h: any) => h.url || h.command?.includes('keyring-inject'))).toHaveLength(1);
    }
    expect(back).not.toContain('"http"');
    expect(removeHooks(moved).text).toBe(USER);
  });

  it('doctor reads http guards without a problem', () => {
    const text = addHooks('{}', http).text;
    const report = checkHooks('/x/settings.json', text, '/nonexistent-data-dir');
    expect(report.events.sort()).toEqual(['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'UserPromptSubmit']);
    expect(report.problems.filter((p) => p.includes('cannot read'))).toEqual([]);
  });
});

/** A keyring that holds nothing but answers getMany with `getMany`. */
/** A registry file with no keys in a temp dir, for `body`; removed after. */
async function withRegistry(body: (reg: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ki-cache-'));
  try {
    const reg = join(dir, 'registry.json');
    writeFileSync(reg, '{"keys":{}}');
    await body(reg);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A pipe's two descriptors (read, write), as the service and the hook hold theirs: a FIFO, unlinked once open. */
let fifos = 0;
function pipeFds(): [number, number] {
  const dir = mkdtempSync(join(tmpdir(), 'ki-fifo-'));
  const path = join(dir, `p${fifos++}`);
  makeFifo(path, 0o600);
  const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const write = openSync(path, constants.O_WRONLY);
  rmSync(dir, { recursive: true, force: true });
  return [read, write];
}

function answering(getMany: SecretBackend['getMany']): SecretBackend {
  return { id: 'memory', label: 'memory', get: async () => undefined, set: async () => undefined, delete: async () => false, list: async () => [], getMany };
}

describe("the guard service's keyring cache", () => {
  function fake(): { backend: SecretBackend; calls: () => number; fail: (f: boolean) => void } {
    let n = 0;
    let failing = false;
    const backend = answering(async (names) => {
      n++;
      if (failing) throw new Error('locked');
      return new Map(names.map((x) => [x, `value-of-${x}-${n}`]));
    });
    return { backend, calls: () => n, fail: (f) => (failing = f) };
  }

  it('reuses one answer while the registry is unchanged and young; asks again after a registry write, after MAX_AGE_MS, and after a failure', async () => {
    await withRegistry(async (reg) => {
      let now = 1000;
      const f = fake();
      const open = cachingBackend(
        () => f.backend,
        reg,
        () => now,
      );
      expect((await open().getMany(['a', 'b'])).get('a')).toBe('value-of-a-1');
      expect((await open().getMany(['b', 'a'])).get('a')).toBe('value-of-a-1');
      expect(f.calls()).toBe(1);
      writeFileSync(reg, '{"keys":{"c":{}}}');
      expect((await open().getMany(['a', 'b'])).get('a')).toBe('value-of-a-2');
      now += MAX_AGE_MS;
      expect((await open().getMany(['a', 'b'])).get('a')).toBe('value-of-a-3');
      f.fail(true);
      now += MAX_AGE_MS;
      await expect(open().getMany(['a'])).rejects.toThrow('locked');
      await expect(open().getMany(['a'])).rejects.toThrow('locked');
      expect(f.calls()).toBe(5);
    });
  });
});

describe("the guard service's keyring cache, handed the hook's read", () => {
  it('the hook offers its first read over a pipe; the service takes it as its answer while the registry is unchanged, for any names it covers', async () => {
    await withRegistry(async (reg) => {
      // The hook's side: a tapped keyring, its first getMany offered to the hand-off.
      let hookReads = 0;
      const keyring = answering(async (names) => (hookReads++, new Map(names.filter((n) => n !== 'gone').map((n) => [n, `value-of-${n}`]))));
      const h = handOff();
      const tapped = tapFirstRead(keyring, reg, h.offer);
      const [read, write] = pipeFds();
      h.attach(createWriteStream('', { fd: write }));
      expect((await tapped.getMany(['b', 'a', 'gone'])).get('a')).toBe('value-of-a');
      await tapped.getMany(['a']);
      h.close();
      const handed = readHandedValues(read);
      expect(await handed).toEqual({
        names: ['a', 'b', 'gone'],
        stamp: registryStamp(reg),
        values: new Map([
          ['b', 'value-of-b'],
          ['a', 'value-of-a'],
        ]),
      });

      // The service's side: no keyring read for names the hand-off covers; one for any other.
      let serviceReads = 0;
      const open = cachingBackend(() => answering(async (names) => (serviceReads++, new Map(names.map((n) => [n, `read-${n}`])))), reg, Date.now, handed);
      expect(await open().getMany(['a', 'gone'])).toEqual(new Map([['a', 'value-of-a']]));
      expect(await open().getMany(['a', 'b'])).toEqual(
        new Map([
          ['a', 'value-of-a'],
          ['b', 'value-of-b'],
        ]),
      );
      expect(serviceReads).toBe(0);
      expect((await open().getMany(['a', 'c'])).get('c')).toBe('read-c');
      expect(serviceReads).toBe(1);
      expect(hookReads).toBe(2);
    });
  });

  it('a registry written since the hook read, a pipe closed without values, garbage, or names it did not ask for: the service reads the keyring', async () => {
    await withRegistry(async (reg) => {
      const stamp = registryStamp(reg);
      const send = async (text: string | undefined) => {
        const [read, write] = pipeFds();
        const w = createWriteStream('', { fd: write });
        w.end(text);
        return readHandedValues(read);
      };
      const good = (s: string) => JSON.stringify({ names: ['a'], stamp: s, values: [['a', 'handed']] });
      expect(await send(undefined)).toBeUndefined();
      expect(await send('not json')).toBeUndefined();
      expect(await send(JSON.stringify({ names: ['a'], stamp, values: [['b', 'x']] }))).toBeUndefined();
      expect((await send(good(stamp)))?.values.get('a')).toBe('handed');
      writeFileSync(reg, '{"keys":{"a":{}}}');
      let reads = 0;
      const open = cachingBackend(() => answering(async () => (reads++, new Map([['a', 'read']]))), reg, Date.now, send(good(stamp)));
      expect((await open().getMany(['a'])).get('a')).toBe('read');
      expect(reads).toBe(1);
    });
  });
});

describe("the guard service's keyring cache, reads on their way", () => {
  it('calls that come while a read is on its way share it (the warm-up at start and the first prompt); a shared failure is not kept', async () => {
    await withRegistry(async (reg) => {
      let n = 0;
      let release: (fail: boolean) => void = () => undefined;
      const backend = answering((names) => {
        n++;
        return new Promise((resolve, reject) => {
          release = (fail) => (fail ? reject(new Error('locked')) : resolve(new Map(names.map((x) => [x, `value-of-${x}-${n}`]))));
        });
      });
      const open = cachingBackend(() => backend, reg);
      const a = open().getMany(['a', 'b']);
      const b = open().getMany(['b', 'a']);
      release(false);
      expect((await a).get('a')).toBe('value-of-a-1');
      expect((await b).get('a')).toBe('value-of-a-1');
      expect(n).toBe(1);
      // A write of the registry meanwhile: a new read, not the one on its way.
      writeFileSync(reg, '{"keys":{"c":{}}}');
      const c = open().getMany(['a', 'b']);
      const d = open().getMany(['a', 'b']);
      release(true);
      await expect(c).rejects.toThrow('locked');
      await expect(d).rejects.toThrow('locked');
      expect(n).toBe(2);
      const e = open().getMany(['a', 'b']);
      release(false);
      expect((await e).get('a')).toBe('value-of-a-3');
    });
  });
});

describe('the guard service lifetime', () => {
  it('only an authorized request keeps it alive: refused ones (any local process can send them) do not extend its linger', async () => {
    const { createServer, request } = await import('node:http');
    const { handler } = await import('../../src/guard-service/guard-server.js');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const config = { port, token: 'b'.repeat(64) };
    let uses = 0;
    server.on(
      'request',
      handler(config, {} as never, () => uses++),
    );
    const get = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/keyring-inject/ping', headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get({})).toBe(403);
      expect(await get({ 'X-Keyring-Inject-Token': 'c'.repeat(64) })).toBe(403);
      expect(await get({ 'X-Keyring-Inject-Token': config.token, Origin: 'http://evil.example' })).toBe(403);
      expect(uses).toBe(0);
      expect(await get({ 'X-Keyring-Inject-Token': config.token })).toBe(200);
      expect(uses).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
