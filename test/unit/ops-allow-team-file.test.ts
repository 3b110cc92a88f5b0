import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allowProject, revokeProject } from '../../src/ops/allow-team-file.js';
import { makeContext } from '../helpers/context.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
let proj: string;
const writeProject = (entries: Record<string, unknown>) => writeFileSync(join(proj, '.claude', 'secrets.json'), JSON.stringify(entries, null, 2));
beforeEach(() => {
  t = makeTempHome();
  proj = join(t.home, 'proj');
  mkdirSync(join(proj, '.claude'), { recursive: true });
});
afterEach(() => t.cleanup());

describe('allowProject', () => {
  it('reports the approval before (none, changed, already) and, after a change, what changed', async () => {
    const { ctx } = makeContext(t.env, proj);
    writeProject({ API_TOKEN: { source: 'keyring', id: 'proj-token' } });
    const first = await allowProject(ctx, {});
    expect(first).toMatchObject({ file: join(proj, '.claude', 'secrets.json'), root: proj, before: 'unapproved', changes: [], notSecretNames: [] });
    expect(Object.keys(first.entries)).toEqual(['API_TOKEN']);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    writeProject({ API_TOKEN: { source: 'keyring', id: 'proj-token' }, API_URL: { source: 'keyring', id: 'proj-url' } });
    const second = await allowProject(ctx, {});
    expect(second.before).toBe('changed');
    expect(second.changes.join('\n')).toContain('API_URL');
    expect(second.notSecretNames).toEqual(['API_URL']);
    expect((await allowProject(ctx, {})).before).toBe('approved');
  });

  it('revoking says whether there was an approval; no project file is one line naming where it looked', async () => {
    const { ctx } = makeContext(t.env, proj);
    writeProject({ API_TOKEN: { source: 'keyring', id: 'proj-token' } });
    await allowProject(ctx, { dir: '.' });
    expect((await revokeProject(ctx, {})).hadApproval).toBe(true);
    expect((await revokeProject(ctx, {})).hadApproval).toBe(false);
    const elsewhere = makeContext(t.env, t.home).ctx;
    await expect(allowProject(elsewhere, {})).rejects.toMatchObject({ code: 'project-missing', message: expect.stringContaining(`no .claude/secrets.json in ${t.home} or above it`) });
  });
});
