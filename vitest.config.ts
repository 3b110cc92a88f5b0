import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The in-process tier shares one module registry per worker thread (no isolation), which makes
// it several times faster. Files that replace modules (vi.mock, found by their text) need a
// registry of their own, and tests of real processes stay in isolated forks, after the
// in-process tier (groupOrder), so that their timing is not shared with it. The in-process tier
// takes two threads even on a 2-core machine (vitest's default leaves one core free): it waits
// on nothing, and nothing else runs beside it.
const UNIT = fileURLToPath(new URL('test/unit/', import.meta.url));
const MOCKING_UNIT_TESTS = readdirSync(UNIT)
  .filter((f) => f.endsWith('.test.ts') && readFileSync(UNIT + f, 'utf8').includes('vi.mock('))
  .map((f) => `test/unit/${f}`);

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    poolOptions: { threads: { isolate: false, maxThreads: 2 }, forks: { isolate: true } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: MOCKING_UNIT_TESTS, pool: 'threads', sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'unit-mocking', include: MOCKING_UNIT_TESTS, pool: 'forks', sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'process', include: ['test/{integration,e2e,torture}/**/*.test.ts'], pool: 'forks', sequence: { groupOrder: 1 } } },
    ],
  },
});
