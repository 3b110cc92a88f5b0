// The error model (issue 13, item 4): every code is documented in docs/errors.md and every
// documented code exists; a KiError carries its code, exit code and cause; and a cause, which may
// quote file content (V8's JSON.parse messages do), is never printed: not by the CLI's error
// line, not in hook output (SessionStart stdout goes into the model's context), not in the MCP
// server's replies, not by util.inspect, not when an error escapes a command in an entry point.
// Also: a failing --json run carries the code on stdout.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { buildSync } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/run-command.js';
import { ERROR_CODES, type ErrorCode, KeyringUnavailableError, KiError, UsageError } from '../../src/core/errors.js';
import { ConfigParseError, ConfigShapeError } from '../../src/claude/json/scanner.js';
import { claudePaths } from '../../src/core/paths.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { serveJsonRpc } from '../../src/mcp/jsonrpc.js';
import { startMcpServer } from '../../src/mcp/mcp-server.js';
import { parseRegistry, RegistryFormatError } from '../../src/registry/registry.js';
import { loadRegistry } from '../../src/registry/registry-file.js';
import { editConfigForCommand } from '../../src/claude/config-edit.js';
import { allServers } from '../../src/claude/config-servers.js';
import { layoutOf } from '../../src/claude/json/locate.js';
import { makeContext } from '../helpers/context.js';
import { inProcessCli } from '../helpers/in-process.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const root = join(import.meta.dirname, '..', '..');

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

describe('error codes and docs/errors.md', () => {
  const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| `([a-z-]+)` \| (\d+) \|/gm)].map((m) => ({ code: m[1] as string, exit: Number(m[2]) }));

  it('documents every code, with its exit code', () => {
    for (const [code, exit] of Object.entries(ERROR_CODES)) {
      expect(rows.find((r) => r.code === code)?.exit, `docs/errors.md row for ${code}`).toBe(exit);
    }
  });

  it('documents no code that does not exist, and none twice', () => {
    for (const r of rows) expect(Object.hasOwn(ERROR_CODES, r.code), `${r.code} is in docs/errors.md but not in ERROR_CODES`).toBe(true);
    expect(new Set(rows.map((r) => r.code)).size).toBe(rows.length);
    expect(rows.length).toBe(Object.keys(ERROR_CODES).length);
  });
});

