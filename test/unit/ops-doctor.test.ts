// runDoctor: the probes joined into one report. A key a server needs that is gone from the store
// lands on that server's problems and turns the verdict; the leak scan runs only when asked.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/ops/run-doctor.js';
import { makeContext } from '../helpers/context.js';
import { inProcessCli } from '../helpers/in-process.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
  writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { db: { type: 'stdio', command: 'db-mcp' }, fs: { type: 'stdio', command: 'fs-mcp' } } }));
});
afterEach(() => t.cleanup());

async function withKey() {
  const cli = inProcessCli(t.env, t.home);
  const value = testSecret('db');
  const r = await cli.run(['add', 'dburl', '--server', 'db', '--env', 'DATABASE_URL', '--stdin'], value);
  expect(r.code, r.stderr).toBe(0);
  return { backend: cli.backend, value };
}

describe('runDoctor', () => {
  it('all keys resolve: ok, the store counts the needed key, no leak scan without values', async () => {
    const { backend } = await withKey();
    const report = await runDoctor(makeContext(t.env, t.home, undefined, backend).ctx, { values: false });
    expect(report.store.needed).toBe(1);
    expect(report.store.keys).toEqual([]);
    expect(report.leaks).toBeNull();
    expect(report.servers.find((s) => s.server === 'db')).toMatchObject({ mode: 'inject', keys: ['dburl'], problems: [] });
    expect(report.ok).toBe(true);
  });

  it('a needed key gone from the store: its problem is on the server that needs it only, and the report is not ok', async () => {
    const { backend } = await withKey();
    await backend.delete('dburl');
    const report = await runDoctor(makeContext(t.env, t.home, undefined, backend).ctx, { values: false });
    expect(report.store.keys.map((k) => k.key)).toEqual(['dburl']);
    const problem = report.store.keys[0]?.problem as string;
    expect(problem).toContain('dburl');
    expect(report.servers.find((s) => s.server === 'db')?.problems).toEqual([problem]);
    expect(report.servers.find((s) => s.server === 'fs')?.problems).toEqual([]);
    expect(report.ok).toBe(false);
  });

  it('with values: a stored value in a transcript is a leak finding (by name) and the report is not ok', async () => {
    const { backend, value } = await withKey();
    const dir = join(t.home, '.claude', 'projects', 'p');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 's.jsonl'), `${JSON.stringify({ type: 'user', message: { content: `here ${value}` } })}\n`);
    const report = await runDoctor(makeContext(t.env, t.home, undefined, backend).ctx, { values: true });
    expect(report.leaks?.findings.map((f) => [f.key, f.file, f.line])).toEqual([['dburl', join(dir, 's.jsonl'), 1]]);
    expect(report.ok).toBe(false);
    expect(JSON.stringify(report)).not.toContain(value);
    expect(readFileSync(join(dir, 's.jsonl'), 'utf8')).toContain(value);
  });
});
