// The engine with real files in a temp HOME and real processes as "sessions"; no keyring
// (values are handed in as the keyring layer would).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endSession, refreshInjected, startSession, sweepDead, type EngineContext } from '../../src/engine/engine.js';
import { identify, isAlive, type ProcessId } from '../../src/core/process-info.js';
import { readStateForReport } from '../../src/engine/state.js';
import { filesContaining } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { deadProcess, ENGINE_CONFIG, engineHome, knownValues } from '../helpers/engine-home.js';
import type { TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let ctx: EngineContext;
let configFile: string;
const original = ENGINE_CONFIG;
const known = knownValues;

beforeEach(() => {
  ({ t, ctx, configFile } = engineHome());
});
afterEach(() => t.cleanup());

const me = (): ProcessId => identify(process.pid)!;

describe('process identity', () => {
  it('tells a live process from a dead one and from a reused pid', async () => {
    expect(isAlive(me())).toBe(true);
    expect(isAlive(await deadProcess())).toBe(false);
    // Same pid, different start time: a different process.
    expect(isAlive({ pid: process.pid, procStart: '1' })).toBe(false);
  });
});

describe('inject and strip', () => {
  it('injects into the config (0600) and strips back to the exact original bytes', async () => {
    const values = { gh: testSecret('gh'), db: testSecret('db') };
    const report = await startSession(ctx, { ...me(), sessionId: 's1' }, known(values));
    expect(report.injected).toHaveLength(2);
    const during = JSON.parse(readFileSync(configFile, 'utf8'));
    expect(during.mcpServers.gh.env.GITHUB_TOKEN).toBe(values.gh);
    expect(during.mcpServers.db.env).toEqual({ PGHOST: 'localhost', PGPASSWORD: values.db });
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const state = readFileSync(join(ctx.paths.dataDir, 'state.json'), 'utf8');
    expect(state).not.toContain(values.gh);
    expect(statSync(join(ctx.paths.dataDir, 'state.json')).mode & 0o777).toBe(0o600);

    const end = await endSession(ctx, me());
    expect(end.skipped).toBe(false);
    expect(readFileSync(configFile, 'utf8')).toBe(original);
    expect(filesContaining(values.gh, [t.home])).toEqual([]);
    expect(filesContaining(values.db, [t.home])).toEqual([]);
  });

  it('is idempotent: a second start changes nothing', async () => {
    const values = { gh: testSecret(), db: testSecret() };
    await startSession(ctx, { ...me(), sessionId: 's1' }, known(values));
    const first = readFileSync(configFile, 'utf8');
    const again = await startSession(ctx, { ...me(), sessionId: 's2' }, known(values));
    expect(again.injected).toEqual([]);
    expect(again.unchanged).toHaveLength(2);
    expect(readFileSync(configFile, 'utf8')).toBe(first);
    expect((await readStateForReport(ctx.paths)).sessions).toHaveLength(1);
  });

  it('leaves a value it did not put there and reports the conflict by name', async () => {
    const foreign = JSON.parse(original);
    foreign.mcpServers.gh.env = { GITHUB_TOKEN: 'users-own-token' };
    writeFileSync(configFile, JSON.stringify(foreign, null, 2));
    const report = await startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }));
    expect(report.conflicts).toEqual(['gh -> gh.env.GITHUB_TOKEN (user)']);
    await endSession(ctx, me());
    expect(JSON.parse(readFileSync(configFile, 'utf8')).mcpServers.gh.env.GITHUB_TOKEN).toBe('users-own-token');
  });

  it('keeps the keys while another session lives; the last one strips', async () => {
    const values = { gh: testSecret(), db: testSecret() };
    const other = spawn('sleep', ['30']);
    const otherId = identify(other.pid!)!;
    try {
      await startSession(ctx, me(), known(values));
      await startSession(ctx, otherId, known(values));
      const first = await endSession(ctx, me());
      expect(first.skipped).toBe(true);
      expect(readFileSync(configFile, 'utf8')).toContain(values.gh);
      const last = await endSession(ctx, otherId);
      expect(last.skipped).toBe(false);
      expect(readFileSync(configFile, 'utf8')).toBe(original);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a sweep strips what a dead session left, and scrubs backups and temp files', async () => {
    const values = { gh: testSecret(), db: testSecret() };
    const dead = await deadProcess();
    await startSession(ctx, dead, known(values));
    // Claude Code's backup taken while the key was in the file, and a killed writer's temp file.
    mkdirSync(ctx.paths.backupsDir, { recursive: true });
    const backup = join(ctx.paths.backupsDir, '.claude.json.backup.1700000000000');
    writeFileSync(backup, readFileSync(configFile), { mode: 0o600 });
    const temp = `${configFile}.tmp.999999.0123456789ab`;
    writeFileSync(temp, readFileSync(configFile));
    const swept = await sweepDead(ctx);
    expect(swept?.stripped).toHaveLength(2);
    expect(swept?.copies.map((c) => c.file)).toEqual([backup]);
    expect(readFileSync(configFile, 'utf8')).toBe(original);
    expect(JSON.parse(readFileSync(backup, 'utf8')).mcpServers.gh.env).toBeUndefined();
    expect(filesContaining(values.gh, [t.home])).toEqual([]);
    expect(filesContaining(values.db, [t.home])).toEqual([]);
  });

  it('rotation replaces the injected copy in a live session; strip removes the new one', async () => {
    const v1 = { gh: testSecret('old'), db: testSecret() };
    await startSession(ctx, me(), known(v1));
    const v2 = testSecret('new');
    const r = await refreshInjected(ctx, [{ key: 'gh', target: { server: 'gh', env: 'GITHUB_TOKEN', scope: 'user' }, value: v2 }]);
    expect(r.injected).toEqual(['gh -> gh.env.GITHUB_TOKEN (user)']);
    const during = readFileSync(configFile, 'utf8');
    expect(during).toContain(v2);
    expect(during).not.toContain(v1.gh);
    await endSession(ctx, me());
    expect(readFileSync(configFile, 'utf8')).toBe(original);
  });

  it('writes through a symlinked config and keeps the link', async () => {
    const { renameSync, symlinkSync, lstatSync } = await import('node:fs');
    const real = join(t.home, 'dotfiles-claude.json');
    renameSync(configFile, real);
    symlinkSync(real, configFile);
    const values = { gh: testSecret(), db: testSecret() };
    await startSession(ctx, me(), known(values));
    expect(lstatSync(configFile).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toContain(values.gh);
    await endSession(ctx, me());
    expect(lstatSync(configFile).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(original);
  });

  it('never injects into a config that lives in a git work tree (a dotfiles repo)', async () => {
    const { renameSync, symlinkSync } = await import('node:fs');
    const repo = join(t.home, 'dotfiles');
    mkdirSync(join(repo, '.git'), { recursive: true });
    renameSync(configFile, join(repo, 'claude.json'));
    symlinkSync(join(repo, 'claude.json'), configFile);
    await expect(startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }))).rejects.toThrow(/lives in the git work tree .*dotfiles/);
    expect(readFileSync(join(repo, 'claude.json'), 'utf8')).toBe(original);
  });

  it('refuses a read-only config with a clear error and leaves it untouched', async () => {
    const { chmodSync } = await import('node:fs');
    chmodSync(configFile, 0o444);
    await expect(startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }))).rejects.toThrow(/read-only: keyring-inject will not change it/);
    expect(readFileSync(configFile, 'utf8')).toBe(original);
  });

  it('refuses a malformed config and changes nothing', async () => {
    writeFileSync(configFile, '{"mcpServers": {');
    await expect(startSession(ctx, me(), known({ gh: testSecret(), db: testSecret() }))).rejects.toThrow(/not valid JSON at line 1/);
    expect(readFileSync(configFile, 'utf8')).toBe('{"mcpServers": {');
  });
});