describe('KiError', () => {
  it('carries its code, the exit code that goes with it, details and the standard cause', () => {
    const os = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const e = new KiError('file-io', 'cannot read f (EACCES)', { cause: os, details: ['a'] });
    expect([e.code, e.exitCode, e.message, e.cause, e.details]).toEqual(['file-io', 1, 'cannot read f (EACCES)', os, ['a']]);
    expect(new UsageError('bad').exitCode).toBe(2);
    expect(new UsageError('bad').code).toBe('usage');
    expect(new KiError('spawn-failed', 'x').exitCode).toBe(127);
    expect(new KiError('spawn-failed', 'x', { exitCode: 126 }).exitCode).toBe(126);
    expect(new KiError('cancelled', 'cancelled').exitCode).toBe(130);
    expect('cause' in new KiError('usage', 'x')).toBe(false);
  });

  it('the lower layers raise KiErrors with codes and positions', () => {
    const parse = new ConfigParseError(3, 7, 40, 'expected a comma');
    expect(parse).toBeInstanceOf(KiError);
    expect([parse.code, parse.line, parse.column, parse.exitCode]).toEqual(['config-invalid', 3, 7, 1]);
    expect(new ConfigShapeError('mcpServers', 'is not an object').code).toBe('config-shape');
    expect(new KeyringUnavailableError('no bus', 'start one').code).toBe('keyring-unavailable');
    let err: unknown;
    try {
      parseRegistry('{', 'reg.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RegistryFormatError);
    expect((err as KiError).code satisfies ErrorCode).toBe('registry-invalid');
  });
});

describe('codes reach the caller, with the lower error as cause', () => {
  it('a damaged ~/.claude.json: config-invalid / config-shape, the file named, the scanner error as cause', async () => {
    const file = join(t.home, '.claude.json');
    const scan = (text: string) => ({ text, result: allServers(layoutOf(text, 'all')).length });
    writeFileSync(file, '{"mcpServers": {"a": 1,}}');
    const parse = await editConfigForCommand(file, scan, () => true).catch((e: unknown) => e as KiError);
    expect(parse).toBeInstanceOf(KiError);
    expect([(parse as KiError).code, (parse as KiError).cause instanceof ConfigParseError]).toEqual(['config-invalid', true]);
    expect((parse as KiError).message).toBe(`${file} is ${((parse as KiError).cause as Error).message}: fix it (Claude Code keeps copies in its backups directory) and try again`);
    expect((parse as KiError).message).toContain('line 1, column 24');
    writeFileSync(file, '{"mcpServers": []}');
    const shape = await editConfigForCommand(file, scan, () => true).catch((e: unknown) => e as KiError);
    expect([(shape as KiError).code, (shape as KiError).cause instanceof ConfigShapeError, (shape as KiError).message]).toEqual([
      'config-shape',
      true,
      `${file}: mcpServers is not an object: fix it by hand and try again`,
    ]);
  });

  it('a damaged registry: registry-invalid, straight from the parser', async () => {
    const file = join(t.home, 'registry.json');
    writeFileSync(file, '{"version": 2}');
    const err = (await loadRegistry(file).catch((e: unknown) => e)) as KiError;
    expect([err.code, err.exitCode, err.message]).toEqual([
      'registry-invalid',
      1,
      `the registry ${file} is damaged (expected {"version": 1, "keys": {...}}): fix it by hand, or move it away and re-add your keys`,
    ]);
  });
});

describe('--json carries the code of a failure', () => {
  it('a failing --json run prints {"error": {code, message}} on stdout; the stderr line and exit code are unchanged', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const gone = await run(['remove', 'nosuch', '--json']);
    const line = "no key named nosuch: see 'keyring-inject list'";
    expect([gone.code, gone.stderr, JSON.parse(gone.stdout)]).toEqual([1, `keyring-inject: ${line}\n`, { error: { code: 'key-not-found', message: line } }]);
    const plain = await run(['remove', 'nosuch']);
    expect([plain.code, plain.stderr, plain.stdout]).toEqual([1, gone.stderr, '']);

    const registry = join(t.home, '.claude', 'keyring-inject', 'registry.json');
    mkdirSync(join(registry, '..'), { recursive: true });
    writeFileSync(registry, '{"version": 2}');
    const damaged = await run(['list', '--json']);
    expect([damaged.code, JSON.parse(damaged.stdout).error.code]).toEqual([1, 'registry-invalid']);
    const usage = await run(['list', '--json', '--bogus']);
    expect([usage.code, JSON.parse(usage.stdout).error.code]).toEqual([2, 'usage']);
  });

  it('a command without --json output keeps stdout empty', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['headers', '--json']);
    expect([r.code, r.stdout]).toEqual([2, '']);
  });
});

// A cause as the worst case has it: V8's JSON.parse message quotes the text it failed on.
const CANARY = 'sk-canary-7f3a9c';
function quotingCause(): SyntaxError {
  try {
    JSON.parse(CANARY);
  } catch (e) {
    return e as SyntaxError;
  }
  throw new Error('JSON.parse accepted invalid JSON');
}

