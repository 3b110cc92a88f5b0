// The layer order of src/ (ARCHITECTURE.md), enforced by dependency-cruiser in npm test:
// a module may import its own layer and the layers below it, never one above.
const LAYERS = [
  // the base: errors, paths, locks, the atomic write, processes
  ['core', 'shims'],
  // the outside world and our own stores: Claude Code's files, the keyring, the registry, value sources
  ['claude', 'keyring', 'registry', 'sources'],
  // the domain: injection, zero-disk, placeholder keys, import, guards, our MCP server, installing hooks
  ['engine', 'wrap', 'proxy', 'import', 'guards', 'guard-service', 'mcp', 'install'],
  // the use cases: one module per user-visible operation, returning a report, printing nothing
  ['ops', 'doctor', 'setup'],
  // parsing, prompting, rendering
  ['cli'],
  ['entries', 'cli\\.ts$'],
];
const dir = (names) => `^src/(${names.join('|')})`;

module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `layer-${layer[0]}`,
      comment: `${layer.join('/')} must not import a layer above it (${LAYERS.slice(i + 1).flat().join(', ')})`,
      severity: 'error',
      from: { path: dir(layer) },
      to: { path: dir(LAYERS.slice(i + 1).flat()) },
    })),
    {
      name: 'commands-independent',
      comment: 'a command does not import another command: shared code lives beneath them',
      severity: 'error',
      from: { path: '^src/cli/commands/([^/]+)\\.ts$' },
      to: { path: '^src/cli/commands/', pathNot: '^src/cli/commands/$1\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'modules do not import each other in a cycle (a cycle through type-only imports is harmless at run time)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'src-not-from-test',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
