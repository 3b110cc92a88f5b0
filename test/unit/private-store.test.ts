// Our private JSON stores (registry, session state, wrapped record, approvals) share one module
// and one policy for a damaged file: never read as empty, never replaced unseen. Refused with the
// store's error naming the file and the fix; the session state (derivable by value) keeps the
// damaged bytes aside, 0600, and starts over marked for recovery.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudePaths, type ClaudePaths } from '../../src/core/paths.js';
import { KiError } from '../../src/core/errors.js';
import { withState, readStateForReport, stateFile } from '../../src/engine/state.js';
import { loadRegistry, updateRegistry } from '../../src/registry/registry-file.js';
import { forgetWrapped, recordWrapped } from '../../src/wrap/record.js';
import { revoke } from '../../src/sources/approval.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let paths: ClaudePaths;

beforeEach(() => {
  t = makeTempHome();
  paths = claudePaths(t.env);
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
});
afterEach(() => t.cleanup());

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof KiError ? e.code : String(e)),
  );

describe('a damaged store is refused, the file left as it is', () => {
  it('the wrapped record: exec/headers and wrap refuse with wrapped-invalid instead of replacing it', async () => {
    const file = join(paths.dataDir, 'wrapped.json');
    for (const damaged of ['nope', '{"servers": {}}', '{"version":1,"servers":[{"server":"gh","scope":"user","kind":"stdio","command":"x"}]}']) {
      writeFileSync(file, damaged, { mode: 0o600 });
      expect(await codeOf(forgetWrapped(paths, { server: 'gh', scope: 'user' }))).toBe('wrapped-invalid');
      await expect(forgetWrapped(paths, { server: 'gh', scope: 'user' })).rejects.toThrow(`${file} is damaged: move it away (the wrapped entries in ~/.claude.json then stand in)`);
      expect(readFileSync(file, 'utf8')).toBe(damaged);
    }
    expect(
      readdirSync(paths.dataDir)
        .filter((n) => n.startsWith('wrapped.json'))
        .sort(),
    ).toEqual(['wrapped.json']);
  });

  it('the registry and the approvals: their own errors, the file untouched', async () => {
    const reg = join(paths.dataDir, 'registry.json');
    writeFileSync(reg, '{"version": 2}', { mode: 0o600 });
    expect(await codeOf(updateRegistry(reg, (r) => ({ registry: { ...r }, result: 0 })))).toBe('registry-invalid');
    expect(await codeOf(loadRegistry(reg))).toBe('registry-invalid');
    expect(readFileSync(reg, 'utf8')).toBe('{"version": 2}');
    writeFileSync(join(paths.dataDir, 'approvals.json'), '[]', { mode: 0o600 });
    expect(await codeOf(revoke(paths, '/nowhere/.claude/secrets.json'))).toBe('approvals-invalid');
    expect(readFileSync(join(paths.dataDir, 'approvals.json'), 'utf8')).toBe('[]');
  });

  it('a valid wrapped record round-trips (what wrap wrote is what exec reads)', async () => {
    await recordWrapped(paths, []); // nothing wrapped: nothing written
    await forgetWrapped(paths, { server: 'gh', scope: 'user' });
    expect(JSON.parse(readFileSync(join(paths.dataDir, 'wrapped.json'), 'utf8'))).toEqual({ version: 1, servers: [] });
    expect(statSync(join(paths.dataDir, 'wrapped.json')).mode & 0o777).toBe(0o600);
  });
});

describe('the session state recovers: the damaged bytes kept aside, 0600', () => {
  it('a garbled state is kept as state.json.damaged-<ms>, the new state is marked for recovery', async () => {
    writeFileSync(stateFile(paths), '{"version":1,"sessions":[', { mode: 0o644 });
    expect((await readStateForReport(paths)).recover).toBe('damaged');
    expect(readdirSync(paths.dataDir).filter((n) => n.includes('damaged'))).toEqual([]); // a read without the lock keeps nothing
    await withState(paths, async () => undefined);
    const kept = readdirSync(paths.dataDir).filter((n) => n.startsWith('state.json.damaged-'));
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^state\.json\.damaged-\d+$/);
    expect(readFileSync(join(paths.dataDir, kept[0] as string), 'utf8')).toBe('{"version":1,"sessions":[');
    expect(statSync(join(paths.dataDir, kept[0] as string)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(stateFile(paths), 'utf8')).recover).toBe('damaged');
  });

  it('a truncated (empty) state has nothing to keep', async () => {
    writeFileSync(stateFile(paths), '');
    await withState(paths, async () => undefined);
    expect(readdirSync(paths.dataDir).filter((n) => n.includes('damaged'))).toEqual([]);
    expect(JSON.parse(readFileSync(stateFile(paths), 'utf8')).recover).toBe('damaged');
  });
});
