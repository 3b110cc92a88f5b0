import { describe, expect, it } from 'vitest';
import { emptyRegistry, ownerOf, parseRegistry, withKey, withoutKey, withRotated } from '../../src/registry/registry.js';
import { defaultEnvName } from '../../src/core/names.js';

const now = new Date('2026-01-01T00:00:00Z');

describe('registry operations', () => {
  it('adds keys, merges targets without duplicates, rotates and removes', () => {
    let reg = withKey(emptyRegistry(), 'gh', [{ server: 's', env: 'A', scope: 'user' }], 'memory', now);
    reg = withKey(
      reg,
      'gh',
      [
        { server: 's', env: 'A', scope: 'user' },
        { server: 't', env: 'A', scope: 'local', project: '/p' },
      ],
      'memory',
      now,
    );
    expect(reg.keys.gh?.targets).toHaveLength(2);
    expect(ownerOf(reg, { server: 't', env: 'A', scope: 'local', project: '/p' })).toBe('gh');
    expect(ownerOf(reg, { server: 't', env: 'A', scope: 'local', project: '/q' })).toBeUndefined();
    reg = withRotated(reg, 'gh', new Date('2026-02-01T00:00:00Z'));
    expect(reg.keys.gh?.rotatedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(withoutKey(reg, 'gh').keys).toEqual({});
  });

  it('round-trips through JSON and rejects damaged shapes', () => {
    const reg = withKey(emptyRegistry(), 'gh', [{ server: 's', env: 'A', scope: 'local', project: '/p' }], 'secret-service', now);
    expect(parseRegistry(JSON.stringify(reg), 'f')).toEqual(reg);
    expect(() => parseRegistry('{', 'f')).toThrow('not valid JSON');
    expect(() => parseRegistry('{"version":2,"keys":{}}', 'f')).toThrow('expected');
    expect(() => parseRegistry('{"version":1,"keys":{"a":{"targets":[{"server":"s","env":"A","scope":"local"}],"createdAt":"x"}}}', 'f')).toThrow('has no project');
  });

  it('suggests an env var name from a key name', () => {
    expect(defaultEnvName('github-token')).toBe('GITHUB_TOKEN');
    expect(defaultEnvName('1pass')).toBe('_1PASS');
  });
});
