// Bundles the CLI into one self-contained CommonJS file, dist/cli.js (dist/package.json marks
// it CommonJS). CommonJS because Node's CJS loader starts a bundle markedly faster than its ESM
// loader, and every hook pays for start-up. The native keyring binding stays external: it is a
// platform-specific .node file, loaded only by commands that read the keyring.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

mkdirSync(`${root}/dist`, { recursive: true });
writeFileSync(`${root}/dist/package.json`, '{"type": "commonjs"}\n');
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  // Built beside and renamed into place: a test run using dist/cli.js never sees half a file.
  outfile: `dist/.cli.js.${process.pid}.tmp`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // jsonc-parser's "main" is a UMD build that esbuild cannot follow; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  external: ['@napi-rs/keyring'],
  alias: { 'graceful-fs': './src/shims/graceful-fs.cjs' },
  banner: { js: '#!/usr/bin/env node' },
  // import.meta only appears on the test-runner path (lazy-child-process.ts), never reached here.
  logOverride: { 'empty-import-meta': 'silent' },
  legalComments: 'none',
  logLevel: 'warning',
});
chmodSync(`${root}/dist/.cli.js.${process.pid}.tmp`, 0o755);
renameSync(`${root}/dist/.cli.js.${process.pid}.tmp`, `${root}/dist/cli.js`);
rmSync(`${root}/dist/chunks`, { recursive: true, force: true });
