// Bundles the CLI into self-contained CommonJS files under dist/ (dist/package.json marks them
// CommonJS, which Node's loader starts markedly faster than ESM):
//   cli.js    the binary: a few lines that pick one of the bundles below by the command
//   hook.js   `hook session-start|session-end`: every session pays for it
//   guard.js  `guard ...`: every prompt and tool call pays for it
//   guard-service.js  `guard-service`: the guards as one long-lived loopback service
//   watchdog.js  `watchdog`: started by every session start with keys
//   main.js   every other command
//   code-cache.js  runs the four bundles above with a V8 code cache beside them
//             (src/entries/code-cache.ts); those four may not import() (checked below)
// A hook compiles only its own code: start-up time grows with the bytes Node has to parse.
// The native keyring binding and koffi (the config write's swap, core/rename-exchange.ts) stay
// external: platform-specific .node files, loaded only by the code that needs them.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}/dist`;
const BUNDLES = {
  main: 'src/cli.ts',
  hook: 'src/entries/hook.ts',
  guard: 'src/entries/guard.ts',
  'guard-service': 'src/entries/guard-service.ts',
  watchdog: 'src/entries/watchdog.ts',
  'code-cache': 'src/entries/code-cache.ts',
  'proxy-preload': 'src/proxy/preload.ts',
  x509: 'src/proxy/x509-lib.ts',
  undici: 'src/proxy/undici-lib.ts',
};

// signal-exit 3 (required by proper-lockfile) gets a two-line assert instead of node:assert; see the shim.
const assertShim = {
  name: 'signal-exit-assert',
  setup(b) {
    b.onResolve({ filter: /^assert$/ }, (args) => (/[\\/]signal-exit[\\/]/.test(args.importer) ? { path: `${root}/src/shims/signal-exit-assert.cjs` } : undefined));
  },
};

// The bundles dist/cli.js runs through dist/code-cache.js. They run as vm Scripts, which on Node 20
// can import() only through an experimental option that a code cache does not keep: they must not
// contain one (src/core/lazy-load.ts requires instead; checked after the build).
const CACHED = ['hook', 'guard', 'guard-service', 'watchdog'];

const DISPATCH = `#!/usr/bin/env node
// keyring-inject. The hooks run on every session, prompt and tool call, so each has a bundle of
// its own; see scripts/build.mjs.
'use strict';
const command = process.argv[2];
const hot = ${JSON.stringify(CACHED)}.includes(command) ? \`\${command}.js\` : undefined;
if (hot) require('./code-cache.js').runBundle(require('path').join(__dirname, hot));
else require('./main.js');
`;

// Written beside and renamed into place: a test run using dist/ never sees half a file.
async function publish(name, write) {
  const tmp = `${dist}/.${name}.${process.pid}.tmp`;
  await write(tmp);
  chmodSync(tmp, name === 'cli.js' ? 0o755 : 0o644);
  renameSync(tmp, `${dist}/${name}`);
}

mkdirSync(dist, { recursive: true });
// The version goes along into the installed runtime copy (src/install/runtime.ts names it by it).
const { version } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
await publish('package.json', (f) => writeFileSync(f, `{"type": "commonjs", "version": ${JSON.stringify(version)}}\n`));
for (const [name, entry] of Object.entries(BUNDLES)) {
  await publish(`${name}.js`, (outfile) =>
    build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['@napi-rs/keyring', '@koromix/*'],
      // `keyring-inject --version` (src/cli/main.ts).
      define: { KI_VERSION: JSON.stringify(version) },
      alias: { 'graceful-fs': './src/shims/graceful-fs.cjs' },
      plugins: [assertShim],
      // import.meta only appears on the test-runner path (lazy requires), never reached here.
      logOverride: { 'empty-import-meta': 'silent' },
      legalComments: 'none',
      logLevel: 'warning',
    }),
  );
}
for (const name of CACHED) {
  if (/(^|[^\w$.])import\(/.test(readFileSync(`${dist}/${name}.js`, 'utf8'))) {
    console.error(`build: dist/${name}.js contains import(), which fails when it runs as a vm Script (src/entries/code-cache.ts); use a lazy require (src/core/lazy-load.ts)`);
    process.exit(1);
  }
}
await publish('cli.js', (f) => writeFileSync(f, DISPATCH));
rmSync(`${dist}/chunks`, { recursive: true, force: true });
