// The environment variable a server reads (issue 18, item 2): from its config entry, from its
// package, or offered (not assumed) for a server only named like a well-known one.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KNOWN_SERVERS, suggestEnv } from '../../src/core/server-env.js';
import { inProcessCli } from '../helpers/in-process.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

describe('suggestEnv', () => {
  it('knows the documented variable of the official GitHub server, by package or image', () => {
    for (const args of [
      ['-y', '@modelcontextprotocol/server-github'],
      ['-y', '@modelcontextprotocol/server-github@2025.4.8'],
      ['run', '-i', '--rm', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'ghcr.io/github/github-mcp-server:latest'],
    ]) {
      expect(suggestEnv({ server: 'gh', command: 'npx', args }, 'gh')).toMatchObject({ env: 'GITHUB_PERSONAL_ACCESS_TOKEN', sure: true });
    }
    expect(suggestEnv({ server: 'pay', command: 'npx', args: ['-y', '@stripe/mcp', '--tools=all'] }, 'k')).toMatchObject({ env: 'STRIPE_SECRET_KEY', sure: true });
    expect(suggestEnv({ server: 'x', command: 'npx', args: ['@sentry/mcp-server@latest'] }, 'k')).toMatchObject({ env: 'SENTRY_ACCESS_TOKEN', sure: true });
    // A package that merely starts with a known name is not it.
    expect(suggestEnv({ server: 'x', command: 'npx', args: ['@stripe/mcp-fork'] }, 'k').sure).toBe(false);
  });

  it('a server only named like a well-known one gets the documented variable as a suggestion to confirm', () => {
    expect(suggestEnv({ server: 'github', command: 'my-own-github-thing' }, 'github')).toEqual({ env: 'GITHUB_PERSONAL_ACCESS_TOKEN', sure: false, why: expect.stringContaining('GitHub') });
    expect(suggestEnv({ server: 'slack-work' }, 'k')).toMatchObject({ env: 'SLACK_BOT_TOKEN', sure: false });
    expect(suggestEnv({ server: 'notion' }, 'k')).toMatchObject({ env: 'NOTION_TOKEN', sure: false });
    expect(suggestEnv({ server: 'linear' }, 'k')).toMatchObject({ env: 'LINEAR_API_KEY', sure: false });
  });

  it('the config entry wins: its one key-like variable is the answer', () => {
    expect(suggestEnv({ server: 'github', envNames: ['GITHUB_TOKEN', 'LOG_LEVEL'] }, 'gh')).toMatchObject({ env: 'GITHUB_TOKEN', sure: true });
    expect(suggestEnv({ server: 'github', envNames: ['GITHUB_PERSONAL_ACCESS_TOKEN', 'OTHER_TOKEN'] }, 'gh')).toMatchObject({ env: 'GITHUB_PERSONAL_ACCESS_TOKEN', sure: true });
    // Two candidates and nothing known: ask.
    expect(suggestEnv({ server: 'crm', envNames: ['CRM_API_KEY', 'CRM_SECRET'] }, 'crm')).toMatchObject({ env: 'CRM_API_KEY', sure: false });
  });

  it('falls back to the key name, unsure', () => {
    expect(suggestEnv({ server: 'crm' }, 'crm-token')).toEqual({ env: 'CRM_TOKEN', sure: false, why: 'from the key name' });
  });

  it('every table entry is a valid variable name and has a way to be recognised', () => {
    for (const k of KNOWN_SERVERS) {
      expect(k.env).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(k.names.length + k.packages.length).toBeGreaterThan(0);
    }
  });
});

describe('add without --env', () => {
  let t: TempHome;
  beforeEach(() => {
    t = makeTempHome();
    writeFileSync(join(t.home, '.claude.json'), JSON.stringify({ mcpServers: { github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'] }, mine: { command: 'mine' } } }));
  });
  afterEach(() => t.cleanup());

  it('maps the key to the variable the server reads, and says so', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['add', 'github', '--server', 'github', '--stdin'], 'v-123456');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('environment variable: GITHUB_PERSONAL_ACCESS_TOKEN (the variable the GitHub MCP server documents; --env to choose another)');
    const reg = JSON.parse(readFileSync(join(t.home, '.claude', 'keyring-inject', 'registry.json'), 'utf8'));
    expect(reg.keys.github.targets).toEqual([{ server: 'github', env: 'GITHUB_PERSONAL_ACCESS_TOKEN', scope: 'user' }]);
  });

  it('does not guess for an unknown server without a terminal', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['add', 'k', '--server', 'mine', '--stdin'], 'v-123456');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing --env');
  });
});
