import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hookCommands, makeInstallCommand } from '../../src/cli/commands/install.js';
import { shQuote } from '../../src/core/shell.js';
import { uninstall } from '../../src/cli/commands/uninstall.js';
import { KiError } from '../../src/core/errors.js';
import { isOurCommand } from '../../src/install/settings-hooks.js';
import { makeContext } from '../helpers/context.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const distCli = join(root, 'dist', 'cli.js');
const install = makeInstallCommand({ cliPath: distCli });

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

const settingsPath = () => join(t.home, '.claude', 'settings.json');

async function run(cmd: { run: typeof install.run }, argv: string[], env = t.env) {
  const c = makeContext(env, t.home);
  const code = await cmd.run(argv, c.ctx);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

describe('hookCommands', () => {
  it('names node and the real path of the CLI, quoted, and ends with the marker', () => {
    const c = hookCommands({ cliPath: distCli });
    const real = realpathSync(distCli);
    // Started without NODE_EXTRA_CA_CERTS: hooks do no network I/O and the variable costs ~40-65 ms.
    expect(c.sessionStart).toBe(`env -u NODE_EXTRA_CA_CERTS ${shQuote(process.execPath)} ${shQuote(real)} hook session-start # keyring-inject`);
    expect(c.sessionEnd).toBe(`env -u NODE_EXTRA_CA_CERTS ${shQuote(process.execPath)} ${shQuote(real)} hook session-end # keyring-inject`);
    expect(isOurCommand(c.sessionStart) && isOurCommand(c.sessionEnd)).toBe(true);
    for (const [cmd, event] of [[c.userPromptSubmit, 'user-prompt-submit'], [c.preToolUse, 'pre-tool-use'], [c.postToolUse, 'post-tool-use']] as const) {
      expect(cmd).toBe(`env -u NODE_EXTRA_CA_CERTS ${shQuote(process.execPath)} ${shQuote(real)} guard ${event} # keyring-inject`);
    }
  });

  it('resolves a symlinked CLI (as npm bin links are) to its target', () => {
    const link = join(t.home, 'keyring-inject');
    symlinkSync(distCli, link);
    expect(hookCommands({ cliPath: link }).sessionStart).toContain(shQuote(realpathSync(distCli)));
  });

  it('quotes paths so /bin/sh passes them through unchanged', () => {
    for (const word of ["it's here", 'a b', '$HOME `id` $(id) "q" \\ ; & | * ?', "''", '']) {
      expect(execFileSync('/bin/sh', ['-c', `printf '%s' ${shQuote(word)}`], { encoding: 'utf8' })).toBe(word);
    }
  });

  it('gives /bin/sh a command that runs the CLI with exactly "hook session-start|session-end"', () => {
    const dir = join(t.home, "odd dir's $x");
    mkdirSync(dir);
    const fake = join(dir, 'cli.mjs');
    writeFileSync(fake, 'process.stdout.write(JSON.stringify(process.argv.slice(2)));\n');
    const c = hookCommands({ cliPath: fake });
    expect(JSON.parse(execFileSync('/bin/sh', ['-c', c.sessionStart], { encoding: 'utf8' }))).toEqual(['hook', 'session-start']);
    expect(JSON.parse(execFileSync('/bin/sh', ['-c', c.sessionEnd], { encoding: 'utf8' }))).toEqual(['hook', 'session-end']);
    expect(JSON.parse(execFileSync('/bin/sh', ['-c', c.postToolUse ?? ''], { encoding: 'utf8' }))).toEqual(['guard', 'post-tool-use']);
  });

  it('fails with one line when the CLI path does not exist', () => {
    expect(() => hookCommands({ cliPath: join(t.home, 'nope.js') })).toThrow(KiError);
  });
});

describe('install', () => {
  it('creates the config dir and a 0600 settings.json with the session hooks and the guards', async () => {
    const r = await run(install, ['--json']);
    expect(r.code).toBe(0);
    const c = hookCommands({ cliPath: distCli });
    expect(JSON.parse(r.stdout)).toEqual({
      settingsFile: settingsPath(),
      changed: true,
      dryRun: false,
      hooks: { SessionStart: c.sessionStart, SessionEnd: c.sessionEnd, UserPromptSubmit: c.userPromptSubmit, PreToolUse: c.preToolUse, PostToolUse: c.postToolUse },
      mcpServer: { configFile: join(t.home, '.claude.json'), name: 'keyring-inject', changed: true, command: [process.execPath, distCli, 'mcp'] },
    });
    // The MCP server of issue 16, as `claude mcp add --scope user` would write it.
    expect(JSON.parse(readFileSync(join(t.home, '.claude.json'), 'utf8')).mcpServers).toEqual({ 'keyring-inject': { type: 'stdio', command: process.execPath, args: [distCli, 'mcp'], env: {} } });
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

  it('replaces an outdated command (moved install) in place', async () => {
    const old = join(t.home, 'old', 'cli.js');
    mkdirSync(join(t.home, 'old'));
    writeFileSync(old, '');
    await run(makeInstallCommand({ cliPath: old }), []);
    const oldText = readFileSync(settingsPath(), 'utf8');
    expect(oldText).toContain(old);
    const r = await run(install, ['--json']);
    expect(JSON.parse(r.stdout).changed).toBe(true);
    const text = readFileSync(settingsPath(), 'utf8');
    expect(text).not.toContain(old);
    expect(text.split('\n').length).toBe(oldText.split('\n').length);
    const parsed = JSON.parse(text);
    expect(parsed.hooks.SessionStart).toHaveLength(1);
    expect(parsed.hooks.SessionStart[0].hooks[0].command).toBe(hookCommands({ cliPath: distCli }).sessionStart);
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

  it('hooks/hooks.json declares the same hooks against dist/cli.js', () => {
    const hooks = JSON.parse(readFileSync(join(root, 'hooks', 'hooks.json'), 'utf8')).hooks;
    expect(Object.keys(hooks).sort()).toEqual(['PostToolUse', 'PreToolUse', 'SessionEnd', 'SessionStart', 'UserPromptSubmit']);
    const guard = (event: string) => `env -u NODE_EXTRA_CA_CERTS node "\${CLAUDE_PLUGIN_ROOT}/dist/cli.js" guard ${event}`;
    expect(hooks.UserPromptSubmit).toEqual([{ hooks: [{ type: 'command', command: guard('user-prompt-submit'), timeout: 10 }] }]);
    expect(hooks.PreToolUse).toEqual([{ matcher: '*', hooks: [{ type: 'command', command: guard('pre-tool-use'), timeout: 10 }] }]);
    expect(hooks.PostToolUse).toEqual([{ matcher: '*', hooks: [{ type: 'command', command: guard('post-tool-use'), timeout: 30 }] }]);
    expect(hooks.SessionStart).toEqual([{ hooks: [{ type: 'command', command: 'env -u NODE_EXTRA_CA_CERTS node "${CLAUDE_PLUGIN_ROOT}/dist/cli.js" hook session-start', timeout: 30 }] }]);
    expect(hooks.SessionEnd).toEqual([{ hooks: [{ type: 'command', command: 'env -u NODE_EXTRA_CA_CERTS node "${CLAUDE_PLUGIN_ROOT}/dist/cli.js" hook session-end', timeout: 10 }] }]);
    expect(existsSync(distCli)).toBe(true);
  });
});
