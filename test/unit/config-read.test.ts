// The commands' read-only view of ~/.claude.json (claude/config-read.ts) reads through
// config-file.ts and the one locator, and says what JSON.parse of the file would say.
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfigView, serversIn } from '../../src/claude/config-read.js';
import { KiError } from '../../src/core/errors.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let file: string;
beforeEach(() => {
  t = makeTempHome();
  file = join(t.home, '.claude.json');
});
afterEach(() => t.cleanup());

const view = async (text: string) => {
  writeFileSync(file, text);
  return readConfigView(file);
};

describe('readConfigView', () => {
  it('servers and entries as JSON.parse has them: last duplicate wins, keys once in Object.keys order, BOM skipped', async () => {
    const text =
      '\uFEFF{"mcpServers": {"b": {"command": "old"}, "a": {"type": 7, "args": ["x", 1, "y"], "env": {"Z": "1", "2": "v", "A": "2", "Z": "3"}}, "b": {"type": "http", "url": "u"}, "n": 5},' +
      ' "projects": {"/p": {"mcpServers": {"l": {"command": "run", "args": ["--a"]}}}, "/q": 3, "/r": {"mcpServers": []}}}';
    const v = await view(text);
    const parsed = JSON.parse(text.slice(1));
    expect(v?.userServers).toEqual(Object.keys(parsed.mcpServers));
    expect(v?.server('user', undefined, 'a')).toEqual({ type: 'stdio', args: ['x', 'y'], envNames: Object.keys(parsed.mcpServers.a.env) });
    expect(v?.server('user', undefined, 'b')).toEqual({ type: 'http', envNames: [] });
    expect(v?.server('user', undefined, 'n')).toBeUndefined();
    expect(v?.server('user', undefined, 'zz')).toBeUndefined();
    expect(v?.localServers('/p')).toEqual(['l']);
    expect(v?.server('local', '/p', 'l')).toEqual({ type: 'stdio', command: 'run', args: ['--a'], envNames: [] });
    expect(v?.server('local', undefined, 'a')?.type).toBe('stdio'); // local without a project reads the top level, as before
    expect(v?.localServers('/q')).toEqual([]);
    expect(v?.localServers('/r')).toEqual([]);
    expect(serversIn(v as NonNullable<typeof v>, 'local', '/p')).toEqual(['l']);
  });

  it('shapes that hold no servers are no error', async () => {
    expect((await view('[1, 2]'))?.userServers).toEqual([]);
    const v = await view('{"mcpServers": 3, "projects": {"/p": {"mcpServers": {"l": {}}}}}');
    expect(v?.userServers).toEqual([]);
    expect(v?.localServers('/p')).toEqual(['l']);
    expect((await view('{"projects": []}'))?.localServers('/p')).toEqual([]);
  });

  it('no file: undefined; not JSON: the one-line error naming the file and the fix', async () => {
    expect(await readConfigView(file)).toBeUndefined();
    await expect(view('{"mcpServers": {')).rejects.toThrow(`${file} is not valid JSON: fix it, or restore it from ~/.claude/backups/`);
  });

  it('a dangling symlink is named as one, like every other reader of the file (it used to read as "no file")', async () => {
    symlinkSync(join(t.home, 'nowhere.json'), file);
    const err = await readConfigView(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KiError);
    expect((err as KiError).code).toBe('file-refused');
    expect((err as Error).message).toBe(`${file} is a symlink to a file that does not exist: fix or remove the link`);
  });
});
