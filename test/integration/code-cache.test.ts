// The V8 code cache of the hot bundles (src/entries/code-cache.ts), with real node processes: a
// cache is written once and then taken; a bundle rewritten to the same length runs its new code
// (V8 alone would run the old); damaged or torn caches (V8 would crash on some) and things
// planted at the cache's name cost nothing but the cache; and after real hooks, command guards
// and the guard service handled a key, the caches they wrote hold no form of it.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeFifo } from '../../src/core/make-fifo.js';
import { claudePaths } from '../../src/core/paths.js';
import { formsOf } from '../../src/core/secret-forms.js';
import { currentRuntimeId } from '../../src/install/runtime.js';
import { guardServicesFor, killAll, watchdogsFor } from '../helpers/processes.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { runCli, runNode, runProgram } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';

const CODE_CACHE = fileURLToPath(new URL('../../dist/code-cache.js', import.meta.url));

const dirs: string[] = [];
let t: TempHome | undefined;
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (t) {
    killAll(guardServicesFor(t.home));
    killAll(watchdogsFor(t.home));
    t.cleanup();
  }
  t = undefined;
});

function bundleDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ki-code-cache-'));
  dirs.push(d);
  return d;
}

/** A bundle that prints a word, through require and __dirname as our bundles use them. */
const bundleText = (word: string) => `"use strict";\nconst path = require("node:path");\nprocess.stdout.write(${JSON.stringify(word)} + " " + path.basename(__dirname) + "\\n");\n`;

/** Run a bundle through dist/code-cache.js: its output and whether the cache was taken. */
async function run(bundle: string): Promise<{ out: string; use: string; code: number | null }> {
  const driver = `const use = require(${JSON.stringify(CODE_CACHE)}).runBundle(process.argv[1]); process.on('exit', () => process.stderr.write(use));`;
  const r = await runNode(['-e', driver, bundle], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: tmpdir() });
  return { out: r.stdout.toString(), use: r.stderr, code: r.code };
}

const cacheOf = (bundle: string) => join(bundle, '..', `.${bundle.split('/').pop()}.v8-cache`);

