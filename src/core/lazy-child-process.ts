// node:child_process costs a few ms to load; hooks need it only to start the watchdog (and, off
// Linux, to ask `ps`). Load it on first use.
import { createRequire } from 'node:module';

let cached: typeof import('node:child_process') | undefined;

export function childProcess(): typeof import('node:child_process') {
  cached ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return cached;
}
