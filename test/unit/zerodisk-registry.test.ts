// Registry fields of zero-disk mode: per-target mode and header targets, backward compatible.
import { describe, expect, it } from 'vitest';
import { emptyRegistry, headerOwnerOf, injectionRegistry, parseRegistry, withHeaderTargets, withKey, withServerMode } from '../../src/registry/registry.js';

const now = new Date('2026-01-01T00:00:00Z');

describe('registry: mode and header targets', () => {
  it('an old registry (no mode, no headers) reads as before; new fields round-trip', () => {
    const old = '{"version":1,"keys":{"gh":{"targets":[{"server":"s","env":"A","scope":"user"}],"backend":"memory","createdAt":"x"}}}';
    const reg = parseRegistry(old, 'f');
    expect(reg.keys.gh).toEqual({ targets: [{ server: 's', env: 'A', scope: 'user' }], backend: 'memory', createdAt: 'x' });
    let next = withServerMode(reg, { server: 's', scope: 'user' }, 'wrap');
    next = withHeaderTargets(next, 'gh', [{ server: 'api', header: 'Authorization', template: 'Bearer {value}', scope: 'local', project: '/p' }]);
    expect(parseRegistry(JSON.stringify(next), 'f')).toEqual(next);
    expect(next.keys.gh?.targets[0]?.mode).toBe('wrap');
    expect(withServerMode(next, { server: 's', scope: 'user' }, 'inject').keys.gh?.targets[0]).toEqual({ server: 's', env: 'A', scope: 'user' });
    expect(withServerMode(next, { server: 'other', scope: 'user' }, 'wrap')).toBe(next);
    expect(() => parseRegistry(old.replace('"scope":"user"', '"scope":"user","mode":"magic"'), 'f')).toThrow('unknown mode');
    expect(() => parseRegistry(old.replace('"createdAt"', '"headers":{},"createdAt"'), 'f')).toThrow('headers');
  });

  it('the engine view drops wrap targets; header owners are found case-insensitively', () => {
    let reg = withKey(
      emptyRegistry(),
      'a',
      [
        { server: 's', env: 'A', scope: 'user', mode: 'wrap' },
        { server: 't', env: 'A', scope: 'user' },
      ],
      'memory',
      now,
    );
    reg = withHeaderTargets(reg, 'a', [{ server: 'api', header: 'X-Key', template: '{value}', scope: 'user' }]);
    expect(injectionRegistry(reg).keys.a?.targets).toEqual([{ server: 't', env: 'A', scope: 'user' }]);
    expect(headerOwnerOf(reg, { server: 'api', header: 'x-key', template: '{value}', scope: 'user' })).toBe('a');
    expect(headerOwnerOf(reg, { server: 'api', header: 'x-key', template: '{value}', scope: 'local', project: '/p' })).toBeUndefined();
  });
});
