// Zero-disk commands in-process with the memory keyring: add --header / --mode wrap, wrap,
// unwrap, headers, exec, run, doctor. Every test checks that no value reaches an output or a
// file under the temporary HOME.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { exec } from '../../src/cli/commands/exec.js';
import { headers } from '../../src/cli/commands/headers.js';
import { run } from '../../src/cli/commands/run.js';
import { unwrap } from '../../src/cli/commands/unwrap.js';
import { wrap } from '../../src/cli/commands/wrap.js';
import type { Command } from '../../src/cli/command.js';
import { resolveValues } from '../../src/engine/engine.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { loadRegistry } from '../../src/registry/registry-file.js';
import { makeContext } from '../helpers/context.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { CLI } from '../helpers/spawn-cli.js';
import { runCommand } from '../../src/cli/run-command.js';

let t: TempHome;
let backend: MemoryBackend;
let outputs: string[];
const cfgPath = () => join(t.home, '.claude.json');
const regPath = () => join(t.home, '.claude', 'keyring-inject', 'registry.json');
const sha = (v: string) => createHash('sha256').update(v).digest('hex');

const CONFIG = {
  numStartups: 2,
  mcpServers: {
    github: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: {} },
    api: { type: 'http', url: 'https://mcp.example.com/mcp' },
  },
  projects: {},
};

beforeEach(() => {
  // wrap writes the bundle path into the config; the file only has to exist and be named cli.js.
  t = makeTempHome({ KEYRING_INJECT_CLI: CLI });
  backend = new MemoryBackend();
  outputs = [];
  writeFileSync(cfgPath(), `${JSON.stringify(CONFIG, null, 2)}\n`);
});
afterEach(() => t.cleanup());

