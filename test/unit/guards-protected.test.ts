// PreToolUse rules (src/guards/protected.ts): pure decisions from a tool's input.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claudePaths } from '../../src/core/paths.js';
import { checkPreToolUse, resolveToolPath, type PreToolContext } from '../../src/guards/protected.js';

const root = mkdtempSync(join(tmpdir(), 'ki-guard-'));
const home = join(root, 'home');
const project = join(root, 'project');
mkdirSync(join(home, '.claude', 'backups'), { recursive: true });
mkdirSync(project, { recursive: true });
writeFileSync(join(home, '.claude.json'), '{}');
symlinkSync(join(home, '.claude.json'), join(project, 'innocent.json'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function ctx(over: Partial<PreToolContext> = {}): PreToolContext {
  return { paths: claudePaths({ HOME: home }), home, cwd: project, injected: true, hasKeys: true, service: 'keyring-inject', platform: 'linux', ...over };
}
const rule = (tool: string, input: Record<string, unknown>, c = ctx()) => checkPreToolUse(tool, input, c)?.rule;

describe('resolveToolPath', () => {
  it('expands ~ and $HOME and resolves against cwd', () => {
    expect(resolveToolPath('~/.claude.json', home, project)).toBe(join(home, '.claude.json'));
    expect(resolveToolPath('$HOME/.claude.json', home, project)).toBe(join(home, '.claude.json'));
    expect(resolveToolPath('${HOME}/x', home, project)).toBe(join(home, 'x'));
    expect(resolveToolPath('../home/.claude.json', home, project)).toBe(join(home, '.claude.json'));
    expect(resolveToolPath('a/./b/../c', home, project)).toBe(join(project, 'a', 'c'));
  });
});

describe('Read / Grep / Glob while keys are injected', () => {
  it('denies the config file in every spelling, its siblings, backups and our state dir', () => {
    expect(rule('Read', { file_path: join(home, '.claude.json') })).toBe('config-file');
    expect(rule('Read', { file_path: '~/.claude.json' })).toBe('config-file');
    expect(rule('Read', { file_path: '../home/.claude.json' })).toBe('config-file');
    expect(rule('Read', { file_path: join(project, 'innocent.json') })).toBe('config-file'); // a symlink to it
    expect(rule('Read', { file_path: join(home, '.claude.json.backup') })).toBe('config-file');
    expect(rule('Read', { file_path: join(home, '.claude.json.tmp.123.abcdef') })).toBe('config-file');
    expect(rule('Read', { file_path: join(home, '.claude', 'backups', '.claude.json.backup.1') })).toBe('config-backups');
    expect(rule('Grep', { pattern: 'TOKEN', path: join(home, '.claude', 'backups') })).toBe('config-backups');
    expect(rule('Glob', { pattern: '*', path: '~/.claude/backups' })).toBe('config-backups');
    expect(rule('Glob', { pattern: `${home}/.claude/backups/*.json` })).toBe('config-backups');
    expect(rule('Glob', { pattern: '.claude.json*', path: home })).toBe('config-file');
    expect(rule('Grep', { pattern: 'x', path: home, glob: '.claude.json' })).toBe('config-file');
    expect(rule('Read', { file_path: join(home, '.claude', 'keyring-inject', 'state.json') })).toBe('state-dir');
  });

  it('lets other files through, and everything when nothing is injected', () => {
    expect(rule('Read', { file_path: join(home, '.claude', 'settings.json') })).toBeUndefined();
    expect(rule('Read', { file_path: join(project, 'README.md') })).toBeUndefined();
    expect(rule('Read', { file_path: join(home, '.claude.jsonx', 'a') })).toBeUndefined();
    expect(rule('Grep', { pattern: '.claude.json', path: project })).toBeUndefined(); // searching FOR the name is fine
    expect(rule('Grep', { pattern: 'x', path: home })).toBeUndefined(); // an ancestor: PostToolUse masks what it finds
    expect(rule('Read', { file_path: join(home, '.claude.json') }, ctx({ injected: false }))).toBeUndefined();
    expect(rule('Read', { file_path: join(home, '.claude.json') }, ctx({ injected: false, hasKeys: false }))).toBeUndefined();
  });

  it('follows CLAUDE_CONFIG_DIR and folds case on case-insensitive platforms', () => {
    const dir = join(root, 'cfg');
    const c = ctx({ paths: claudePaths({ HOME: home, CLAUDE_CONFIG_DIR: dir }) });
    expect(rule('Read', { file_path: join(dir, '.claude.json') }, c)).toBe('config-file');
    expect(rule('Read', { file_path: join(home, '.claude.json') }, c)).toBeUndefined();
    expect(rule('Read', { file_path: join(dir, 'backups', 'x') }, c)).toBe('config-backups');
    expect(rule('Read', { file_path: join(home, '.CLAUDE.json') }, ctx({ platform: 'darwin' }))).toBe('config-file');
    expect(rule('Read', { file_path: join(home, '.CLAUDE.json') })).toBeUndefined();
  });

  it("denies another process's environment whenever keys are registered", () => {
    expect(rule('Read', { file_path: '/proc/1234/environ' }, ctx({ injected: false }))).toBe('process-env');
    expect(rule('Read', { file_path: '/proc/self/task/7/environ' }, ctx({ injected: false }))).toBe('process-env');
    expect(rule('Read', { file_path: '/proc/1234/environ' }, ctx({ injected: false, hasKeys: false }))).toBeUndefined();
  });
});

describe('Bash', () => {
  const bash = (command: string, c = ctx()) => rule('Bash', { command, description: 'x' }, c);

  it('denies commands that mention the config file, its backups or our state dir', () => {
    for (const cmd of [
      'cat ~/.claude.json',
      'cat $HOME/.claude.json',
      'cat "${HOME}/.claude.json"',
      `jq .mcpServers ${home}/.claude.json`,
      'cd && cat .claude.json',
      "cat ~/'.claude'.json",
      'cat ~/.claude.json.backup',
      'python3 -c "print(open(\'/x/.claude.json\').read())"',
    ])
      expect(bash(cmd), cmd).toBe('config-file');
    for (const cmd of ['ls ~/.claude/backups', `cat ${home}/.claude/backups/*`, 'tail $CLAUDE_CONFIG_DIR/backups/x']) {
      expect(bash(cmd, ctx({ paths: claudePaths({ HOME: home }) })), cmd).toBe('config-backups');
    }
    expect(bash('cat ~/.claude/keyring-inject/state.json')).toBe('state-dir');
  });

  it("denies 'claude mcp get|list' while keys are injected", () => {
    for (const cmd of ['claude mcp list', 'claude mcp get github', 'npx claude --debug mcp list', '/usr/local/bin/claude mcp get x | head', 'echo; claude  mcp   list']) {
      expect(bash(cmd), cmd).toBe('mcp-env-print');
    }
    for (const cmd of ['claude mcp add x -- y', 'claude --version', 'echo claude mcp list is a command'.replace('claude mcp list', 'the-claude-mcp-list')]) {
      expect(bash(cmd), cmd).toBeUndefined();
    }
    expect(bash('claude mcp list', ctx({ injected: false }))).toBeUndefined();
  });

  it('denies reading process environments and printing stored keys while keys are registered', () => {
    const c = ctx({ injected: false });
    for (const cmd of ['cat /proc/1234/environ', "tr '\\0' '\\n' < /proc/$(pgrep -f server)/environ", 'ps eww', 'ps auxe | grep node', 'sudo ps e -p 1', 'ps -E']) {
      expect(bash(cmd, c), cmd).toBe('process-env');
    }
    expect(bash('keyring-inject run -- env', c)).toBe('model-run');
    for (const cmd of ['npx keyring-inject headers github', 'secret-tool lookup service keyring-inject username gh']) {
      expect(bash(cmd, c), cmd).toBe('keyring-read');
    }
    // Our bundle by path counts as keyring-inject; another project's cli.js does not.
    const own = ctx({ injected: false, cliPaths: ['/opt/ki/dist/cli.js'] });
    expect(bash("node '/opt/ki/dist/cli.js' exec --server s -- env", own)).toBe('keyring-read');
    expect(bash('node ./dist/cli.js run build', own)).toBeUndefined();
    for (const cmd of [
      'ps aux',
      'ps -ef',
      'ps -C node -o pid',
      'python -c "import os; print(os.environ)"',
      'keyring-inject list',
      'keyring-inject status',
      'secret-tool lookup service other username x',
      'ls -la',
      'cat README.md',
    ]) {
      expect(bash(cmd, c), cmd).toBeUndefined();
    }
    expect(bash('ps eww', ctx({ injected: false, hasKeys: false }))).toBeUndefined();
  });

  it('gives the model a reason that says what to do instead and names no value', () => {
    const d = checkPreToolUse('Bash', { command: 'cat ~/.claude.json' }, ctx());
    expect(d?.reason).toMatch(/^Blocked by keyring-inject: ~\/\.claude\.json is Claude Code's config file/);
    expect(d?.reason).toContain('injected by keyring-inject');
    expect(d?.reason).toContain('ask the user');
    expect(checkPreToolUse('Bash', { command: 'claude mcp list' }, ctx())?.reason).toContain("'claude mcp get' and 'claude mcp list' print");
  });

  it('ignores inputs it does not know', () => {
    expect(rule('Bash', {})).toBeUndefined();
    expect(rule('WebFetch', { url: 'https://example.com/.claude.json' })).toBeUndefined();
    expect(rule('Edit', { file_path: join(home, '.claude.json') })).toBe('config-file'); // any tool with a file_path
  });
});

// Issue 14.1: with the keyring locked, every guard used to fall back to key shapes only.
describe('locking, replacing or stopping the secret store (issue 14.1)', () => {
  const bash = (command: string, c = ctx({ injected: false })) => rule('Bash', { command, description: 'x' }, c);

  it('is denied whenever keys are registered, in the usual spellings', () => {
    for (const cmd of [
      'secret-tool lock --collection=login',
      'secret-tool lock',
      '/usr/bin/secret-tool  lock',
      'dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login',
      'gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets --method org.freedesktop.Secret.Service.LockService',
      'busctl --user call org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.Secret.Service Lock ao 1 /org/freedesktop/secrets/aliases/default',
      'qdbus org.kde.kwalletd5 /modules/kwalletd5 closeAllWallets',
      'gnome-keyring-daemon --replace --components=secrets',
      'gnome-keyring-daemon -r -d',
      'echo x | gnome-keyring-daemon --unlock --replace',
      'security lock-keychain ~/Library/Keychains/login.keychain-db',
      'security lock-keychain -a',
      'pkill gnome-keyring',
      'pkill -f gnome-keyring-daemon',
      'killall -9 gnome-keyring-daemon',
      'kill $(pidof gnome-keyring-daemon)',
      'kill -STOP `pgrep gnome-keyring`',
      'systemctl --user stop gnome-keyring-daemon.service',
      'systemctl --user restart gnome-keyring-daemon.socket',
      'pkill kwalletd6',
      'keyctl purge user',
      'python3 -c "import secretstorage as s; s.get_default_collection(s.dbus_init()).lock()"',
    ]) {
      expect(bash(cmd), cmd).toBe('keyring-lock');
      expect(bash(cmd, ctx()), cmd).toBe('keyring-lock');
    }
    expect(checkPreToolUse('Bash', { command: 'secret-tool lock' }, ctx())?.reason).toMatch(/^Blocked by keyring-inject: this command would lock, replace or stop the OS keyring/);
  });

  it('lets ordinary keyring and process commands through, and everything without keys', () => {
    for (const cmd of [
      'secret-tool store --label x service other username y',
      'gnome-keyring-daemon --version',
      'pgrep gnome-keyring',
      'ps aux | grep keyring',
      'kill 1234',
      'systemctl --user status gnome-keyring-daemon',
      'security list-keychains',
      'keyctl show @u',
      'git log --grep lock',
    ]) {
      expect(bash(cmd), cmd).toBeUndefined();
    }
    expect(bash('secret-tool lock', ctx({ injected: false, hasKeys: false }))).toBeUndefined();
  });
});

// Issue 14.9: other keyring CLIs print our keys too.
describe('keyring CLIs that print a stored key (issue 14.9)', () => {
  const bash = (command: string) => rule('Bash', { command, description: 'x' }, ctx({ injected: false }));
  it('are denied for our service, and secret-tool searches that would include it', () => {
    for (const cmd of [
      'keyring get keyring-inject github',
      'python3 -m keyring get keyring-inject github',
      "python3 -c \"import keyring; print(keyring.get_password('keyring-inject', 'gh'))\"",
      'secret-tool search --all username github',
      'secret-tool search --all --unlock xdg:schema org.freedesktop.Secret.Generic',
      'secret-tool lookup username github',
      'kwallet-query -r github kdewallet -f keyring-inject',
      'security dump-keychain -d login.keychain',
      'security find-generic-password -s keyring-inject -w',
    ])
      expect(bash(cmd), cmd).toBe('keyring-read');
    for (const cmd of ['keyring get other-service x', 'secret-tool lookup service other username x', 'secret-tool search service other-app user x', 'pip install keyring']) {
      expect(bash(cmd), cmd).toBeUndefined();
    }
  });
});

// Issue 14.9: PreToolUse used to look at Read, Grep, Glob and Bash only.
describe('every tool that can read files or run commands (issue 14.9)', () => {
  it('checks the paths and commands of MCP tools, PowerShell, Monitor, LSP, REPL and unknown tools', () => {
    expect(rule('mcp__filesystem__read_file', { path: join(home, '.claude.json') })).toBe('config-file');
    expect(rule('mcp__filesystem__read_multiple_files', { paths: [join(project, 'a.txt'), '~/.claude.json'] })).toBe('config-file');
    expect(rule('mcp__fs__search', { root: home, options: { include: ['.claude/backups/**'] } })).toBe('config-backups');
    expect(rule('mcp__shell__execute_command', { command: 'cat ~/.claude.json' })).toBe('config-file');
    expect(rule('mcp__shell__run', { cmd: 'claude mcp list' })).toBe('mcp-env-print');
    expect(rule('mcp__shell__run', { cmd: 'secret-tool lock' }, ctx({ injected: false }))).toBe('keyring-lock');
    expect(rule('mcp__shell__run', { cmd: 'cat /proc/1/environ' }, ctx({ injected: false }))).toBe('process-env');
    expect(rule('PowerShell', { command: 'Get-Content ~/.claude.json' })).toBe('config-file');
    expect(rule('Monitor', { command: 'tail -f ~/.claude.json' })).toBe('config-file');
    expect(rule('REPL', { code: "require('fs').readFileSync(require('os').homedir() + '/.claude.json')" })).toBe('config-file');
    expect(rule('SomeFutureTool', { target: 'file://' + join(home, '.claude.json') })).toBe('config-file');
    // Harmless inputs of the same tools pass.
    expect(rule('mcp__filesystem__read_file', { path: join(project, 'src', 'a.ts') })).toBeUndefined();
    expect(rule('mcp__github__create_issue', { title: 'bug', body: 'the build fails' })).toBeUndefined();
    expect(rule('TodoWrite', { todos: [{ content: 'read ~/.claude.json', status: 'pending' }] })).toBeUndefined();
  });

  it('treats Edit, MultiEdit, Write and NotebookEdit on the config as reads, and WebFetch of a file:// URL as a Read', () => {
    for (const tool of ['Edit', 'MultiEdit', 'Write', 'NotebookEdit']) {
      expect(rule(tool, { file_path: '~/.claude.json', old_string: 'a', new_string: 'b', content: 'x' }), tool).toBe('config-file');
    }
    expect(rule('NotebookEdit', { notebook_path: join(home, '.claude', 'backups', 'x.ipynb') })).toBe('config-backups');
    expect(rule('WebFetch', { url: `file://${home}/.claude.json`, prompt: 'show' })).toBe('config-file');
    expect(rule('WebFetch', { url: 'file:///proc/1/environ', prompt: 'show' }, ctx({ injected: false }))).toBe('process-env');
  });
});

// Issue 14.4 (the guard's part): the model must not damage our state or registry, nor approve a
// project file for the user.
describe("writes to keyring-inject's data dir", () => {
  const dataDir = join(home, '.claude', 'keyring-inject');
  it('are denied for every writing tool even when nothing is injected or registered; so is keyring-inject allow', () => {
    const none = ctx({ injected: false, hasKeys: false });
    for (const tool of ['Write', 'Edit', 'MultiEdit', 'NotebookEdit']) {
      expect(rule(tool, { file_path: join(dataDir, 'state.json'), content: '' }, none), tool).toBe('state-dir');
      expect(rule(tool, { file_path: join(dataDir, 'approvals.json'), content: '{}' }, none), tool).toBe('state-dir');
    }
    const keys = ctx({ injected: false });
    for (const cmd of [': > ~/.claude/keyring-inject/state.json', `rm -rf ${dataDir}`, 'cp x ~/.claude/keyring-inject/registry.json']) {
      expect(rule('Bash', { command: cmd }, keys), cmd).toBe('state-dir');
    }
    for (const cmd of ['keyring-inject allow', 'keyring-inject allow ../other-repo', 'npx keyring-inject allow --json']) {
      expect(rule('Bash', { command: cmd }, none), cmd).toBe('approval');
    }
    expect(rule('Bash', { command: 'keyring-inject allow --revoke' }, none)).toBeUndefined();
    expect(checkPreToolUse('Bash', { command: 'keyring-inject allow' }, none)?.reason).toContain('ask the user to run');
    expect(rule('Read', { file_path: join(dataDir, 'registry.json') }, keys)).toBeUndefined(); // reading names only is fine
  });
});
