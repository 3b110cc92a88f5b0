import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hookCommands, makeInstallCommand } from '../../src/cli/commands/install.js';
import { uninstall } from '../../src/cli/commands/uninstall.js';
import { KiError } from '../../src/core/errors.js';
import { shQuote } from '../../src/core/shell.js';
import { chooseGuards, clientVersionAt, versionAtLeast } from '../../src/install/guard-choice.js';
import { guardProgram, hookScriptOf } from '../../src/install/hook-command.js';
import { runtimePaths } from '../../src/install/runtime.js';
import { isOurCommand } from '../../src/install/settings-hooks.js';
import { npmClientInstall } from '../helpers/client-install.js';
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

describe('hookCommands', () => {
  it('runs the launcher through the one-line guard, without NODE_EXTRA_CA_CERTS, and ends with the marker', () => {
    const script = '/data/keyring-inject/runtime/cli.js';
    const c = hookCommands({ script, node: '/usr/bin/node', platform: 'linux' });
    const prefix = `NODE_EXTRA_CA_CERTS= '/usr/bin/node' -e "${guardProgram('install')}" '${script}'`;
    expect(c.sessionStart).toBe(`${prefix} hook session-start # keyring-inject`);
    expect(c.sessionEnd).toBe(`${prefix} hook session-end # keyring-inject`);
    expect(isOurCommand(c.sessionStart) && isOurCommand(c.sessionEnd)).toBe(true);
    for (const [cmd, event] of [
      [c.userPromptSubmit, 'user-prompt-submit'],
      [c.preToolUse, 'pre-tool-use'],
      [c.postToolUse, 'post-tool-use'],
    ] as const) {
      expect(cmd).toBe(`${prefix} guard ${event} # keyring-inject`);
    }
    expect(hookScriptOf(c.sessionStart)).toBe(script);
  });

  it('on Windows: no POSIX-only syntax, node from PATH, the script in double quotes with forward slashes', () => {
    const c = hookCommands({ script: 'C:\\Users\\Ann Lee\\.claude\\keyring-inject\\runtime\\cli.js', node: 'C:\\node\\node.exe', platform: 'win32' });
    expect(c.sessionStart).toBe(`node -e "${guardProgram('install')}" "C:/Users/Ann Lee/.claude/keyring-inject/runtime/cli.js" hook session-start # keyring-inject`);
    expect(c.sessionStart).not.toMatch(/env -u|NODE_EXTRA_CA_CERTS/);
    expect(hookScriptOf(c.sessionStart)).toBe('C:/Users/Ann Lee/.claude/keyring-inject/runtime/cli.js');
  });

  it('quotes paths so /bin/sh passes them through unchanged', () => {
    for (const word of ["it's here", 'a b', '$HOME `id` $(id) "q" \\ ; & | * ?', "''", '']) {
      expect(execFileSync('/bin/sh', ['-c', `printf '%s' ${shQuote(word)}`], { encoding: 'utf8' })).toBe(word);
    }
  });

  it('gives the script exactly the argv `node SCRIPT hook session-start` would, and an empty NODE_EXTRA_CA_CERTS', () => {
    const dir = join(t.home, "odd dir's $x");
    mkdirSync(dir);
    const fake = join(dir, 'cli.js');
    writeFileSync(fake, 'process.stdout.write(JSON.stringify({argv: process.argv.slice(1), ca: process.env.NODE_EXTRA_CA_CERTS}));\n');
    const c = hookCommands({ script: fake });
    const env = { ...t.env, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' };
    const start = sh(c.sessionStart, '', env);
    expect(start.stderr).toBe('');
    expect(JSON.parse(start.stdout)).toEqual({ argv: [fake, 'hook', 'session-start'], ca: '' });
    expect(JSON.parse(sh(c.sessionEnd).stdout).argv).toEqual([fake, 'hook', 'session-end']);
    expect(JSON.parse(sh(c.postToolUse ?? '').stdout).argv).toEqual([fake, 'guard', 'post-tool-use']);
    // The Windows form runs in a POSIX shell too (Git Bash), with node from PATH.
    const plain = join(t.home, 'plain', 'cli.js');
    cpSync(fake, plain);
    const win = hookCommands({ script: plain, platform: 'win32' });
    expect(JSON.parse(sh(win.sessionStart).stdout).argv).toEqual([plain, 'hook', 'session-start']);
  });

  it('a script that is gone: one line on stderr naming the fix, exit 1 (a non-blocking hook error), no stack trace', () => {
    const gone = join(t.home, 'gone', 'cli.js');
    // What a plain `node <missing file>` would print into every session:
    const plain = spawnSync(process.execPath, [gone, 'hook', 'session-start'], { encoding: 'utf8' });
    expect(plain.stderr).toMatch(/Cannot find module[\s\S]*\n\s+at /);
    for (const platform of ['linux', 'win32'] as const) {
      const r = sh(hookCommands({ script: gone, platform }).sessionStart, '{"session_id":"s"}');
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`keyring-inject: ${gone} is missing; run: keyring-inject install\n`);
    }
  });
});