async function cli(cmd: Command, argv: string[], stdin?: string, cwd = t.home, env = t.env) {
  const c = makeContext(env, cwd, stdin, backend);
  const code = await runCommand(cmd, argv, c.ctx);
  outputs.push(c.stdout(), c.stderr());
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** Claude Code's environment for the headersHelper of the `api` server. */
const apiEnv = () => ({ ...t.env, CLAUDE_CODE_MCP_SERVER_URL: 'https://mcp.example.com/mcp' });

/** Make `server` a stdio server around `command` and wrap it, as a user would. */
async function wrapAround(server: string, command: string[], project?: string) {
  const cfg = JSON.parse(readFileSync(cfgPath(), 'utf8'));
  const holder = project ? (cfg.projects[project] ??= { mcpServers: {} }) : cfg;
  holder.mcpServers[server] = { type: 'stdio', command: command[0], args: command.slice(1), env: {} };
  writeFileSync(cfgPath(), `${JSON.stringify(cfg, null, 2)}\n`);
  const r = await cli(wrap, [server, ...(project ? ['--scope', 'local', '--project', project] : [])]);
  expect(r.code, r.stderr).toBe(0);
}

describe('add --mode wrap, wrap and unwrap', () => {
  it('add --mode wrap stores the key, marks its target wrap and wraps the server; the engine never injects it', async () => {
    const v = testSecret();
    const before = readFileSync(cfgPath(), 'utf8');
    const r = await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--mode', 'wrap', '--stdin', '--json'], v);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ name: 'gh', stored: true, mode: 'wrap', wrapped: ['github (user)'], targets: [{ server: 'github', env: 'GITHUB_TOKEN', scope: 'user', mode: 'wrap' }] });
    const entry = JSON.parse(readFileSync(cfgPath(), 'utf8')).mcpServers.github;
    expect(entry.command).toBe(process.execPath);
    expect(entry.args).toEqual([CLI, 'exec', '--server', 'github', '--', 'npx', '-y', '@modelcontextprotocol/server-github']);
    expect(entry.env).toEqual({});
    const reg = await loadRegistry(regPath());
    expect((await resolveValues(reg, backend)).known).toEqual([]);

    const u = await cli(unwrap, ['github', '--json']);
    expect(u.code, u.stderr).toBe(0);
    expect(JSON.parse(u.stdout)).toEqual([{ server: 'github', scope: 'user', project: null, outcome: 'unwrapped', how: 'stdio' }]);
    expect(readFileSync(cfgPath(), 'utf8')).toBe(before);
    // Back in inject mode: the engine injects it again.
    expect((await resolveValues(await loadRegistry(regPath()), backend)).known.map((k) => k.key)).toEqual(['gh']);
    expectNoLeak(v, outputs, [t.home]);
  });

  it('wrap and unwrap a config that starts with a byte-order mark: the mark stays, unwrap gives back the bytes', async () => {
    const original = `\uFEFF${readFileSync(cfgPath(), 'utf8')}`;
    writeFileSync(cfgPath(), original);
    const w = await cli(wrap, ['github']);
    expect(w.code, w.stderr).toBe(0);
    const wrapped = readFileSync(cfgPath(), 'utf8');
    expect(wrapped.startsWith('\uFEFF{')).toBe(true);
    expect(JSON.parse(wrapped.slice(1)).mcpServers.github.args).toContain('exec');
    const u = await cli(unwrap, ['github']);
    expect(u.code, u.stderr).toBe(0);
    expect(readFileSync(cfgPath(), 'utf8')).toBe(original);
  });

  it('wrap is idempotent, keeps the file mode, and warns when no key is mapped yet', async () => {
    const { chmodSync, statSync } = await import('node:fs');
    chmodSync(cfgPath(), 0o644);
    const w1 = await cli(wrap, ['github']);
    expect(w1.code, w1.stderr).toBe(0);
    expect(w1.stdout).toContain('wrapped: github (user)');
    expect(w1.stderr).toContain('no key is mapped to github (user) yet');
    const text = readFileSync(cfgPath(), 'utf8');
    const w2 = await cli(wrap, ['github', '--json']);
    expect(JSON.parse(w2.stdout)[0].outcome).toBe('unchanged');
    expect(readFileSync(cfgPath(), 'utf8')).toBe(text);
    expect(statSync(cfgPath()).mode & 0o777).toBe(0o644);
    const dry = await cli(unwrap, ['github', '--dry-run']);
    expect(dry.stdout).toContain('would unwrap');
    expect(readFileSync(cfgPath(), 'utf8')).toBe(text);
    // A key added later to the wrapped server follows it into wrap mode (never injected).
    const a = await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], testSecret());
    expect(a.stdout).toContain('github (user) is wrapped: the key is read at spawn');
    const reg = await loadRegistry(regPath());
    expect(reg.keys.gh?.targets).toEqual([{ server: 'github', env: 'GITHUB_TOKEN', scope: 'user', mode: 'wrap' }]);
    expect((await resolveValues(reg, backend)).known).toEqual([]);
  });

  it('explains a server that is missing, or in another scope, in one line', async () => {
    const none = await cli(wrap, ['nope']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toContain('is not in');
    const proj = join(t.home, 'proj');
    mkdirSync(proj);
    writeFileSync(join(proj, '.mcp.json'), JSON.stringify({ mcpServers: { db: { command: 'db-mcp' } } }));
    const hint = await cli(wrap, ['db'], undefined, proj);
    expect(hint.code).toBe(1);
    expect(hint.stderr).toContain('project (.mcp.json) server');
    expect(hint.stderr).toContain('--scope local');
  });

  it('a .mcp.json server gets a wrapped local copy (in a project entry of its own on a fresh clone); .mcp.json is never written', async () => {
    const proj = join(t.home, 'proj');
    mkdirSync(proj);
    const mcp = JSON.stringify({ mcpServers: { db: { command: 'db-mcp', args: ['--ro'] } } });
    writeFileSync(join(proj, '.mcp.json'), mcp);
    const noEntry = await cli(wrap, ['db', '--scope', 'local'], undefined, proj);
    expect(noEntry.code, noEntry.stderr).toBe(0);
    expect(JSON.parse(readFileSync(cfgPath(), 'utf8')).projects[proj]).toEqual({ mcpServers: { db: expect.objectContaining({ command: process.execPath }) } });
    expect((await cli(unwrap, ['db', '--scope', 'local'], undefined, proj)).code).toBe(0);
    const cfg = JSON.parse(readFileSync(cfgPath(), 'utf8'));
    cfg.projects[proj] = { allowedTools: [], mcpServers: {}, hasTrustDialogAccepted: true };
    writeFileSync(cfgPath(), JSON.stringify(cfg, null, 2));
    const before = readFileSync(cfgPath(), 'utf8');
    const w = await cli(wrap, ['db', '--scope', 'local'], undefined, proj);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toContain('.mcp.json; that file is not changed');
    expect(readFileSync(join(proj, '.mcp.json'), 'utf8')).toBe(mcp);
    expect(JSON.parse(readFileSync(cfgPath(), 'utf8')).projects[proj].mcpServers.db.args).toContain('--mcp-json');
    const fresh = JSON.parse((await cli(doctor, ['--json'], undefined, proj)).stdout);
    expect(fresh.servers.find((x: { server: string }) => x.server === 'db')).toMatchObject({ scope: 'local', mode: 'wrapped', source: 'config' });
    expect(fresh.servers.find((x: { server: string }) => x.server === 'db').problems.join(' ')).not.toContain('differs');
    writeFileSync(join(proj, '.mcp.json'), JSON.stringify({ mcpServers: { db: { command: 'db-mcp', args: ['--rw'] } } }));
    const drift = JSON.parse((await cli(doctor, ['--json'], undefined, proj)).stdout);
    expect(drift.servers.find((x: { server: string }) => x.server === 'db').problems.join(' ')).toContain('differs from');
    const re = await cli(wrap, ['db', '--scope', 'local', '--json'], undefined, proj);
    expect(JSON.parse(re.stdout)[0].outcome).toBe('rewrapped');
    expect(JSON.parse(readFileSync(cfgPath(), 'utf8')).projects[proj].mcpServers.db.args.slice(-2)).toEqual(['db-mcp', '--rw']);
    writeFileSync(join(proj, '.mcp.json'), mcp);
    await cli(wrap, ['db', '--scope', 'local'], undefined, proj);
    const u = await cli(unwrap, ['db', '--scope', 'local'], undefined, proj);
    expect(u.stdout).toContain('removed the local copy');
    expect(readFileSync(cfgPath(), 'utf8')).toBe(before);
  });
});

