// The runtime copy `install` makes, with real processes: the hooks run from the copy after the
// package is gone, upgrades switch the launcher, doctor checks the hooks.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hookCommands, makeInstallCommand } from '../../src/cli/commands/install.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { wrap } from '../../src/cli/commands/wrap.js';
import { currentRuntimeId, installRuntime, runtimePaths } from '../../src/install/runtime.js';
import { makeContext } from '../helpers/context.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'dist');
const install = makeInstallCommand({ sourceDir: dist });

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

const settingsPath = () => join(t.home, '.claude', 'settings.json');
const dataDir = () => join(t.home, '.claude', 'keyring-inject');
const launcher = () => runtimePaths(dataDir()).launcher;

async function run(cmd: { run: typeof install.run }, argv: string[], env = t.env) {
  const c = makeContext(env, t.home);
  const code = await cmd.run(argv, c.ctx);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** Run a hook command as Claude Code does on Linux and macOS: /bin/sh -c. */
function sh(command: string, input = '', env: NodeJS.ProcessEnv = t.env) {
  return spawnSync('/bin/sh', ['-c', command], { input, encoding: 'utf8', env });
}

describe('runtime', () => {
  /** A package as npm would install it: dist/ plus its native packages, in a directory we can delete. */
  function copyPackage(): string {
    const pkg = join(t.home, 'pkg');
    cpSync(dist, join(pkg, 'dist'), { recursive: true });
    for (const dir of ['@napi-rs', '@koromix']) cpSync(join(root, 'node_modules', dir), join(pkg, 'node_modules', dir), { recursive: true, dereference: true });
    return join(pkg, 'dist');
  }

  it('install copies a self-contained runtime; the hooks keep working after the package is deleted', async () => {
    const source = copyPackage();
    const r = await run(makeInstallCommand({ sourceDir: source }), ['--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).runtime).toBe(launcher());
    rmSync(join(t.home, 'pkg'), { recursive: true, force: true });

    const hooks = JSON.parse(readFileSync(settingsPath(), 'utf8')).hooks;
    const prompt = hooks.UserPromptSubmit[0].hooks[0].command as string;
    expect(JSON.stringify(hooks)).not.toContain(join(t.home, 'pkg'));
    // A real guard decision from the runtime copy: a prompt holding a GitHub token is blocked.
    const g = sh(prompt, JSON.stringify({ session_id: 's', hook_event_name: 'UserPromptSubmit', prompt: `token ghp_${'a1'.repeat(18)}` }));
    expect(g.stderr).toBe('');
    expect(JSON.parse(g.stdout).decision).toBe('block');
    // The keyring binding loads from the copy.
    const id = currentRuntimeId(dataDir()) as string;
    const binding = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(dataDir(), 'runtime', id, 'node_modules', '@napi-rs', 'keyring'))}).Entry`], { encoding: 'utf8' });
    expect(binding.status, binding.stderr).toBe(0);
    // So does the FFI binary the config write swaps with.
    const ffi = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(dataDir(), 'runtime', id, 'node_modules', '@koromix', `koffi-${process.platform}-${process.arch}`))}).load(null)`], {
      encoding: 'utf8',
    });
    expect(ffi.status, ffi.stderr).toBe(0);
  });

  it('an upgrade switches the launcher to the new copy, keeps the previous one, removes older ones', () => {
    const source = copyPackage();
    const first = installRuntime(dataDir(), source);
    expect(first.changed).toBe(true);
    expect(installRuntime(dataDir(), source)).toMatchObject({ id: first.id, changed: false });
    const ids = [first.id];
    for (const n of [1, 2]) {
      writeFileSync(join(source, 'main.js'), `${readFileSync(join(source, 'main.js'), 'utf8')}\n// build ${n}\n`);
      const next = installRuntime(dataDir(), source);
      expect(next.changed).toBe(true);
      expect(currentRuntimeId(dataDir())).toBe(next.id);
      ids.push(next.id);
    }
    expect(readdirSync(join(dataDir(), 'runtime')).sort()).toEqual([ids[1], ids[2], 'cli.js', 'package.json'].sort());
    // Nothing half-written is left behind.
    expect(readdirSync(join(dataDir(), 'runtime')).some((n) => n.includes('tmp'))).toBe(false);
  });

  it('a launcher whose copy is gone says so in one line and exits 1', () => {
    const r = installRuntime(dataDir(), copyPackage());
    rmSync(r.dir, { recursive: true, force: true });
    const out = sh(hookCommands({ script: r.launcher }).sessionStart, '{}');
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(`keyring-inject: its runtime ${r.dir} is gone; run: keyring-inject install\n`);
  });

  it('doctor checks the hooks: all there and running the runtime; a runtime that is gone, or hooks into a deleted clone, are problems', async () => {
    const none = JSON.parse((await run(doctor, ['--json'])).stdout);
    expect(none.hooks).toEqual({ settingsFile: settingsPath(), events: [], runtime: undefined, problems: [] });
    await run(makeInstallCommand({ sourceDir: copyPackage() }), []);
    const good = JSON.parse((await run(doctor, ['--json'])).stdout);
    expect(good.hooks).toMatchObject({ events: ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse'], runtime: currentRuntimeId(dataDir()), problems: [] });
    expect(good.ok).toBe(true);
    expect((await run(doctor, [])).stdout).toContain(`hooks: SessionStart, SessionEnd, UserPromptSubmit, PreToolUse, PostToolUse in ${settingsPath()}`);

    rmSync(join(dataDir(), 'runtime', currentRuntimeId(dataDir()) as string), { recursive: true });
    const gone = JSON.parse((await run(doctor, ['--json'])).stdout);
    expect(gone.ok).toBe(false);
    expect(gone.hooks.problems).toEqual([`the runtime that ${launcher()} points to is gone: run 'keyring-inject install'`]);

    const clone = join(t.home, 'clone', 'dist', 'cli.js');
    writeFileSync(settingsPath(), readFileSync(settingsPath(), 'utf8').replaceAll(launcher(), clone));
    const text = (await run(doctor, [])).stdout;
    expect(text).toContain(`  ! hooks run ${clone}, which does not exist (every session reports a hook error): run 'keyring-inject install'`);
    expect(text).toContain('problems found');
  });

  it('install points servers wrapped from a clone at the runtime; wrap afterwards writes the runtime too', async () => {
    const config = join(t.home, '.claude.json');
    writeFileSync(config, `${JSON.stringify({ mcpServers: { srv: { type: 'stdio', command: 'npx', args: ['-y', 'srv'] }, other: { type: 'stdio', command: 'other' } } }, null, 2)}\n`);
    const clone = join(dist, 'cli.js');
    expect((await run(wrap, ['srv'], { ...t.env, KEYRING_INJECT_CLI: clone })).code).toBe(0);
    expect(JSON.parse(readFileSync(config, 'utf8')).mcpServers.srv.args.slice(0, 2)).toEqual([clone, 'exec']);

    const r = JSON.parse((await run(makeInstallCommand({ sourceDir: copyPackage() }), ['--json'])).stdout);
    expect(r.rewrapped).toEqual(['srv (user)']);
    const entries = JSON.parse(readFileSync(config, 'utf8')).mcpServers;
    expect(entries.srv.args).toEqual([launcher(), 'exec', '--server', 'srv', '--', 'npx', '-y', 'srv']);
    expect(entries.other).toEqual({ type: 'stdio', command: 'other' });
    expect((await run(wrap, ['other'])).code).toBe(0);
    expect(JSON.parse(readFileSync(config, 'utf8')).mcpServers.other.args[0]).toBe(launcher());
    expect(JSON.parse((await run(makeInstallCommand({ sourceDir: dist }), ['--json'])).stdout).rewrapped).toEqual([]);
  });

  it('install --dry-run copies nothing', async () => {
    const r = await run(install, ['--dry-run', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ changed: true, dryRun: true, runtime: launcher() });
    expect(existsSync(join(t.home, '.claude'))).toBe(false);
  });
});
