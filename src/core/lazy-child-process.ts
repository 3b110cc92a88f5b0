// node:child_process costs a few ms to load; hooks need it only to start the watchdog (and, off
// Linux, to ask `ps`). Load it on first use.
import { createRequire } from 'node:module';

let cached: typeof import('node:child_process') | undefined;

export function childProcess(): typeof import('node:child_process') {
  // In the CommonJS bundle `require` exists; under the test runner (ESM) we make one.
  const load = typeof require === 'function' ? require : createRequire(import.meta.url);
  cached ??= load('node:child_process') as typeof import('node:child_process');
  return cached;
}
