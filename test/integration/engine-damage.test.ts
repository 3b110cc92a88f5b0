// Our state file damaged or deleted during a session, and the corrupted
// copies Claude Code makes of its config. Real files in a temp HOME, real processes as sessions,
// a memory keyring.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudePaths } from '../../src/core/paths.js';
import { endSession, startSession, watchTick, type EngineContext } from '../../src/engine/engine.js';
import { identify, type ProcessId } from '../../src/core/process-info.js';
import type { KnownValue } from '../../src/engine/config-copies.js';
import { readStateForReport, stateFile } from '../../src/engine/state.js';
import { inProcessCli } from '../helpers/in-process.js';
import { filesContaining } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let ctx: EngineContext;
let configFile: string;
const children: ChildProcess[] = [];
const original = `${JSON.stringify({ numStartups: 3, mcpServers: { gh: { type: 'stdio', command: 'gh-mcp', args: [] }, db: { command: 'pg', env: { PGHOST: 'localhost' } } } }, null, 2)}\n`;

beforeEach(() => {
  t = makeTempHome();
  ctx = { paths: claudePaths(t.env), now: () => new Date() };
  configFile = ctx.paths.configFile;
  writeFileSync(configFile, original, { mode: 0o600 });
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  t.cleanup();
});

/** A stand-in Claude Code process, with the session file the real client keeps. */
function claude(sessionId = 'sid-1'): { id: ProcessId; kill: () => Promise<void> } {
  const child = spawn('sleep', ['60']);
  children.push(child);
  const id = identify(child.pid as number) as ProcessId;
  mkdirSync(ctx.paths.sessionsDir, { recursive: true });
  writeFileSync(join(ctx.paths.sessionsDir, `${id.pid}.json`), JSON.stringify({ pid: id.pid, sessionId, procStart: id.procStart }));
  return {
    id,
    kill: async () => {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      rmSync(join(ctx.paths.sessionsDir, `${id.pid}.json`), { force: true });
    },
  };
}

function known(values: { gh: string; db: string }): KnownValue[] {
  return [
    { key: 'gh', target: { server: 'gh', env: 'GITHUB_TOKEN', scope: 'user' }, value: values.gh },
    { key: 'db', target: { server: 'db', env: 'PGPASSWORD', scope: 'user' }, value: values.db },
  ];
}

const noValueUnderHome = (values: { gh: string; db: string }) => [...filesContaining(values.gh, [t.home]), ...filesContaining(values.db, [t.home])];

/** Register gh and db in the memory keyring and the registry, as `add` does. */
async function addKeys(run: ReturnType<typeof inProcessCli>['run'], values: { gh: string; db: string }): Promise<void> {
  await run(['add', 'gh', '--server', 'gh', '--env', 'GITHUB_TOKEN', '--stdin'], values.gh);
  await run(['add', 'db', '--server', 'db', '--env', 'PGPASSWORD', '--stdin'], values.db);
}

describe('corrupted copies of the config (issue 14 item 5)', () => {
  it('session end strips the key from a .corrupted.* copy made during the session, without the keyring', async () => {
    const values = { gh: testSecret('gh'), db: testSecret('db') };
    const c = claude();
    await startSession(ctx, c.id, known(values));
    const injected = readFileSync(configFile, 'utf8');
    // Claude Code copies a config that fails to parse (here: cut short by a crashed writer).
    const corrupted = join(t.home, '.claude.json.corrupted.1767000000000');
    writeFileSync(corrupted, injected.slice(0, -40), { mode: 0o600 });
    mkdirSync(ctx.paths.backupsDir, { recursive: true });
    writeFileSync(join(ctx.paths.backupsDir, '.claude.json.corrupted.1767000000001'), `garbage ${injected.slice(0, -3)}`, { mode: 0o600 });
    await endSession(ctx, c.id);
    expect(readFileSync(configFile, 'utf8')).toBe(original);
    expect(noValueUnderHome(values)).toEqual([]);
    expect(readFileSync(corrupted, 'utf8')).toContain('"GITHUB_TOKEN": "[removed by keyring-inject]"');
  });

  it('the watchdog strips it from a .corrupted.* copy while the session lives', async () => {
    const values = { gh: testSecret('gh'), db: testSecret('db') };
    const c = claude();
    await startSession(ctx, c.id, known(values));
    const corrupted = join(t.home, '.claude.json.corrupted.1767000000000');
    writeFileSync(corrupted, readFileSync(configFile, 'utf8').slice(0, -40), { mode: 0o600 });
    expect(await watchTick(ctx, true)).toBe(true);
    expect(readFileSync(configFile, 'utf8')).toContain(values.gh);
    expect(filesContaining(values.gh, [t.home])).toEqual([configFile]);
    expect(filesContaining(values.db, [t.home])).toEqual([configFile]);
  });
});