describe('headers (http servers)', () => {
  it('add --header maps a template; wrap sets headersHelper; headers prints only the JSON', async () => {
    const v = testSecret();
    const a = await cli(add, ['apikey', '--server', 'api', '--header', 'Authorization: Bearer {value}', '--stdin'], v);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain('api.headers.Authorization (user)  [headersHelper]');
    const entry = JSON.parse(readFileSync(cfgPath(), 'utf8')).mcpServers.api;
    expect(entry.headersHelper).toBe(`${process.execPath} ${CLI} headers api`);
    const h = await cli(headers, ['api'], undefined, t.home, apiEnv());
    expect(h.code, h.stderr).toBe(0);
    expect(h.stderr).toBe('');
    expect(JSON.parse(h.stdout)).toEqual({ Authorization: `Bearer ${v}` });
    expect(h.stdout.trim().split('\n')).toHaveLength(1);
    // Claude Code passes the server name in the environment.
    const viaEnv = await cli(headers, [], undefined, t.home, { ...apiEnv(), CLAUDE_CODE_MCP_SERVER_NAME: 'api' });
    expect(JSON.parse(viaEnv.stdout)).toEqual({ Authorization: `Bearer ${v}` });
    outputs = outputs.filter((o) => o !== h.stdout && o !== viaEnv.stdout);
    expectNoLeak(v, outputs, [t.home]);
  });

  it('refuses templates without {value} (a pasted value?) without repeating them, and --mode inject with --header', async () => {
    const v = testSecret();
    const r = await cli(add, ['k', '--server', 'api', '--header', `Authorization: Bearer ${v}`, '--stdin'], 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('{value}');
    const m = await cli(add, ['k', '--server', 'api', '--header', 'X-Key', '--mode', 'inject', '--stdin'], 'x');
    expect(m.code).toBe(2);
    expectNoLeak(v, outputs, [t.home]);
  });

  it('headers: nothing mapped, or a missing key: exit 1, one line on stderr, nothing on stdout', async () => {
    expect((await cli(wrap, ['api'])).code).toBe(0);
    const none = await cli(headers, ['api'], undefined, t.home, apiEnv());
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toContain('no header is mapped');
    await cli(add, ['apikey', '--server', 'api', '--header', 'X-Api-Key: {value}', '--stdin'], 'v1234567');
    await backend.delete('apikey');
    const gone = await cli(headers, ['api'], undefined, t.home, apiEnv());
    expect(gone).toMatchObject({ code: 1, stdout: '' });
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
    expect(gone.stderr).toContain('apikey is not in the');
  });
});

describe('exec and run (in-process: the child writes what it got to a file)', () => {
  // A child that records sha256 of the named variables, its argv and its exit code request.
  const childScript = () => {
    const f = join(t.home, 'child.cjs');
    writeFileSync(
      f,
      `const {createHash}=require('crypto');const fs=require('fs');
       const h=(v)=>v===undefined?null:createHash('sha256').update(v).digest('hex');
       fs.writeFileSync(process.env.OUT, JSON.stringify({argv:process.argv.slice(2),A:h(process.env.GITHUB_TOKEN),B:h(process.env.OTHER_TOKEN)}));
       process.exit(Number(process.env.CODE||0));`,
    );
    return f;
  };

  it('exec adds the mapped keys to the environment, passes arguments (even --help) and the exit code through', async () => {
    const v = testSecret();
    await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], v);
    const out = join(t.home, 'out.json');
    const env = { ...t.env, OUT: out, CODE: '7', GITHUB_TOKEN: 'stale-plaintext' };
    await wrapAround('github', [process.execPath, childScript(), '--help', 'x y']);
    const r = await cli(exec, ['--server', 'github', '--', process.execPath, childScript(), '--help', 'x y'], undefined, t.home, env);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    const got = JSON.parse(readFileSync(out, 'utf8'));
    expect(got).toEqual({ argv: ['--help', 'x y'], A: sha(v), B: null });
    expectNoLeak(v, outputs, [t.home]);
  });

  it('exec: a key missing from the keyring stops it before the command starts (exit 1, one line)', async () => {
    await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], 'v12345678');
    await backend.delete('gh');
    const out = join(t.home, 'out.json');
    await wrapAround('github', [process.execPath, childScript()]);
    const r = await cli(exec, ['--server', 'github', '--', process.execPath, childScript()], undefined, t.home, { ...t.env, OUT: out });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('key gh is not in the');
    expect(existsSync(out)).toBe(false);
  });

  it('exec: a locked keyring stops it before the command starts', async () => {
    await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], 'v12345678');
    const { KeyringUnavailableError } = await import('../../src/core/errors.js');
    backend.getMany = async () => {
      throw new KeyringUnavailableError('could not read from the Secret Service (locked)', 'Unlock it');
    };
    const out = join(t.home, 'out.json');
    await wrapAround('github', [process.execPath, childScript()]);
    const r = await cli(exec, ['--server', 'github', '--', process.execPath, childScript()], undefined, t.home, { ...t.env, OUT: out });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('locked');
    expect(existsSync(out)).toBe(false);
  });

  it('exec: local scope picks the local targets; no mapped key starts the command with a warning; 127 for a missing command', async () => {
    const proj = join(t.home, 'p');
    mkdirSync(proj);
    const v = testSecret();
    await cli(add, ['loc', '--server', 'github', '--env', 'GITHUB_TOKEN', '--scope', 'local', '--project', proj, '--stdin'], v);
    const out = join(t.home, 'out.json');
    const env = { ...t.env, OUT: out };
    await wrapAround('github', [process.execPath, childScript()], proj);
    await wrapAround('github', [process.execPath, childScript()]);
    const local = await cli(exec, ['--server', 'github', '--scope', 'local', '--project', proj, '--', process.execPath, childScript()], undefined, t.home, env);
    expect(local.code, local.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).A).toBe(sha(v));
    const user = await cli(exec, ['--server', 'github', '--', process.execPath, childScript()], undefined, t.home, env);
    expect(user.code).toBe(0);
    expect(user.stderr).toContain('no key is mapped to MCP server github (user)');
    expect(JSON.parse(readFileSync(out, 'utf8')).A).toBeNull();
    await wrapAround('github', [join(t.home, 'no-such-binary')]);
    const missing = await cli(exec, ['--server', 'github', '--', join(t.home, 'no-such-binary')], undefined, t.home, env);
    expect(missing.code).toBe(127);
    const usage = await cli(exec, ['--server', 'github']);
    expect(usage.code).toBe(2);
    expectNoLeak(v, outputs, [t.home]);
  });

  it('run: every key under its env var names (de-duplicated), --only, and a clash of two keys on one name', async () => {
    const [a, b] = [testSecret('a'), testSecret('b')];
    await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], a);
    await cli(add, ['gh', '--server', 'other', '--env', 'GITHUB_TOKEN'], undefined);
    await cli(add, ['ot', '--server', 'other', '--env', 'OTHER_TOKEN', '--stdin'], b);
    const out = join(t.home, 'out.json');
    const env = { ...t.env, OUT: out };
    const all = await cli(run, ['--', process.execPath, childScript()], undefined, t.home, env);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ A: sha(a), B: sha(b) });
    const only = await cli(run, ['--only', 'ot', '--', process.execPath, childScript()], undefined, t.home, env);
    expect(only.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ A: null, B: sha(b) });
    await cli(add, ['clash', '--server', 'third', '--env', 'OTHER_TOKEN', '--stdin'], testSecret('c'));
    const clash = await cli(run, ['--', process.execPath, childScript()], undefined, t.home, env);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('both feed OTHER_TOKEN');
    const unknown = await cli(run, ['--only', 'nope', '--', 'true']);
    expect(unknown.code).toBe(1);
    expectNoLeak(a, outputs, [t.home]);
    expectNoLeak(b, outputs, [t.home]);
  });
});

