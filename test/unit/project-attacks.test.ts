// Issue 14 item 2: what a cloned repository's `.claude/secrets.json` must not be able to do.
// In-process with the memory keyring, real files and real child processes. Each attack is first
// run as the repository would (the file approved, so that approval alone is not what stops it).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../src/cli/commands/add.js';
import { COMMAND_TABLE } from '../../src/cli/command-table.js';
import { run } from '../../src/cli/commands/run.js';
import type { Command } from '../../src/cli/command.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { makeContext } from '../helpers/context.js';
import { hashingChild } from '../helpers/env-child.js';
import { expectNoLeak } from '../helpers/leak.js';
import { testSecret } from '../helpers/secret.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';
import { runCommand } from '../../src/cli/run-command.js';

let t: TempHome;
let backend: MemoryBackend;
let outputs: string[];
let proj: string;
const projFile = () => join(proj, '.claude', 'secrets.json');
const marker = () => join(t.home, 'pwned');
const out = () => join(t.home, 'out.json');
const sha = (v: string) => createHash('sha256').update(v).digest('hex');

beforeEach(() => {
  t = makeTempHome();
  backend = new MemoryBackend();
  outputs = [];
  proj = join(t.home, 'clone');
  mkdirSync(join(proj, '.git'), { recursive: true });
  mkdirSync(join(proj, '.claude'));
});
afterEach(() => t.cleanup());