describe('our state file damaged during a session (issue 14 item 4)', () => {
  it('session start takes back a value it finds at its target without a record', async () => {
    const values = { gh: testSecret('gh'), db: testSecret('db') };
    const first = claude('sid-1');
    await startSession(ctx, first.id, known(values));
    writeFileSync(stateFile(ctx.paths), ''); // `: > ~/.claude/keyring-inject/state.json`
    const second = claude('sid-2');
    const report = await startSession(ctx, second.id, known(values));
    expect(report.conflicts).toEqual([]);
    await first.kill();
    await second.kill();
    await endSession(ctx, second.id);
    expect(readFileSync(configFile, 'utf8')).toBe(original);
    expect(noValueUnderHome(values)).toEqual([]);
  });

  it('session end on a truncated state: the watchdog finds the values by keyring and strips once the session is gone', async () => {
    const values = { gh: testSecret('gh'), db: testSecret('db') };
    const { run, backend } = inProcessCli(t.env, t.home);
    await addKeys(run, values);
    const c = claude();
    await startSession(ctx, c.id, known(values));
    writeFileSync(stateFile(ctx.paths), '');
    // SessionEnd runs while the client still lives, and never reads the keyring.
    let reads = 0;
    const get = backend.getMany.bind(backend);
    backend.getMany = (names) => (reads++, get(names));
    await endSession(ctx, c.id);
    expect(reads).toBe(0);
    await c.kill();
    const r = await run(['watchdog']);
    expect(r.code).toBe(0);
    expect(reads).toBe(1);
    expect(readFileSync(configFile, 'utf8')).toBe(original);
    expect(noValueUnderHome(values)).toEqual([]);
    const status = await run(['status']);
    expect(status.stdout).toMatch(/state file was damaged/);
  });

  it('a deleted state file is noticed by the watchdog, which strips when the session ends', async () => {
    const values = { gh: testSecret('gh'), db: testSecret('db') };
    const { run } = inProcessCli(t.env, t.home);
    await addKeys(run, values);
    const c = claude();
    await startSession(ctx, c.id, known(values));
    const watchdog = run(['watchdog']);
    await new Promise((r) => setTimeout(r, 700));
    rmSync(stateFile(ctx.paths));
    await new Promise((r) => setTimeout(r, 1200));
    expect(readFileSync(configFile, 'utf8')).toContain(values.gh); // the session still lives
    await c.kill();
    expect((await watchdog).code).toBe(0);
    expect(readFileSync(configFile, 'utf8')).toBe(original);
    expect(noValueUnderHome(values)).toEqual([]);
  });

  it('cleanup strips a value without a record after the state was truncated', async () => {
    const values = { gh: testSecret('gh'), db: testSecret('db') };
    const { run } = inProcessCli(t.env, t.home);
    await addKeys(run, values);
    const c = claude();
    await startSession(ctx, c.id, known(values));
    writeFileSync(stateFile(ctx.paths), '');
    await c.kill();
    expect((await run(['cleanup'])).code).toBe(0);
    expect(readFileSync(configFile, 'utf8')).toBe(original);
    expect(noValueUnderHome(values)).toEqual([]);
  });

  it('a watchdog that gives up says so in status and in the next session start message', async () => {
    const values = { gh: testSecret('gh'), db: testSecret('db') };
    const { run } = inProcessCli(t.env, t.home);
    const c = claude();
    await startSession(ctx, c.id, known(values));
    await c.kill();
    // The config no longer parses: every strip fails.
    writeFileSync(configFile, `${readFileSync(configFile, 'utf8')}}`);
    const r = await run(['watchdog']);
    expect(r.code).toBe(1);
    const status = await run(['status']);
    expect(status.stdout).toMatch(/watchdog gave up.*keyring-inject cleanup/);
    // The next SessionStart hook (here: of this test's own parent process) tells the user.
    writeFileSync(configFile, original);
    mkdirSync(ctx.paths.sessionsDir, { recursive: true });
    writeFileSync(join(ctx.paths.sessionsDir, `${process.ppid}.json`), JSON.stringify({ pid: process.ppid, sessionId: 'sid-next' }));
    const start = await run(['hook', 'session-start'], JSON.stringify({ session_id: 'sid-next', hook_event_name: 'SessionStart', source: 'startup', cwd: t.home, transcript_path: '/tmp/x' }));
    expect(start.code).toBe(0);
    expect(JSON.parse(start.stdout).systemMessage).toMatch(/watchdog gave up/);
    expect((await readStateForReport(ctx.paths)).sessions.length).toBe(1);
    await endSession(ctx, identify(process.ppid) as ProcessId);
  }, 40_000);
});
