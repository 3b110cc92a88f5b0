// Help that starts somewhere (issue 18, item 4): the top-level help is grouped, starts with
// "Start here" and shows two examples; every command's help ends with an example.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMAND_TABLE } from '../../src/cli/command-table.js';
import { inProcessCli } from '../helpers/in-process.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

const HEADINGS = ['Start here', 'Keys', 'Sessions', 'Zero-disk', 'Plumbing'];

describe('top-level --help', () => {
  it('groups the commands under headings, start here first, each command once, and gives two examples', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = HEADINGS.map((h) => lines.findIndex((l) => (l.startsWith(`${h}`) && l.trimEnd().endsWith(':')) || l.startsWith(`${h} (`)));
    expect(
      at.every((i) => i > 0),
      r.stdout,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    for (const c of COMMAND_TABLE.filter((x) => x.group !== 'internal')) {
      const rows = lines.filter((l) => new RegExp(`^  ${c.name} +\\S`).test(l));
      expect(rows, c.name).toHaveLength(1);
    }
    expect(lines.some((l) => /^ {2}watchdog\b/.test(l))).toBe(false);
    // Plumbing is last: what Claude Code runs, not what users type.
    const plumbing = at[at.length - 1] as number;
    for (const name of ['hook', 'guard', 'exec', 'headers']) expect(lines.findIndex((l) => l.startsWith(`  ${name} `))).toBeGreaterThan(plumbing);
    const ex = lines.indexOf('Examples:');
    expect(ex).toBeGreaterThan(0);
    expect(lines.slice(ex + 1, ex + 3).every((l) => l.startsWith('  keyring-inject '))).toBe(true);
  });
});

describe('command --help', () => {
  it('every command has one example', async () => {
    const { run } = inProcessCli(t.env, t.home);
    for (const c of COMMAND_TABLE) {
      // The launcher passes --help on to claude itself: its own help is 'help claude'.
      const r = await run((await c.load()).passThrough ? ['help', c.name] : [c.name, '--help']);
      expect(r.code, c.name).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      const ex = lines.indexOf('Example:');
      expect(ex, `${c.name} --help has no "Example:"`).toBeGreaterThan(0);
      expect(lines[ex + 1], c.name).toMatch(/^ {2}(\S+=\S+ )?(\S.* \| )?keyring-inject /);
      // `help COMMAND` prints the same.
      expect((await run(['help', c.name])).stdout).toBe(r.stdout);
    }
  });

  it('add --help documents --project once', async () => {
    const { run } = inProcessCli(t.env, t.home);
    const r = await run(['add', '--help']);
    expect(r.stdout.split('\n').filter((l) => /^ {2}--project\b/.test(l))).toHaveLength(1);
  });
});
