// Bundles a child-process entry of this folder (engine-driver.ts, lock-driver.ts) with esbuild,
// the settings of scripts/build.mjs, so a test runs our src/ as a real process it can SIGKILL
// without the CLI's start-up in front. Each bundle gets a temp dir of its own: remove() it in
// afterAll (vitest ends its workers without a normal 'exit'; the exit hook is a fallback).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Bundle {
  file: string;
  remove(): void;
}

// Spelled out (not built from the name) so that knip sees the entries as used.
const ENTRIES = {
  'engine-driver.ts': new URL('./engine-driver.ts', import.meta.url),
  'lock-driver.ts': new URL('./lock-driver.ts', import.meta.url),
};

export async function bundleChild(entry: keyof typeof ENTRIES): Promise<Bundle> {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), `ki-${entry.replace(/\.ts$/, '')}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  const file = join(dir, 'driver.mjs');
  await build({
    absWorkingDir: fileURLToPath(new URL('../../..', import.meta.url)),
    entryPoints: [fileURLToPath(ENTRIES[entry])],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    external: ['@napi-rs/keyring'],
    banner: {
      js: [
        "import { createRequire as __kiCreateRequire } from 'node:module';",
        "import { fileURLToPath as __kiFileURLToPath } from 'node:url';",
        'const require = __kiCreateRequire(import.meta.url);',
        'const __filename = __kiFileURLToPath(import.meta.url);',
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  return { file, remove };
}