describe('install', () => {
  it('creates the config dir and a 0600 settings.json with the session hooks and the guards', async () => {
    const r = await run(install, ['--json']);
    expect(r.code).toBe(0);
    const c = hookCommands({ script: launcher() });
    expect(JSON.parse(r.stdout)).toEqual({
      settingsFile: settingsPath(),
      changed: true,
      dryRun: false,
      runtime: launcher(),
      rewrapped: [],
      hooks: { SessionStart: c.sessionStart, SessionEnd: c.sessionEnd, UserPromptSubmit: c.userPromptSubmit, PreToolUse: c.preToolUse, PostToolUse: c.postToolUse },
      mcpServer: { configFile: join(t.home, '.claude.json'), name: 'keyring-inject', changed: true, command: [process.execPath, launcher(), 'mcp'] },
    });
    // The MCP server of issue 16, as `claude mcp add --scope user` would write it.
    expect(JSON.parse(readFileSync(join(t.home, '.claude.json'), 'utf8')).mcpServers).toEqual({ 'keyring-inject': { type: 'stdio', command: process.execPath, args: [launcher(), 'mcp'], env: {} } });
    expect(JSON.parse(readFileSync(settingsPath(), 'utf8'))).toEqual({
      hooks: {
        SessionStart: [{ hooks: [{ type: 'command', command: c.sessionStart, timeout: 30 }] }],
        SessionEnd: [{ hooks: [{ type: 'command', command: c.sessionEnd, timeout: 10 }] }],
        UserPromptSubmit: [{ hooks: [{ type: 'command', command: c.userPromptSubmit, timeout: 10 }] }],
        PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: c.preToolUse, timeout: 10 }] }],
        PostToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: c.postToolUse, timeout: 30 }] }],
      },
    });
    expect(statSync(settingsPath()).mode & 0o777).toBe(0o600);
    expect(r.stderr).toBe('');
  });

  it('is idempotent: a second run changes nothing and says so', async () => {
    await run(install, []);
    const before = readFileSync(settingsPath(), 'utf8');
    const mtime = statSync(settingsPath()).mtimeMs;
    const r = await run(install, []);
    expect(r.stdout).toContain('already installed');
    expect(readFileSync(settingsPath(), 'utf8')).toBe(before);
    expect(statSync(settingsPath()).mtimeMs).toBe(mtime);
    const j = await run(install, ['--json']);
    expect(JSON.parse(j.stdout).changed).toBe(false);
  });

  it("keeps the user's settings, hooks and the file's mode", async () => {
    mkdirSync(join(t.home, '.claude'));
    const original = `${JSON.stringify({ model: 'opus', hooks: { SessionStart: [{ matcher: 'startup', hooks: [{ type: 'command', command: 'echo hi' }] }] } }, null, 2)}\n`;
    writeFileSync(settingsPath(), original);
    chmodSync(settingsPath(), 0o644);
    const r = await run(install, []);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`installed hooks in ${settingsPath()}`);
    const parsed = JSON.parse(readFileSync(settingsPath(), 'utf8'));
    expect(parsed.model).toBe('opus');
    expect(parsed.hooks.SessionStart[0]).toEqual({ matcher: 'startup', hooks: [{ type: 'command', command: 'echo hi' }] });
    expect(parsed.hooks.SessionStart).toHaveLength(2);
    expect(statSync(settingsPath()).mode & 0o777).toBe(0o644);

    const u = await run(uninstall, ['--json']);
    expect(JSON.parse(u.stdout)).toEqual({ settingsFile: settingsPath(), changed: true, dryRun: false, removed: 5, mcpServerRemoved: true });
    expect(readFileSync(settingsPath(), 'utf8')).toBe(original);
    expect(statSync(settingsPath()).mode & 0o777).toBe(0o644);
  });

  it('writes through a symlink and leaves the link in place', async () => {
    const real = join(t.home, 'dotfiles', 'claude-settings.json');
    mkdirSync(join(t.home, 'dotfiles'));
    mkdirSync(join(t.home, '.claude'));
    writeFileSync(real, '{\n  "theme": "dark"\n}\n');
    chmodSync(real, 0o640);
    symlinkSync(real, settingsPath());
    await run(install, []);
    expect(lstatSync(settingsPath()).isSymbolicLink()).toBe(true);
    expect(readlinkSync(settingsPath())).toBe(real);
    expect(JSON.parse(readFileSync(real, 'utf8')).hooks.SessionEnd).toHaveLength(1);
    expect(statSync(real).mode & 0o777).toBe(0o640);
  });

  it('refuses a symlink to a missing file', async () => {
    mkdirSync(join(t.home, '.claude'));
    symlinkSync(join(t.home, 'gone.json'), settingsPath());
    await expect(run(install, [])).rejects.toThrow(/symbolic link to a missing file/);
  });

  it('honours CLAUDE_CONFIG_DIR', async () => {
    const dir = join(t.home, 'alt-config');
    const env = { ...t.env, CLAUDE_CONFIG_DIR: dir };
    const r = await run(install, ['--json'], env);
    expect(JSON.parse(r.stdout).settingsFile).toBe(join(dir, 'settings.json'));
    expect(existsSync(join(dir, 'settings.json'))).toBe(true);
    expect(existsSync(settingsPath())).toBe(false);
  });

  it('--dry-run reports the change and writes nothing', async () => {
    const r = await run(install, ['--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would write these hooks');
    expect(r.stdout).toContain('SessionStart: ');
    expect(existsSync(join(t.home, '.claude'))).toBe(false);
    const j = await run(install, ['--dry-run', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ changed: true, dryRun: true });
    expect(existsSync(settingsPath())).toBe(false);
  });

  it('replaces an outdated command (an install that pointed into a clone) in place', async () => {
    mkdirSync(join(t.home, '.claude'));
    const old = `'${process.execPath}' '${join(t.home, 'old', 'dist', 'cli.js')}'`;
    const cmds = ['hook session-start', 'hook session-end', 'guard user-prompt-submit', 'guard pre-tool-use', 'guard post-tool-use'].map(
      (a) => `env -u NODE_EXTRA_CA_CERTS ${old} ${a} # keyring-inject`,
    );
    const events = ['SessionStart', 'SessionEnd', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse'];
    const oldText = `${JSON.stringify({ hooks: Object.fromEntries(events.map((e, i) => [e, [{ hooks: [{ type: 'command', command: cmds[i], timeout: [30, 10, 10, 10, 30][i] }], ...(e === 'PreToolUse' ? { matcher: 'Read|Grep|Glob|Bash' } : e === 'PostToolUse' ? { matcher: '*' } : {}) }]])) }, null, 2)}\n`;
    writeFileSync(settingsPath(), oldText);
    const r = await run(install, ['--json']);
    expect(JSON.parse(r.stdout).changed).toBe(true);
    const text = readFileSync(settingsPath(), 'utf8');
    expect(text).not.toContain(join(t.home, 'old'));
    expect(text.split('\n').length).toBe(oldText.split('\n').length);
    const parsed = JSON.parse(text);
    expect(parsed.hooks.SessionStart).toHaveLength(1);
    expect(parsed.hooks.SessionStart[0].hooks[0].command).toBe(hookCommands({ script: launcher() }).sessionStart);
  });

  it('refuses invalid JSON with the file and position, never the content', async () => {
    mkdirSync(join(t.home, '.claude'));
    const secret = 'sk-live-never-echo-1234';
    writeFileSync(settingsPath(), `{\n  "env": {"TOKEN": "${secret}"},\n  oops\n}\n`);
    const before = readFileSync(settingsPath(), 'utf8');
    const err = await run(install, []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KiError);
    const message = (err as Error).message;
    expect(message).toContain(settingsPath());
    expect(message).toMatch(/line 3, column 3/);
    expect(message).not.toContain(secret);
    expect(readFileSync(settingsPath(), 'utf8')).toBe(before);
    const u = await run(uninstall, []).catch((e: unknown) => e);
    expect(u).toBeInstanceOf(KiError);
    expect((u as Error).message).not.toContain(secret);
  });

  it('refuses a settings.json with comments (Claude Code would skip the whole file)', async () => {
    mkdirSync(join(t.home, '.claude'));
    writeFileSync(settingsPath(), '{\n  // note\n  "model": "opus"\n}\n');
    await expect(run(install, [])).rejects.toThrow(/comment at line 2, column 3/);
  });

  it('refuses extra arguments and unknown options', async () => {
    await expect(run(install, ['extra'])).rejects.toThrow(/unexpected extra argument/);
    await expect(run(install, ['--force'])).rejects.toThrow(/unknown option --force/);
  });
});

