// A preload (NODE_OPTIONS=--require) that records, for each process it is loaded into, its argv
// and what it required from outside its bundle (our other bundles, Node built-ins, the native
// bindings): written by pid at exit, and every 100 ms for a process that lives on (the guard
// service). Children inherit it through NODE_OPTIONS.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SpyRun {
  argv: string[];
  loaded: string[];
}

export interface ModuleSpy {
  /** The NODE_OPTIONS value that loads the spy. */
  nodeOptions: string;
  /** Every process recorded so far. */
  runs(): SpyRun[];
  /** The first recorded process whose argv (after the script) starts with `argv`. */
  find(...argv: string[]): SpyRun | undefined;
  dir: string;
}

export function moduleSpy(dir: string): ModuleSpy {
  mkdirSync(dir, { recursive: true });
  const spy = join(dir, 'spy.cjs');
  writeFileSync(
    spy,
    `const Module = require('node:module');
     const load = Module._load;
     const seen = new Set();
     Module._load = function (request, ...rest) { seen.add(request); return load.call(this, request, ...rest); };
     const save = () => require('node:fs').writeFileSync(${JSON.stringify(dir)} + '/' + process.pid + '.json', JSON.stringify({ argv: process.argv.slice(2), loaded: [...seen] }));
     process.on('exit', save);
     setInterval(save, 100).unref();`,
  );
  const runs = () =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SpyRun);
  return { nodeOptions: `--require ${spy}`, runs, find: (...argv) => runs().find((r) => argv.every((a, i) => r.argv[i] === a)), dir };
}