async function cli(cmd: Command | string, argv: string[], stdin?: string, cwd = proj) {
  const c = makeContext({ ...t.env, OUT: out(), PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd, stdin, backend);
  const command = typeof cmd === 'string' ? await COMMAND_TABLE.find((x) => x.name === cmd)?.load() : cmd;
  if (!command) return { code: 2, stdout: '', stderr: `no command ${String(cmd)}` };
  const code = await runCommand(command, argv, c.ctx);
  outputs.push(c.stdout(), c.stderr());
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

const child = (...vars: string[]) => hashingChild(t.home, vars);

/** Approve the file the way a user would, if the command exists (it does not before the fix). */
async function allowIfPossible(): Promise<void> {
  if (COMMAND_TABLE.some((c) => c.name === 'allow')) {
    const r = await cli('allow', []);
    // A file the fix refuses is not approvable either: that is fine, run must still refuse.
    outputs.push(r.stdout, r.stderr);
  }
}

describe('a repository file cannot run code in what you run', () => {
  const loaderVars: [string, (evil: string) => string][] = [
    ['NODE_OPTIONS', (evil) => `--require ${evil}`],
    ['LD_PRELOAD', () => '/nonexistent/lib.so'],
    ['BASH_ENV', (evil) => evil],
    ['PATH', () => '/tmp'],
    ['PYTHONSTARTUP', (evil) => evil],
    ['DYLD_INSERT_LIBRARIES', () => '/nonexistent/lib.dylib'],
  ];

  it('NODE_OPTIONS fed from an env file in the repository does not reach `run -- node`: refused, nothing started', async () => {
    const evil = join(proj, 'evil.cjs');
    writeFileSync(evil, `require('fs').writeFileSync(${JSON.stringify(marker())}, 'ran');`);
    writeFileSync(join(proj, '.env'), `NODE_OPTIONS=--require ${evil}\n`);
    writeFileSync(projFile(), JSON.stringify({ NODE_OPTIONS: { source: 'env-file', id: 'NODE_OPTIONS', targets: [{ server: 'app', env: 'NODE_OPTIONS' }] } }));
    await allowIfPossible();
    const r = await cli(run, ['--', process.execPath, child('NODE_OPTIONS')]);
    expect(existsSync(marker()), 'the repository code ran inside `run`').toBe(false);
    expect(existsSync(out())).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/NODE_OPTIONS.*(loader|refused)/);
    expect(r.stderr.trim().split('\n').length).toBe(1);
  });

  it.each(loaderVars)('%s: refused as a target and as a run variable', async (name, value) => {
    writeFileSync(join(proj, '.env'), `X=${value(join(proj, 'evil'))}\n`);
    for (const file of [{ K: { source: 'env-file', id: 'X', targets: [{ server: 'app', env: name }] } }, { [name]: { source: 'env-file', id: 'X' } }]) {
      writeFileSync(projFile(), JSON.stringify(file));
      await allowIfPossible();
      const r = await cli(run, ['--', process.execPath, child(name)]);
      expect(r.code, r.stderr).toBe(1);
      expect(existsSync(out())).toBe(false);
      expect(r.stderr).toContain(name);
    }
  });

  it('a project entry under a new name cannot copy a key of your registry into a variable of its choice', async () => {
    const mine = testSecret('mine');
    // Approved while the id named nothing of yours; your key of that name comes later.
    writeFileSync(projFile(), JSON.stringify({ EXFIL: { source: 'keyring', id: 'github', targets: [{ server: 'app', env: 'BUILD_ID' }] } }));
    await allowIfPossible();
    expect((await cli(add, ['github', '--server', 'github', '--env', 'GITHUB_TOKEN', '--stdin'], mine, t.home)).code).toBe(0);
    const r = await cli(run, ['--only', 'EXFIL', '--', process.execPath, child('BUILD_ID')]);
    const copied = existsSync(out()) ? (JSON.parse(readFileSync(out(), 'utf8')) as Record<string, string | null>).BUILD_ID : null;
    expect(copied === sha(mine), 'your key reached the variable the repository picked').toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('EXFIL');
    expect(r.stderr).toContain('your registry');
    // The same through the proposal's spelling, and through a key whose source names the keyring item.
    writeFileSync(projFile(), JSON.stringify({ EXFIL: { source: 'built-in', id: 'github' } }));
    if (COMMAND_TABLE.some((c) => c.name === 'allow')) {
      // Approval itself refuses such a file.
      const allowed = await cli('allow', []);
      expect(allowed.code).toBe(1);
      expect(allowed.stderr).toContain('holds a key of your registry');
    }
    const r2 = await cli(run, ['--only', 'EXFIL', '--', process.execPath, child('EXFIL')]);
    expect(r2.code).toBe(1);
    expect(existsSync(out())).toBe(false);
    // Nor can `add --project` write such a reference.
    const added = await cli(add, ['EXFIL2', '--project', proj, '--id', 'github', '--server', 'app', '--env', 'OTHER']);
    expect(added.code).toBe(1);
    expect(added.stderr).toContain('holds a key of your registry');
    expectNoLeak(mine, outputs, [t.home]);
  });
});

describe("a repository cannot borrow another project's approval", () => {
  it('a .claude/secrets.json (or .claude dir) that links to an approved file elsewhere is not approved here', async () => {
    const { symlinkSync } = await import('node:fs');
    const { loadApprovedProjectFile, approvedProjectFileFor } = await import('../../src/sources/approval.js');
    // The user's own project, its file approved: its server "app" gets the key.
    const mine = join(t.home, 'mine');
    mkdirSync(join(mine, '.git'), { recursive: true });
    mkdirSync(join(mine, '.claude'));
    writeFileSync(join(mine, '.claude', 'secrets.json'), JSON.stringify({ STRIPE: { source: 'built-in', id: 'stripe', targets: [{ server: 'app', env: 'STRIPE' }] } }));
    expect((await cli('allow', [], undefined, mine)).code).toBe(0);
    const paths = makeContext(t.env, proj).ctx.paths;
    expect(await loadApprovedProjectFile(paths, mine)).toBeDefined();
    // The clone links its file to it: its own server "app" (the repository's code) would get the key.
    symlinkSync(join(mine, '.claude', 'secrets.json'), projFile());
    await expect(loadApprovedProjectFile(paths, proj)).rejects.toThrow(/link/);
    await expect(approvedProjectFileFor(paths, proj, 'app')).rejects.toThrow(/link/);
    const r = await cli(run, ['--', process.execPath, child('STRIPE')]);
    expect(r.code).toBe(1);
    expect(existsSync(out())).toBe(false);
    // The same through a linked .claude directory.
    const other = join(t.home, 'clone2');
    mkdirSync(join(other, '.git'), { recursive: true });
    symlinkSync(join(mine, '.claude'), join(other, '.claude'));
    await expect(loadApprovedProjectFile(paths, other)).rejects.toThrow(/link/);
  });
});
