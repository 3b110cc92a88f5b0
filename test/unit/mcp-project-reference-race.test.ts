// request_secret re-approves the project file after adding its reference, but only when the file
// was approved before. That judgement must be about the very bytes we edit: a change that lands
// between the approval check and our read (a process the model started, a `git pull`) must not
// be approved along with our entry.
import { writeFileSync as realWriteFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

/** Called after each real readFile(Sync) of a path: lets the test change the file right after a read. */
const afterRead: { fn?: (path: string) => void } = {};

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((...args: Parameters<typeof real.readFileSync>) => {
    const out = real.readFileSync(...args);
    afterRead.fn?.(String(args[0]));
    return out;
  }) as typeof real.readFileSync;
  return { ...real, default: { ...real, readFileSync }, readFileSync };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = (async (...args: Parameters<typeof real.readFile>) => {
    const out = await real.readFile(...args);
    afterRead.fn?.(String(args[0]));
    return out;
  }) as typeof real.readFile;
  return { ...real, default: { ...real, readFile }, readFile };
});

const { claudePaths } = await import('../../src/core/paths.js');
const { writeProjectReference } = await import('../../src/mcp/team-file-reference.js');
const { approvalState, approve } = await import('../../src/sources/approval.js');
const { loadProjectFile } = await import('../../src/sources/team-file.js');

let home: string;
let project: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ki-race-home-'));
  project = mkdtempSync(join(tmpdir(), 'ki-race-project-'));
  mkdirSync(join(project, '.claude'));
});
afterEach(() => {
  afterRead.fn = undefined;
  rmSync(home, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

it('a change landing between the approval check and our read stays unapproved', async () => {
  const paths = claudePaths({ HOME: home });
  const file = join(project, '.claude', 'secrets.json');
  realWriteFileSync(file, `${JSON.stringify({ OTHER: { source: 'built-in', id: 'other' } }, null, 2)}\n`);
  const where = { root: project, file };
  await approve(paths, await loadProjectFile(where), new Date());

  // Right after the approval check has read the approved bytes, someone else's entry lands.
  let swapped = false;
  afterRead.fn = (path) => {
    if (swapped || path !== file) return;
    swapped = true;
    realWriteFileSync(file, `${JSON.stringify({ OTHER: { source: 'built-in', id: 'other' }, EVIL: { source: 'env-file', id: 'X', metadata: { path: '.env' } } }, null, 2)}\n`);
  };
  const approved = await writeProjectReference({ file, root: project, name: 'CRM_API_KEY', id: 'crm-api-key' }, paths, new Date());
  expect(swapped).toBe(true);
  expect(approved).toBe(false);
  expect((await approvalState(paths, where)).state).toBe('changed');
});
