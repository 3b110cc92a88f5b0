// The audit trail: names only (never a value, never arguments), who started it, 0600, rotated
// past its size cap, settings only from our own data dir; and the `audit` command.
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { audit, auditFile, readAudit } from '../../src/core/audit-trail.js';
import { claudePaths } from '../../src/core/paths.js';
import { inProcessCli } from '../helpers/in-process.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
afterEach(() => t?.cleanup());

describe('audit trail', () => {
  it('records names, the program base name and who started it; 0600', () => {
    t = makeTempHome();
    const paths = claudePaths(t.env);
    const secret = testSecret('arg');
    audit(paths, { event: 'run', keys: ['gh', 'gh', 'stripe'], program: `/usr/bin/node` }, { CLAUDECODE: '1' });
    audit(paths, { event: 'run', keys: ['gh'], program: `./x --token=${secret}` }, {});
    audit(paths, { event: 'guard-block', keys: [`pasted ${secret}`] }, {});
    const lines = readAudit(paths);
    expect(lines.map((l) => [l.event, l.keys, l.program, l.by])).toEqual([
      ['run', ['gh', 'stripe'], 'node', 'claude'],
      ['run', ['gh'], '?', 'user'],
      ['guard-block', ['?'], undefined, 'user'],
    ]);
    expect(statSync(auditFile(paths)).mode & 0o777).toBe(0o600);
    expectNoLeak(secret, [], [paths.dataDir]);
  });

  it('is rotated past maxBytes, keeping `keep` files, and switched off only by our own settings file', () => {
    t = makeTempHome({ KEYRING_INJECT_AUDIT: 'off' });
    const paths = claudePaths(t.env);
    mkdirSync(paths.dataDir, { recursive: true });
    writeFileSync(join(paths.dataDir, 'settings.json'), JSON.stringify({ audit: { maxBytes: 4096, keep: 2 } }));
    // After every write the newest line is in audit.jsonl itself, whatever the lines' lengths (a pid's digits, who ran it).
    for (let i = 0; i < 200; i++) {
      audit(paths, { event: 'exec', keys: [`key${i}`], server: 'srv' }, t.env);
      expect(existsSync(auditFile(paths)), `after write ${i}`).toBe(true);
    }
    const files = readdirSync(paths.dataDir)
      .filter((f) => f.startsWith('audit.jsonl'))
      .sort();
    expect(files).toEqual(['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2']);
    for (const f of files) expect(statSync(join(paths.dataDir, f)).size).toBeLessThan(4096 + 200);
    const lines = readAudit(paths);
    expect(lines.at(-1)?.keys).toEqual(['key199']);
    expect(lines.length).toBeGreaterThan(40);
    expect(lines.length).toBeLessThan(200);
    // A file made readable by others is made private again at the next write.
    chmodSync(auditFile(paths), 0o644);
    audit(paths, { event: 'exec', keys: ['k'] }, t.env);
    expect(statSync(auditFile(paths)).mode & 0o777).toBe(0o600);

    writeFileSync(join(paths.dataDir, 'settings.json'), JSON.stringify({ audit: { enabled: false } }));
    const before = readFileSync(auditFile(paths), 'utf8');
    audit(paths, { event: 'exec', keys: ['k'] }, t.env);
    expect(readFileSync(auditFile(paths), 'utf8')).toBe(before);
  });

  it('never stops what it records: an unwritable trail is skipped', () => {
    t = makeTempHome();
    const paths = claudePaths(t.env);
    mkdirSync(auditFile(paths), { recursive: true }); // a directory where the file should be
    expect(() => audit(paths, { event: 'exec', keys: ['k'] }, t.env)).not.toThrow();
  });
});

describe('the audit command', () => {
  it('shows the trail, --since filters, --json; run records its keys and program, never the value', async () => {
    t = makeTempHome();
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
    const { run } = inProcessCli(t.env, t.home);
    const value = testSecret('run');
    expect((await run(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], `${value}\n`)).code).toBe(0);
    const r = await run(['run', '--only', 'gh', '--', process.execPath, '-e', 'process.exit(0)', value]);
    expect(r.code, r.stderr).toBe(0);
    const paths = claudePaths(t.env);
    const old = JSON.stringify({ ts: '2020-01-01T00:00:00.000Z', event: 'exec', keys: ['old'], by: 'user', pid: 1 });
    writeFileSync(auditFile(paths), `${old}\n${readFileSync(auditFile(paths), 'utf8')}{torn`);
    const all = await run(['audit']);
    expect(all.stdout).toContain('exec  old');
    expect(all.stdout).toMatch(/run {2}gh {2}program=node {2}by=user/);
    const recent = await run(['audit', '--since', '1d', '--json']);
    expect(JSON.parse(recent.stdout).lines.map((l: { event: string }) => l.event)).toEqual(['run']);
    expect((await run(['audit', '--since', 'yesterday-ish'])).code).toBe(2);
    expectNoLeak(value, [r.stdout, r.stderr, all.stdout, recent.stdout], [paths.dataDir]);
  });
});