describe('uninstall', () => {
  it('removes our hooks and cleans up, leaving {} when nothing else was there', async () => {
    await run(install, []);
    const r = await run(uninstall, []);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed 5 keyring-inject hooks from ${settingsPath()}`);
    expect(readFileSync(settingsPath(), 'utf8')).toBe('{}\n');
    const again = await run(uninstall, ['--json']);
    expect(JSON.parse(again.stdout)).toEqual({ settingsFile: settingsPath(), changed: false, dryRun: false, removed: 0, mcpServerRemoved: false });
    expect(JSON.parse(readFileSync(join(t.home, '.claude.json'), 'utf8')).mcpServers).toEqual({});
  });

  it('restores the original bytes of a file that had no hooks', async () => {
    mkdirSync(join(t.home, '.claude'));
    const original = '{\n  "permissions": {"allow": ["Bash(ls)"]},\n  "model": "opus"\n}\n';
    writeFileSync(settingsPath(), original);
    await run(install, []);
    await run(uninstall, []);
    expect(readFileSync(settingsPath(), 'utf8')).toBe(original);
  });

  it('does not create a missing settings.json', async () => {
    const r = await run(uninstall, []);
    expect(r.stdout).toContain('no keyring-inject hooks');
    expect(existsSync(join(t.home, '.claude'))).toBe(false);
  });

  it('--dry-run counts but writes nothing', async () => {
    await run(install, []);
    const before = readFileSync(settingsPath(), 'utf8');
    const r = await run(uninstall, ['--dry-run', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ settingsFile: settingsPath(), changed: true, dryRun: true, removed: 5, mcpServerRemoved: true });
    expect(readFileSync(settingsPath(), 'utf8')).toBe(before);
    const text = await run(uninstall, ['--dry-run']);
    expect(text.stdout).toContain('would remove 5 keyring-inject hooks');
  });
});

describe('plugin files', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

  it('.claude-plugin/plugin.json names the plugin and carries the package version', () => {
    const manifest = JSON.parse(readFileSync(join(root, '.claude-plugin', 'plugin.json'), 'utf8'));
    expect(manifest.name).toBe('keyring-inject');
    expect(manifest.name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    expect(manifest.version).toBe(pkg.version);
    expect(typeof manifest.description).toBe('string');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist/', 'hooks/', '.claude-plugin/']));
  });

  it('hooks/hooks.json declares the same hooks, portable: node through the one-line guard, no env -u', () => {
    const hooks = JSON.parse(readFileSync(join(root, 'hooks', 'hooks.json'), 'utf8')).hooks;
    expect(Object.keys(hooks).sort()).toEqual(['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'UserPromptSubmit']);
    const cmd = (args: string) => `node -e "${guardProgram('plugin')}" "\${CLAUDE_PLUGIN_ROOT}/plugin/run.cjs" ${args}`;
    expect(hooks.UserPromptSubmit).toEqual([{ hooks: [{ type: 'command', command: cmd('guard user-prompt-submit'), timeout: 10 }] }]);
    expect(hooks.PreToolUse).toEqual([{ matcher: '*', hooks: [{ type: 'command', command: cmd('guard pre-tool-use'), timeout: 10 }] }]);
    expect(hooks.PostToolUse).toEqual([{ matcher: '*', hooks: [{ type: 'command', command: cmd('guard post-tool-use'), timeout: 30 }] }]);
    expect(hooks.SessionStart).toEqual([{ hooks: [{ type: 'command', command: cmd('hook session-start'), timeout: 30 }] }]);
    expect(hooks.SessionEnd).toEqual([{ hooks: [{ type: 'command', command: cmd('hook session-end'), timeout: 10 }] }]);
  });
});

describe('the default guards: http hooks where the Claude Code the user runs is known to honour onFailure "block"', () => {
  const npmClient = (version: string, name?: string) => npmClientInstall(t.home, version, name);
  /** The native installer's layout: ~/.local/bin/claude -> ~/.local/share/claude/versions/<version> */
  function nativeClient(version: string): string {
    const versions = join(t.home, '.local/share/claude/versions');
    if (existsSync(join(versions, version))) return join(t.home, '.local/bin');
    mkdirSync(versions, { recursive: true });
    writeFileSync(join(versions, version), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    mkdirSync(join(t.home, '.local/bin'), { recursive: true });
    symlinkSync(join(versions, version), join(t.home, '.local/bin/claude'));
    return join(t.home, '.local/bin');
  }
  /** The older local install: ~/.claude/local/claude, a shell script beside its node_modules. */
  function localClient(version: string): string {
    const local = join(t.home, '.claude/local');
    mkdirSync(join(local, 'node_modules/@anthropic-ai/claude-code'), { recursive: true });
    writeFileSync(join(local, 'node_modules/@anthropic-ai/claude-code/package.json'), JSON.stringify({ name: '@anthropic-ai/claude-code', version }));
    writeFileSync(join(local, 'claude'), `#!/bin/sh\nexec "${local}/node_modules/.bin/claude" "$@"\n`, { mode: 0o755 });
    return local;
  }
  const empty = () => {
    const d = join(t.home, 'empty-bin');
    mkdirSync(d, { recursive: true });
    return d;
  };

  it('reads the version from an npm, a native or a local install, following symlinks; unknown, older or foreign clients get command hooks', () => {
    expect(clientVersionAt(join(npmClient('2.1.332'), 'claude'))).toBe('2.1.332');
    expect(clientVersionAt(join(nativeClient('2.1.340'), 'claude'))).toBe('2.1.340');
    expect(clientVersionAt(join(localClient('2.1.335'), 'claude'))).toBe('2.1.335');
    expect(chooseGuards(undefined, { PATH: `${empty()}:${npmClient('2.1.332')}` })).toBe('http');
    expect(chooseGuards(undefined, { PATH: npmClient('2.2.0') })).toBe('http');
    expect(chooseGuards(undefined, { PATH: npmClient('2.1.331') })).toBe('command');
    expect(chooseGuards(undefined, { PATH: npmClient('1.9.999') })).toBe('command');
    expect(chooseGuards(undefined, { PATH: npmClient('3.0.0', 'not-claude-code') })).toBe('command');
    expect(chooseGuards(undefined, { PATH: empty() })).toBe('command');
    expect(chooseGuards(undefined, {})).toBe('command');
    // The first claude on PATH is the one the user runs.
    expect(chooseGuards(undefined, { PATH: `${npmClient('2.1.300')}:${nativeClient('2.1.340')}` })).toBe('command');
    // The launcher runs $KEYRING_INJECT_CLAUDE_BIN: that one counts.
    expect(chooseGuards(undefined, { PATH: npmClient('2.1.300'), KEYRING_INJECT_CLAUDE_BIN: join(localClient('2.1.340'), 'claude') })).toBe('http');
    // Asked for, either way.
    expect(chooseGuards('command', { PATH: npmClient('2.1.400') })).toBe('command');
    expect(chooseGuards('http', { PATH: empty() })).toBe('http');
    expect(versionAtLeast('2.1.332-beta.1', '2.1.332')).toBe(true);
    expect(versionAtLeast('garbage', '2.1.332')).toBe(false);
  });

  it('install: http guards with a supported client on PATH; --guards command forces command hooks and removes the record; an unknown client gets command hooks', async () => {
    const env = { ...t.env, PATH: `${npmClient('2.1.332')}:${t.env.PATH}` };
    expect((await run(install, ['--no-mcp'], env)).code).toBe(0);
    const record = join(dataDir(), 'guard-service.json');
    const svc = JSON.parse(readFileSync(record, 'utf8')) as { port: number; token: string };
    const hooks = JSON.parse(readFileSync(settingsPath(), 'utf8')).hooks;
    for (const [event, path, timeout] of [
      ['UserPromptSubmit', 'user-prompt-submit', 10],
      ['PreToolUse', 'pre-tool-use', 10],
      ['PostToolUse', 'post-tool-use', 30],
    ] as const)
      expect(hooks[event][0].hooks).toEqual([
        { type: 'http', url: `http://127.0.0.1:${svc.port}/keyring-inject/guard/${path}`, headers: { 'X-Keyring-Inject-Token': svc.token }, timeout, onFailure: 'block' },
      ]);
    // The session hooks stay commands.
    expect(hooks.SessionStart[0].hooks[0].command).toContain('hook session-start # keyring-inject');

    expect((await run(install, ['--no-mcp', '--guards', 'command'], env)).code).toBe(0);
    const c = hookCommands({ script: launcher() });
    const after = JSON.parse(readFileSync(settingsPath(), 'utf8')).hooks;
    expect(after.PreToolUse[0].hooks).toEqual([{ type: 'command', command: c.preToolUse, timeout: 10 }]);
    expect(existsSync(record)).toBe(false);

    // Back to the default with the client gone from PATH: command hooks (unknown client).
    expect((await run(install, ['--no-mcp'], { ...t.env, PATH: empty() })).code).toBe(0);
    expect(JSON.parse(readFileSync(settingsPath(), 'utf8')).hooks.PreToolUse[0].hooks[0].type).toBe('command');
    expect(existsSync(record)).toBe(false);
  });
});
