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
    ]) expect(bash(cmd), cmd).toBe('config-file');
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
    for (const cmd of ['keyring-inject run -- env', 'npx keyring-inject headers github', 'secret-tool lookup service keyring-inject username gh']) {
      expect(bash(cmd, c), cmd).toBe('keyring-read');
    }
    // Our bundle by path counts as keyring-inject; another project's cli.js does not.
    const own = ctx({ injected: false, cliPaths: ['/opt/ki/dist/cli.js'] });
    expect(bash("node '/opt/ki/dist/cli.js' exec --server s -- env", own)).toBe('keyring-read');
    expect(bash('node ./dist/cli.js run build', own)).toBeUndefined();
    for (const cmd of ['ps aux', 'ps -ef', 'ps -C node -o pid', 'python -c "import os; print(os.environ)"', 'keyring-inject list', 'keyring-inject status', 'secret-tool lookup service other username x', 'ls -la', 'cat README.md']) {
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

  it('ignores tools and inputs it does not know', () => {
    expect(rule('Bash', {})).toBeUndefined();
    expect(rule('WebFetch', { url: 'https://example.com/.claude.json' })).toBeUndefined();
    expect(rule('Edit', { file_path: join(home, '.claude.json') })).toBe('config-file'); // any tool with a file_path
  });
});
