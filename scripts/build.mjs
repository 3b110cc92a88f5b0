// Bundles every entry point into one self-contained ESM file under dist/.
// The native keyring binding stays external: it is a platform-specific .node file.
import { build } from 'esbuild';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = { cli: 'src/cli.ts' };

const result = await build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  // One chunk per command: a hook loads only the code it runs.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // jsonc-parser's "main" is a UMD build that esbuild cannot follow; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  external: ['@napi-rs/keyring'],
  // Bundled CommonJS dependencies call require() for builtins, and write-file-atomic names
  // its temp files from __filename: give the ESM bundle both.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __kiCreateRequire } from 'node:module';",
      "import { fileURLToPath as __kiFileURLToPath } from 'node:url';",
      'const require = __kiCreateRequire(import.meta.url);',
      'const __filename = __kiFileURLToPath(import.meta.url);',
    ].join('\n'),
  },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
// Remove chunks of earlier builds (not the whole dir first: a test run may be using it).
const fresh = new Set(Object.keys(result.metafile.outputs).map((f) => f.replace(/^dist\//, '')));
for (const name of readdirSync(`${root}/dist/chunks`)) if (!fresh.has(`chunks/${name}`)) rmSync(`${root}/dist/chunks/${name}`, { force: true });
for (const name of Object.keys(entries)) chmodSync(`${root}/dist/${name}.js`, 0o755);