describe('a cause is never printed', () => {
  it('the canary is really in the cause (else this suite proves nothing)', () => {
    expect(quotingCause().message).toContain(CANARY);
  });

  it('not by the CLI error line, for a KiError or an unexpected error that wraps it', () => {
    const { ctx, stdout, stderr } = makeContext(t.env, t.home);
    expect(reportError(ctx, new KiError('config-invalid', 'f is not valid JSON: fix it', { cause: quotingCause(), details: ['line'] }))).toBe(1);
    expect(reportError(ctx, new Error('wrapped', { cause: new KiError('file-io', 'inner', { cause: quotingCause() }) }))).toBe(1);
    expect(stderr()).toContain('f is not valid JSON: fix it');
    expect(stdout() + stderr()).not.toContain(CANARY);
  });

  it('not by util.inspect (console.log), which shows the code and the kind of cause instead', () => {
    const e = new KiError('config-invalid', 'f is not valid JSON', { cause: quotingCause() });
    const shown = inspect(e) + inspect({ e }) + inspect(new Error('outer', { cause: e }));
    expect(shown).toContain('code: config-invalid (cause: SyntaxError)');
    expect(shown).not.toContain(CANARY);
  });

  it('not by an entry point when a KiError escapes the command (Node would print it with its cause)', () => {
    // An entry like src/entries/hook.ts whose command throws from a timer, outside every catch.
    const entry = `import { runAsProcess } from './src/cli/run-command.ts';
import { KiError } from './src/core/errors.ts';
const ctx = { env: {}, cwd: '/', stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
runAsProcess(ctx, () => new Promise(() => setTimeout(() => {
  let cause; try { JSON.parse(${JSON.stringify(CANARY)}); } catch (e) { cause = e; }
  if (!cause.message.includes(${JSON.stringify(CANARY)})) process.exit(9);
  throw new KiError('config-invalid', 'f is not valid JSON', { cause });
}, 1)));`;
    const bundle = buildSync({
      stdin: { contents: entry, resolveDir: root, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      mainFields: ['module', 'main'],
      external: ['@napi-rs/keyring'],
      define: { KI_VERSION: '"0"' },
      logLevel: 'silent',
    });
    const r = spawnSync(process.execPath, ['-e', bundle.outputFiles[0]?.text ?? ''], { encoding: 'utf8', env: { PATH: t.env.PATH, NO_COLOR: '1' } });
    expect(r.stderr).toBe('keyring-inject: f is not valid JSON\n');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('not in hook output: a SessionStart whose keyring fails with such a cause', async () => {
    const backend = new MemoryBackend();
    const { run } = inProcessCli(t.env, t.home, backend);
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
    expect((await run(['add', 'gh', '--server', 'github', '--env', 'GH_TOKEN', '--stdin'], 'value-1\n')).code).toBe(0);
    const fail = () => Promise.reject(new KeyringUnavailableError('could not read from the keyring', 'Unlock it', { cause: quotingCause() }));
    backend.get = fail;
    backend.getMany = fail;
    backend.list = fail;
    // The hook looks for the Claude Code process that ran it: here, this test's parent.
    const sessions = claudePaths(t.env).sessionsDir;
    mkdirSync(sessions, { recursive: true });
    writeFileSync(join(sessions, `${process.ppid}.json`), JSON.stringify({ pid: process.ppid, sessionId: 'sid-c' }));
    const start = await run(['hook', 'session-start'], JSON.stringify({ session_id: 'sid-c', hook_event_name: 'SessionStart', source: 'startup', cwd: t.home, transcript_path: '/tmp/x' }));
    expect(start.stdout + start.stderr).toContain('could not read from the keyring');
    expect(start.stdout + start.stderr).not.toContain(CANARY);
    const end = await run(['hook', 'session-end'], JSON.stringify({ session_id: 'sid-c', hook_event_name: 'SessionEnd', reason: 'exit', cwd: t.home, transcript_path: '/tmp/x' }));
    expect(end.stdout + end.stderr).not.toContain(CANARY);
  });

  it('not in MCP replies: a handler error carries the code as data, and a tool reports only the message', async () => {
    const toServer = new PassThrough();
    const fromServer = new PassThrough();
    let replies = '';
    fromServer.on('data', (c: Buffer) => (replies += c.toString()));
    serveJsonRpc(toServer, fromServer, {
      boom: () => Promise.reject(new KiError('file-io', 'could not update f: EACCES', { cause: quotingCause() })),
    });
    toServer.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'boom', params: {} })}\n`);
    await until(() => replies.includes('\n'));
    expect(JSON.parse(replies)).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'could not update f: EACCES', data: { code: 'file-io' } } });

    // The real server, over a keyring that fails with such a cause.
    const failing = new MemoryBackend();
    const fail = () => Promise.reject(new KeyringUnavailableError('the keyring is locked', 'Unlock it', { cause: quotingCause() }));
    failing.get = fail;
    failing.list = fail;
    const project = join(t.home, 'proj');
    mkdirSync(join(project, '.claude'), { recursive: true });
    writeFileSync(join(project, '.claude', 'secrets.json'), JSON.stringify({ CRM_API_KEY: { source: 'built-in', id: 'crm-api-key' } }));
    const input = new PassThrough();
    const output = new PassThrough();
    let mcp = '';
    output.on('data', (c: Buffer) => (mcp += c.toString()));
    startMcpServer(input, output, { paths: claudePaths(t.env), env: t.env, projectDir: project, backend: () => failing, now: () => new Date(), version: '0' });
    const send = (id: number, method: string, params: Record<string, unknown>) => input.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    send(1, 'initialize', { protocolVersion: '2025-11-25', capabilities: {} });
    send(2, 'tools/call', { name: 'list_secrets', arguments: {} });
    send(3, 'tools/call', { name: 'request_secret', arguments: { name: 'OTHER_KEY', purpose: 'test' } });
    await until(() => mcp.split('\n').length > 3);
    input.end();
    expect(mcp).toContain('the keyring is locked');
    expect(mcp).not.toContain(CANARY);
  });
});

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
}
