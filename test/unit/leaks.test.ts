// scan and scrub over planted Claude Code files: the key in the forms tools write it in, bad
// input (a line that is not JSON, a read-only file, a symlink out of ~/.claude), and the CLI's
// exit codes and output (never a value). A writer appending during the scrub: test/integration/leaks-live-writer.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { inProcessCli } from '../helpers/in-process.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { testSecret } from '../helpers/secret.js';
import { filesUnder } from '../helpers/leak.js';
import { claudePaths } from '../../src/core/paths.js';
import { makeMatcher, scanFile, scrubFile } from '../../src/claude/leak-scan.js';
import { scanStores, scrubStores } from '../../src/doctor/leaks.js';
import { formsOf } from '../../src/core/secret-forms.js';
import { hasPendingScrubs, notePendingScrub } from '../../src/claude/pending-scrub.js';

let t: TempHome;
afterEach(() => t?.cleanup());

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every encoded form of `value` a file could still hold. */
function anyForm(text: string, value: string): boolean {
  return formsOf(value).some((f) => text.includes(f.text));
}

/** An older session as the client writes it: the key JSON-escaped in a tool result, base64 in an assistant message, URL-encoded in a WebFetch URL. */
function plantSession(home: string, value: string): string {
  const dir = join(home, '.claude', 'projects', '-home-user-proj');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, '0b0e5d7e-1111-2222-3333-444455556666.jsonl');
  const lines = [
    { type: 'user', message: { role: 'user', content: 'read my config' }, uuid: 'u1' },
    { type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: JSON.stringify({ env: { TOKEN: `${value}"quoted` } }) }] }, uuid: 'u2' },
    { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: `encoded: ${b64(`Authorization: Bearer ${value}`)}` }] }, uuid: 'a1' },
    {
      type: 'assistant',
      message: { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'WebFetch', input: { url: `https://api.example.test/v1?token=${encodeURIComponent(`${value} &x`)}` } }] },
      uuid: 'a2',
    },
  ];
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', { mode: 0o600 });
  return file;
}