describe('doctor', () => {
  it('reports each server mode and plaintext, never a value', async () => {
    const plain = testSecret('plain');
    const cfg = JSON.parse(readFileSync(cfgPath(), 'utf8'));
    cfg.mcpServers.legacy = { command: 'legacy-mcp', env: { LEGACY_API_KEY: plain, LOG_LEVEL: 'debug', PORT: '8080' } };
    writeFileSync(cfgPath(), JSON.stringify(cfg, null, 2));
    await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--mode', 'wrap', '--stdin'], testSecret());
    await cli(add, ['ap', '--server', 'api', '--header', 'Authorization: Bearer {value}', '--stdin'], testSecret());
    mkdirSync(join(t.home, '.claude', 'backups'), { recursive: true });
    writeFileSync(join(t.home, '.claude', 'backups', '.claude.json.backup.1'), JSON.stringify(cfg));
    const d = await cli(doctor, ['--json']);
    expect(d.code, d.stderr).toBe(3); // problems found
    const rep = JSON.parse(d.stdout);
    const mode = (s: string) => rep.servers.find((x: { server: string }) => x.server === s);
    expect(mode('github')).toMatchObject({ mode: 'wrapped', keys: ['gh'], problems: [] });
    expect(mode('api')).toMatchObject({ mode: 'wrapped', keys: ['ap'], problems: [] });
    expect(mode('legacy')).toMatchObject({ mode: 'plaintext', plaintext: ['env LEGACY_API_KEY'] });
    expect(rep.copies).toEqual([{ file: join(t.home, '.claude', 'backups', '.claude.json.backup.1'), plaintext: ['legacy env LEGACY_API_KEY'], injected: [] }]);
    expect(rep.ok).toBe(false);
    const text = await cli(doctor, ['--values']);
    expect(text.stdout).toContain('legacy (user): PLAINTEXT');
    expect(text.stdout).toContain('github (user): wrapped');
    expectNoLeak(plain, [d.stdout, d.stderr, text.stdout, text.stderr], []);
  });

  it('flags a server whose keys are in wrap mode but which is not wrapped', async () => {
    await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--mode', 'wrap', '--stdin'], testSecret());
    const cfg = JSON.parse(readFileSync(cfgPath(), 'utf8'));
    cfg.mcpServers.github = CONFIG.mcpServers.github; // someone re-added the server by hand
    writeFileSync(cfgPath(), JSON.stringify(cfg, null, 2));
    const d = JSON.parse((await cli(doctor, ['--json'])).stdout);
    expect(d.servers.find((s: { server: string }) => s.server === 'github').problems.join(' ')).toContain('not wrapped, so it gets no key');
  });
});

