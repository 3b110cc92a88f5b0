// installUser: the hooks as a report shows them. An http guard is shown by its URL; its token
// (a header of the hook) is in what is written to settings.json, never in what is shown.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installUser } from '../../src/ops/install-user.js';
import { makeContext } from '../helpers/context.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

const dist = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist');

let t: TempHome;
beforeEach(() => {
  t = makeTempHome();
});
afterEach(() => t.cleanup());

describe('installUser', () => {
  it('http guards: shown as POST and their URL, the token only in the commands written', async () => {
    const r = await installUser(makeContext(t.env, t.home).ctx, { dryRun: true, guards: 'http', mcp: false, sourceDir: dist, via: 'install' });
    const pre = r.commands.preToolUse;
    if (pre === undefined || typeof pre === 'string') throw new Error('expected an http hook');
    const token = Object.values(pre.headers)[0] as string;
    expect(token.length).toBeGreaterThan(20);
    expect(r.hooks.PreToolUse).toBe(`POST ${pre.url}`);
    expect(r.hooks.UserPromptSubmit).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/keyring-inject\/guard\/user-prompt-submit$/);
    expect(JSON.stringify(r.hooks)).not.toContain(token);
    expect(r.hooks.SessionStart).toBe(r.commands.sessionStart);
  });

  it('command guards: shown as the commands themselves', async () => {
    const r = await installUser(makeContext(t.env, t.home).ctx, { dryRun: true, mcp: false, sourceDir: dist, via: 'install' });
    expect(r.hooks).toEqual({
      SessionStart: r.commands.sessionStart,
      SessionEnd: r.commands.sessionEnd,
      UserPromptSubmit: r.commands.userPromptSubmit,
      PreToolUse: r.commands.preToolUse,
      PostToolUse: r.commands.postToolUse,
    });
    expect(r.hooks.PreToolUse).toContain('guard pre-tool-use');
  });
});
