import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';

describe('parseArgs', () => {
  const spec = { server: { type: 'string', multiple: true }, env: { type: 'string' }, json: { type: 'boolean' } } as const;

  it('parses flags, repeated flags, = forms and positionals', () => {
    const p = parseArgs(['NAME', '--server', 'a', '--server=b', '--env=X', '--json'], spec);
    expect(p.positionals).toEqual(['NAME']);
    expect(p.flags).toEqual({ server: ['a', 'b'], env: 'X', json: true });
  });

  it('never repeats an unknown argument value in its error', () => {
    const secret = 'kitest-abc123';
    for (const argv of [[`--value=${secret}`], [`--${secret}`], [`-x${secret}`], ['--env', 'A', '--env', secret]]) {
      let message = '';
      try {
        parseArgs(argv, spec);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(secret);
    }
  });

  it('refuses a key-shaped flag value or positional, naming the argument, never the value (issue 14.3)', () => {
    const shaped = `ghp_${'aB3'.repeat(12)}`; // GitHub token shape, made up here
    const cases: [string[], string][] = [
      [['--env', `X=${shaped}`], 'the value of --env looks like a GitHub token'],
      [[`--server=${shaped}`], 'the value of --server looks like a GitHub token'],
      [['NAME', shaped], 'argument 2 looks like a GitHub token'],
      [['--', shaped], 'argument 1 looks like a GitHub token'],
    ];
    for (const [argv, msg] of cases) {
      let message = '';
      try {
        parseArgs(argv, spec);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(msg);
      expect(message).not.toContain(shaped);
    }
  });

  it('rejects a missing value and a value on a boolean', () => {
    expect(() => parseArgs(['--env'], spec)).toThrow('--env needs a value');
    expect(() => parseArgs(['--json=1'], spec)).toThrow('takes no value');
  });
});
