// uninstall --all deletes ~/.claude.json only when install created it AND it is empty again, read
// as Claude Code reads it (strict JSON): text that is not strictly `{}` is the user's, and stays
// byte for byte (a file that is not JSON at all is refused with one line, before any change).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { installRecordFile } from '../../src/install/install-ops.js';
import { uninstallAll } from '../../src/install/uninstall-all.js';
import { makeContext } from '../helpers/context.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

async function uninstallWith(config: string): Promise<boolean | string> {
  const { ctx } = makeContext(t.env, t.home);
  mkdirSync(ctx.paths.dataDir, { recursive: true });
  writeFileSync(installRecordFile(ctx.paths.dataDir), JSON.stringify({ createdSettings: false, createdConfig: true, createdMcpServers: false }));
  writeFileSync(ctx.paths.configFile, config);
  const refused = await uninstallAll(ctx, { dryRun: false, purgeKeys: false }, { strip: async () => ({ stripped: [] }) }).then(
    () => undefined,
    (err: Error) => err.message,
  );
  if (existsSync(ctx.paths.configFile)) expect(readFileSync(ctx.paths.configFile, 'utf8')).toBe(config);
  return refused ?? existsSync(ctx.paths.configFile);
}

it('an empty object it created is removed', async () => {
  expect(await uninstallWith('{}\n')).toBe(false);
  expect(await uninstallWith(' {\n}')).toBe(false);
});

it('a file with members stays byte for byte', async () => {
  expect(await uninstallWith('{"a": 1}\n')).toBe(true);
});

it.each(['{,}\n', '{ /* mine */ }\n', '{}\n// note\n'])('%j is not JSON: refused in one line, the file untouched', async (config) => {
  expect(await uninstallWith(config)).toMatch(/^[^\n]*not valid JSON at line \d+, column \d+[^\n]*$/);
});