describe('scan and scrub of Claude Code files', () => {
  it('finds the key JSON-escaped in a tool result, base64 in an assistant message and URL-encoded in a WebFetch URL, and scrubs every form', () => {
    t = makeTempHome();
    // A backslash and a quote: JSON escapes them, so a JSON document inside a JSON string holds the value escaped twice.
    const value = `${testSecret('leak')}\\"/+=`;
    const file = plantSession(t.home, value);
    const paths = claudePaths(t.env);
    const secrets = [{ name: 'gh', value }];
    const found = scanStores(paths, t.env, secrets).findings;
    expect(found.map((f) => [f.line, f.form, f.store])).toEqual(
      expect.arrayContaining([
        [2, 'json', 'transcripts'],
        [3, 'base64', 'transcripts'],
        [4, 'url', 'transcripts'],
      ]),
    );
    const res = scrubStores(paths, t.env, secrets, false);
    expect(res.files.map((f) => [f.file, f.keys, f.written])).toEqual([[file, ['gh'], true]]);
    const text = readFileSync(file, 'utf8');
    expect(anyForm(text, value)).toBe(false);
    for (const l of text.trim().split('\n')) JSON.parse(l);
    expect(text).toContain('[keyring-inject:gh]');
    expect(text).toContain(encodeURIComponent('[keyring-inject:gh]'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(scanStores(paths, t.env, secrets).findings).toEqual([]);
  });

  it('leaves a line that is not JSON as it is (but for the value) and reports it; keeps a read-only file read-only', () => {
    t = makeTempHome();
    const value = testSecret('bad');
    const dir = join(t.home, '.claude', 'projects', 'p');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 's.jsonl');
    writeFileSync(file, `${JSON.stringify({ a: value })}\n{not json ${value} here\n${JSON.stringify({ b: 1 })}\n`);
    chmodSync(file, 0o400);
    const hist = join(t.home, '.claude', 'history.jsonl');
    writeFileSync(hist, `${JSON.stringify({ display: `key ${value}` })}\n`, { mode: 0o644 });
    const res = scrubStores(claudePaths(t.env), t.env, [{ name: 'k', value }], false);
    const f = res.files.find((x) => x.file === file);
    expect(f?.notJson).toEqual([2]);
    expect(f?.written).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(`{"a":"[keyring-inject:k]"}\n{not json [keyring-inject:k] here\n{"b":1}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o400);
    expect(statSync(hist).mode & 0o777).toBe(0o644);
    expect(readFileSync(hist, 'utf8')).not.toContain(value);
  });

  it('does not follow a symbolic link out of ~/.claude', () => {
    t = makeTempHome();
    const value = testSecret('link');
    const outside = join(t.home, 'outside.txt');
    writeFileSync(outside, `mine: ${value}\n`);
    mkdirSync(join(t.home, '.claude', 'debug'), { recursive: true });
    symlinkSync(outside, join(t.home, '.claude', 'debug', 'link.txt'));
    symlinkSync(t.home, join(t.home, '.claude', 'loop'));
    const paths = claudePaths(t.env);
    const scan = scanStores(paths, t.env, [{ name: 'k', value }]);
    expect(scan.findings).toEqual([]);
    expect(scan.skipped.map((s) => s.file).sort()).toEqual([join(t.home, '.claude', 'debug', 'link.txt'), join(t.home, '.claude', 'loop')]);
    scrubStores(paths, t.env, [{ name: 'k', value }], false);
    expect(readFileSync(outside, 'utf8')).toContain(value);
    // Named directly, a link is refused too (no rewrite through it).
    const m = makeMatcher([{ name: 'k', value }]);
    expect(() => scrubFile(join(t.home, '.claude', 'debug', 'link.txt'), m, { jsonLines: false })).toThrow(/ELOOP/);
  });

  it('does not walk a store root outside ~/.claude that is a link (the task outputs dir sits in the shared /tmp: another user can plant /tmp/claude-UID pointing anywhere)', () => {
    t = makeTempHome();
    const value = testSecret('tmplink');
    const victim = join(t.home, 'project');
    mkdirSync(victim);
    const env = join(victim, '.env');
    writeFileSync(env, `TOKEN=${value}\n`);
    const tmp = join(t.home, 'tmp');
    mkdirSync(tmp);
    const root = join(tmp, `claude-${process.getuid?.() ?? 0}`);
    symlinkSync(victim, root);
    const e = { ...t.env, TMPDIR: tmp };
    const paths = claudePaths(e);
    const scan = scanStores(paths, e, [{ name: 'k', value }]);
    expect(scan.findings).toEqual([]);
    expect(scan.skipped.map((s) => s.file)).toContain(root);
    scrubStores(paths, e, [{ name: 'k', value }], false);
    expect(readFileSync(env, 'utf8')).toBe(`TOKEN=${value}\n`);
  });

  it('reports a value that spans lines (which a line-wise rewrite cannot reach) as left, never as scrubbed', () => {
    t = makeTempHome();
    // A value with a line break, each of its lines too short to be looked for on its own: only
    // the whole value, across two lines of the file, is found.
    const value = `${testSecret('w').slice(-5)}\n${testSecret('x').slice(-5)}`;
    const dir = join(t.home, '.claude', 'debug');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'wrapped.txt');
    writeFileSync(file, `start\n${value}\nend\n`);
    const secrets = [{ name: 'k', value }];
    expect(scanStores(claudePaths(t.env), t.env, secrets).findings.map((f) => f.file)).toEqual([file]);
    const res = scrubStores(claudePaths(t.env), t.env, secrets, false);
    expect(res.files).toEqual([expect.objectContaining({ file, keys: ['k'], refused: expect.stringContaining('spans lines') })]);
  });

  it('finds a value split over the chunk boundary, and counts lines across chunks', () => {
    t = makeTempHome();
    const value = testSecret('chunk');
    const file = join(t.home, 'big.log');
    const lines = 'x'.repeat(99) + '\n';
    const filler = lines.repeat(Math.ceil((4 * 1024 * 1024) / 100));
    const cut = 4 * 1024 * 1024 - 5;
    writeFileSync(file, filler.slice(0, cut) + value + '\n' + value + '\n');
    const before = filler.slice(0, cut).split('\n').length;
    expect(scanFile(file, makeMatcher([{ name: 'k', value }]))).toEqual([
      { line: before, name: 'k', form: 'plain' },
      { line: before + 1, name: 'k', form: 'plain' },
    ]);
  });
});

describe('the scan and scrub commands', () => {
  it('scan exits 3 naming the key (never its value), scrub removes it and says to rotate, then scan exits 0', async () => {
    t = makeTempHome();
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
    const { run } = inProcessCli(t.env, t.home);
    const value = testSecret('cli');
    expect((await run(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], `${value}\n`)).code).toBe(0);
    const file = plantSession(t.home, value);
    const s1 = await run(['scan']);
    expect(s1.code).toBe(3);
    expect(s1.stdout).toContain(`${file}:3: gh (base64) [transcripts]`);
    expect(s1.stdout).toContain('keyring-inject rotate gh');
    const j = await run(['scan', '--json']);
    expect(JSON.parse(j.stdout).found).toEqual(['gh']);
    const dry = await run(['scrub', '--dry-run']);
    expect(dry.code).toBe(3);
    expect(readFileSync(file, 'utf8')).toContain(encodeURIComponent(`${value} &x`));
    const sc = await run(['scrub']);
    expect(sc.code).toBe(0);
    expect(sc.stdout).toContain('exposed: gh');
    expect(sc.stdout).toContain('keyring-inject rotate gh');
    const s2 = await run(['scan']);
    expect(s2.code, s2.stdout).toBe(0);
    for (const r of [s1, j, dry, sc, s2]) expect(r.stdout + r.stderr).not.toContain(value);
    for (const f of filesUnder(t.home)) expect(anyForm(readFileSync(f, 'latin1'), value), f).toBe(false);
    expect(existsSync(join(t.home, '.claude', 'keyring-inject', 'audit.jsonl'))).toBe(true);
  });

  it('doctor --values reports the same findings; scrub --pending scrubs only the noted transcript under ~/.claude/projects, the debug log and the history', async () => {
    t = makeTempHome();
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
    const { run } = inProcessCli(t.env, t.home);
    const value = testSecret('pending');
    expect((await run(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], `${value}\n`)).code).toBe(0);
    const file = plantSession(t.home, value);
    const doctor = await run(['doctor', '--values']);
    expect(doctor.code).toBe(3);
    expect(doctor.stdout).toContain(`! the value of key gh is in ${file}:3 (base64, transcripts)`);
    expect(doctor.stdout + doctor.stderr).not.toContain(value);

    const history = join(t.home, '.claude', 'history.jsonl');
    writeFileSync(history, `${JSON.stringify({ display: value })}\n`);
    const outside = join(t.home, 'elsewhere.jsonl');
    writeFileSync(outside, `${JSON.stringify({ mine: value })}\n`);
    const paths = claudePaths(t.env);
    notePendingScrub(paths, { session: 's1', file, keys: ['gh'] });
    notePendingScrub(paths, { session: 's2', file: outside, keys: ['gh'] });
    const r = await run(['scrub', '--pending']);
    expect(r.code, r.stderr).toBe(0);
    expect(anyForm(readFileSync(file, 'utf8'), value)).toBe(false);
    expect(readFileSync(history, 'utf8')).toBe('{"display":"[keyring-inject:gh]"}\n');
    expect(readFileSync(outside, 'utf8')).toContain(value); // not Claude Code's: a hook input cannot point the scrub at it
    expect(hasPendingScrubs(paths)).toBe(false);
  });

  it('notes taken by a scrub that was killed before it finished (the session-end deadline) are not lost: the next session end scrubs them', async () => {
    t = makeTempHome();
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { type: 'stdio', command: 'gh-mcp' } } }, null, 2));
    const { run } = inProcessCli(t.env, t.home);
    const value = testSecret('killed-taker');
    expect((await run(['add', 'gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], `${value}\n`)).code).toBe(0);
    const file = plantSession(t.home, value);
    const paths = claudePaths(t.env);
    notePendingScrub(paths, { session: 's1', file, keys: ['gh'] });
    // What a taker leaves when killed mid-scrub: the notes renamed to carry its pid, the process gone.
    const dead = spawnSync('true').pid as number;
    renameSync(join(paths.dataDir, 'pending-scrub.jsonl'), join(paths.dataDir, `pending-scrub.jsonl.${dead}`));
    expect(hasPendingScrubs(paths)).toBe(true);
    const r = await run(['scrub', '--pending']);
    expect(r.code, r.stderr).toBe(0);
    expect(anyForm(readFileSync(file, 'utf8'), value)).toBe(false);
    expect(hasPendingScrubs(paths)).toBe(false);
    expect(readdirSync(paths.dataDir).filter((n) => n.startsWith('pending-scrub'))).toEqual([]);
  });
});