describe('the code cache of a bundle', () => {
  it('is written by the first run and taken by the next; a bundle rewritten to the same length runs its new code', async () => {
    const d = bundleDir();
    const b = join(d, 'b.js');
    writeFileSync(b, bundleText('AAAA'));
    const first = await run(b);
    expect(first).toEqual({ out: `AAAA ${d.split('/').pop()}\n`, use: 'compiled', code: 0 });
    expect(readFileSync(cacheOf(b)).subarray(0, 25).toString()).toBe('keyring-inject v8-cache 2');
    expect((await run(b)).use).toBe('used');
    // The same length, in place (same inode, maybe the same clock tick): V8 would take the old cache.
    writeFileSync(b, bundleText('BBBB'));
    const changed = await run(b);
    expect(changed).toEqual({ out: `BBBB ${d.split('/').pop()}\n`, use: 'compiled', code: 0 });
    expect(await run(b)).toEqual({ out: `BBBB ${d.split('/').pop()}\n`, use: 'used', code: 0 });
    expect(readdirSync(d).sort()).toEqual(['.b.js.v8-cache', 'b.js']);
  });

  it('a process still running 3 s after its start has written its cache (the guard service may end by a signal)', async () => {
    const d = bundleDir();
    const b = join(d, 'b.js');
    writeFileSync(b, `setTimeout(() => process.stdout.write(String(require("node:fs").existsSync(${JSON.stringify(cacheOf(b))}))), 3300);\n`);
    expect(await run(b)).toEqual({ out: 'true', use: 'compiled', code: 0 });
    expect((await run(b)).use).toBe('used');
  });

  it('damaged or torn data (V8 does not checksum it, and may crash on it): compiled again and rewritten', async () => {
    const d = bundleDir();
    const b = join(d, 'b.js');
    // Enough code that V8's data is tens of KB: flipped bytes land in real bytecode.
    const fns = Array.from({ length: 300 }, (_, i) => `function f${i}(x) { return x.map((y) => y * ${i} + f${i}.name.length).filter((z) => z % 3 !== ${i % 3}); }`).join('\n');
    writeFileSync(b, `"use strict";\n${fns}\nlet n = 0;\n${Array.from({ length: 300 }, (_, i) => `n += f${i}([1, 2, 3]).length;`).join('\n')}\nprocess.stdout.write("DDDD " + n);\n`);
    const first = await run(b);
    expect(first).toMatchObject({ use: 'compiled', code: 0 });
    const good = readFileSync(cacheOf(b));
    const dataStart = good.indexOf(readFileSync(b)) + readFileSync(b).length;
    expect(good.length - dataStart).toBeGreaterThan(10_000);
    const flipped = Buffer.from(good);
    for (let i = dataStart + 200; i < good.length; i += 97) flipped[i] = (flipped[i] as number) ^ 0xff;
    for (const damaged of [flipped, good.subarray(0, dataStart + Math.floor((good.length - dataStart) / 2))]) {
      writeFileSync(cacheOf(b), damaged);
      expect(await run(b)).toEqual({ ...first, use: 'compiled' });
      expect(readFileSync(cacheOf(b)).equals(damaged)).toBe(false);
      expect(await run(b)).toEqual({ ...first, use: 'used' });
    }
  });

  it('a link, a directory or a FIFO at its name, temp files of killed writers: the bundle runs, nothing else is touched', async () => {
    const d = bundleDir();
    const b = join(d, 'b.js');
    writeFileSync(b, bundleText('CCCC'));

    // A link planted at the name: not read through, replaced; its target untouched.
    const victim = join(d, 'victim');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, cacheOf(b));
    expect(await run(b)).toMatchObject({ out: expect.stringMatching(/^CCCC /), use: 'compiled', code: 0 });
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(lstatSync(cacheOf(b)).isFile()).toBe(true);

    // A directory: no cache, no temp file left.
    rmSync(cacheOf(b));
    mkdirSync(cacheOf(b));
    expect(await run(b)).toMatchObject({ out: expect.stringMatching(/^CCCC /), use: 'compiled', code: 0 });
    expect(readdirSync(d).sort()).toEqual(['.b.js.v8-cache', 'b.js', 'victim']);
    rmSync(cacheOf(b), { recursive: true });

    // A FIFO: not read (it would block), not written through.
    makeFifo(cacheOf(b), 0o600);
    expect(await run(b)).toMatchObject({ out: expect.stringMatching(/^CCCC /), use: 'compiled', code: 0 });
    expect(lstatSync(cacheOf(b)).isFile()).toBe(true);

    // A writer killed between its open and its rename leaves a temp file: the next writer removes
    // it once it is old, and leaves a fresh one (another writer's, still at work) alone.
    const old = `${cacheOf(b)}.4242.tmp`;
    const fresh = `${cacheOf(b)}.4343.tmp`;
    writeFileSync(old, 'x');
    writeFileSync(fresh, 'x');
    utimesSync(old, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    writeFileSync(b, bundleText('EEEE'));
    expect(await run(b)).toMatchObject({ out: expect.stringMatching(/^EEEE /), use: 'compiled', code: 0 });
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});

/** Run a hook command as Claude Code does: `/bin/sh -c CMD` with the hook JSON on stdin. */
async function sh(cmd: string, input: unknown, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const r = await runProgram('/bin/sh', ['-c', cmd], { env, input: JSON.stringify(input) });
  return { code: r.code, out: `${r.stdout.toString()}${r.stderr}` };
}

describe.runIf(HAVE_SECRET_SERVICE)('the caches the installed runtime writes', () => {
  it('after hooks, command guards, the watchdog and the guard service handled a key, their caches hold no form of it', async () => {
    t = makeTempHome({ KEYRING_INJECT_SERVICE: testService() });
    const env = t.env;
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { srv: { type: 'stdio', command: 'true', env: {} } } }));
    const value = testSecret('cache');
    expect((await runCli(['add', 'k', '--server', 'srv', '--env', 'K', '--stdin'], { env, input: value })).code).toBe(0);
    const install = async (guards: string) => {
      const r = await runCli(['install', '--no-mcp', '--json', '--guards', guards], { env });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).hooks as Record<string, string>;
    };
    const dataDir = claudePaths(env).dataDir;
    const runtime = () => join(dataDir, 'runtime', currentRuntimeId(dataDir) as string);
    const start = { session_id: 's1', transcript_path: '/tmp/s1.jsonl', cwd: t.home, hook_event_name: 'SessionStart', source: 'startup' };
    const end = { ...start, hook_event_name: 'SessionEnd', reason: 'other' };
    const prompt = { session_id: 's1', hook_event_name: 'UserPromptSubmit', cwd: t.home, prompt: `here is my key ${value}` };
    const toolOut = { session_id: 's1', hook_event_name: 'PostToolUse', cwd: t.home, tool_name: 'Bash', tool_response: { stdout: `K=${value}`, stderr: '', interrupted: false, isImage: false } };
    const outputs: string[] = [];

    // Command guards: the hooks and the guard bundle, each its first run from this runtime copy.
    const cmd = await install('command');
    expect(existsSync(join(runtime(), '.hook.js.v8-cache'))).toBe(false);
    for (const [hook, input] of [
      ['SessionStart', start],
      ['UserPromptSubmit', prompt],
      ['PostToolUse', toolOut],
      ['SessionEnd', end],
    ] as const) {
      const r = await sh(cmd[hook] as string, input, env);
      expect(r.code, r.out).toBe(0);
      outputs.push(r.out);
    }
    expect(outputs[1]).toContain('"decision":"block"');
    expect(outputs[2]).toContain('updatedToolOutput');

    // The guard service: it writes its cache when it exits (here: the guards go back to commands).
    const http = await install('http');
    expect((await sh(http.SessionStart as string, start, env)).code).toBe(0);
    const [, url] = (http.UserPromptSubmit as string).split(' ');
    const svc = JSON.parse(readFileSync(join(dataDir, 'guard-service.json'), 'utf8')) as { token: string };
    for (const [path, body] of [
      [url, prompt],
      [(url as string).replace('user-prompt-submit', 'post-tool-use'), toolOut],
    ] as const) {
      const res = await fetch(path as string, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Keyring-Inject-Token': svc.token }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      outputs.push(await res.text());
    }
    expect((await sh(http.SessionEnd as string, end, env)).code).toBe(0);
    await install('command');
    await waitFor('the guard service to exit', () => guardServicesFor(t?.home as string).length === 0, 10_000);
    await waitFor('the watchdog to exit', () => watchdogsFor(t?.home as string).length === 0, 15_000);

    const caches = ['.hook.js.v8-cache', '.guard.js.v8-cache', '.guard-service.js.v8-cache', '.watchdog.js.v8-cache'].map((n) => join(runtime(), n));
    for (const c of caches) expect(existsSync(c), c).toBe(true);
    const forms = formsOf(value).map((f) => Buffer.from(f.text));
    for (const c of caches) {
      const bytes = readFileSync(c);
      expect(
        forms.some((f) => bytes.includes(f)),
        c,
      ).toBe(false);
    }
    for (const o of outputs) expect(o.includes(value)).toBe(false);
  });
});
