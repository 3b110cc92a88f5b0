import { readFileSync } from 'node:fs';

// The version in package.json: scripts/build.mjs defines KI_VERSION from it; the test runner,
// which runs this file unbundled, reads package.json itself.
declare const KI_VERSION: string | undefined;
export const VERSION: string = typeof KI_VERSION === 'string' ? KI_VERSION : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