describe('exec and headers serve keys only to what wrap wrapped (issue 14 item 8)', () => {
  it("headers refuses a caller whose URL is not the wrapped server's (a project .mcp.json entry with its own url)", async () => {
    const v = testSecret();
    expect((await cli(add, ['apikey', '--server', 'api', '--header', 'Authorization: Bearer {value}', '--stdin'], v)).code).toBe(0);
    // The attack: `"url": "https://evil.example/mcp", "headersHelper": "keyring-inject headers api"`.
    for (const env of [{ ...t.env, CLAUDE_CODE_MCP_SERVER_URL: 'https://evil.example/mcp' }, t.env]) {
      const r = await cli(headers, ['api'], undefined, t.home, env);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/headers refuses: .*run 'keyring-inject wrap'/);
      expect(r.stderr).not.toContain('evil');
    }
    const ok = await cli(headers, ['api'], undefined, t.home, apiEnv());
    expect(JSON.parse(ok.stdout)).toEqual({ Authorization: `Bearer ${v}` });
    outputs = outputs.filter((o) => o !== ok.stdout);
    expectNoLeak(v, outputs, [t.home]);
  });

  it('exec refuses a command other than the wrapped one, and any command for a server that is not wrapped', async () => {
    const v = testSecret();
    await cli(add, ['gh', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], v);
    const out = join(t.home, 'out.json');
    const env = { ...t.env, OUT: out };
    const evil = join(t.home, 'evil.cjs');
    writeFileSync(evil, "require('fs').writeFileSync(process.env.OUT, String(process.env.GITHUB_TOKEN))");
    // Not wrapped at all (inject mode): no command gets its keys through exec.
    const unwrapped = await cli(exec, ['--server', 'github', '--', process.execPath, evil], undefined, t.home, env);
    expect(unwrapped.code).toBe(1);
    expect(unwrapped.stderr).toMatch(/^keyring-inject: exec refuses: .*no wrapped stdio server/);
    await cli(wrap, ['github']);
    const other = await cli(exec, ['--server', 'github', '--', process.execPath, evil], undefined, t.home, env);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/exec refuses: .*another command/);
    expect(other.stderr).not.toContain('evil');
    expect(existsSync(out)).toBe(false);
    // Wrapped before wrap kept records (no wrapped.json): the wrapped entry in ~/.claude.json stands in.
    const { rmSync } = await import('node:fs');
    rmSync(join(t.home, '.claude', 'keyring-inject', 'wrapped.json'));
    expect((await cli(exec, ['--server', 'github', '--', process.execPath, evil], undefined, t.home, env)).code).toBe(1);
    expect(existsSync(out)).toBe(false);
    const genuine = await cli(exec, ['--server', 'github', '--', 'npx', '-y', '@modelcontextprotocol/server-github', '--version-that-does-not-exist'], undefined, t.home, env);
    expect(genuine.stderr).toMatch(/another command/);
    expect(existsSync(join(t.home, '.claude', 'keyring-inject', 'wrapped.json'))).toBe(true);
    // unwrap forgets the record.
    await cli(unwrap, ['github']);
    expect(JSON.parse(readFileSync(join(t.home, '.claude', 'keyring-inject', 'wrapped.json'), 'utf8')).servers).toEqual([]);
    expectNoLeak(v, outputs, [t.home]);
  });
});
