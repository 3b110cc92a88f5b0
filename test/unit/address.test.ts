import { describe, expect, it } from 'vitest';
import { describeEnv, describeHeader, describeServer, envAddressOf, sameEnv, sameHeader, sameServer, scopeArgs, serverFromFlags } from '../../src/claude/address.js';

describe('the address of a server entry, env var or header', () => {
  const user = { server: 'github', scope: 'user' as const };
  const local = { server: 'github', scope: 'local' as const, project: '/p' };

  it('reads in messages as it always has', () => {
    expect(describeServer(user)).toBe('github (user)');
    expect(describeServer(local)).toBe('github (local: /p)');
    expect(describeEnv({ ...user, env: 'GITHUB_TOKEN' })).toBe('github.env.GITHUB_TOKEN (user)');
    expect(describeEnv({ ...local, env: 'GITHUB_TOKEN' })).toBe('github.env.GITHUB_TOKEN (local: /p)');
    expect(describeHeader({ ...user, header: 'Authorization' })).toBe('github.headers.Authorization (user)');
    expect(describeHeader({ ...local, header: 'Authorization' })).toBe('github.headers.Authorization (local: /p)');
  });

  it('compares the server entry: scope, name, and the project only in local scope', () => {
    expect(sameServer(user, { ...user })).toBe(true);
    expect(sameServer(user, local)).toBe(false);
    expect(sameServer(local, { ...local, project: '/q' })).toBe(false);
    expect(sameServer(local, { ...local, server: 'GitHub' })).toBe(false);
    expect(sameEnv({ ...local, env: 'A' }, { ...local, env: 'A' })).toBe(true);
    expect(sameEnv({ ...local, env: 'A' }, { ...local, env: 'a' })).toBe(false);
    // HTTP header names are case-insensitive; env var names are not.
    expect(sameHeader({ ...user, header: 'Authorization' }, { ...user, header: 'authorization' })).toBe(true);
    expect(sameHeader({ ...user, header: 'Authorization' }, { ...local, header: 'Authorization' })).toBe(false);
  });

  it('drops what a wider record carries', () => {
    expect(envAddressOf({ ...local, env: 'A', mode: 'wrap', key: 'k' } as never)).toEqual({ server: 'github', env: 'A', scope: 'local', project: '/p' });
    expect(Object.keys(envAddressOf({ ...user, env: 'A' }))).toEqual(['server', 'env', 'scope']);
  });

  it('reads the flags that name a server, and writes them back', () => {
    expect(serverFromFlags('/home/u', 'github', undefined, undefined)).toEqual(user);
    const parsed = serverFromFlags('/', 'github', 'local', '/tmp');
    expect(parsed.scope).toBe('local');
    expect(typeof parsed.project).toBe('string');
    expect(scopeArgs(parsed)).toEqual(['--scope', 'local', '--project', parsed.project]);
    expect(scopeArgs(user)).toEqual([]);
    expect(() => serverFromFlags('/', 'github', 'user', '/tmp')).toThrow('--project goes with --scope local');
    expect(() => serverFromFlags('/', 'github', 'global', undefined)).toThrow('--scope must be user or local');
  });
});
