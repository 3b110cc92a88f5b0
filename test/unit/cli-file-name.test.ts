import { expect, it } from 'vitest';
import { isCliFileName } from '../../src/core/paths.js';
import { parseHeadersHelper, parseWrappedArgs } from '../../src/wrap/format.js';

// One predicate for "a file named like our CLI": wrapped entries (recognised after the install
// moved) and the guard's own argv[1] use it; the model-run guard matches resolved paths instead.
it('knows our CLI by its file name, wherever it lives', () => {
  for (const p of ['/opt/ki/dist/cli.js', '/home/u/.local/share/keyring-inject/runtime/cli.js', '/usr/bin/keyring-inject', 'keyring-inject.js', 'cli.js']) expect(isCliFileName(p)).toBe(true);
  for (const p of ['/opt/ki/dist/main.js', '/x/cli.jsx', '/x/keyring-inject-old', '/x/my-cli.js']) expect(isCliFileName(p)).toBe(false);
});

it('recognises a wrapped entry whose CLI moved, and not one run by another script', () => {
  expect(parseWrappedArgs('/usr/bin/node', ['/moved/dist/cli.js', 'exec', '--server', 'gh', '--', 'npx', 'srv'])?.server).toBe('gh');
  expect(parseWrappedArgs('/usr/bin/node', ['/x/other.js', 'exec', '--server', 'gh', '--', 'npx', 'srv'])).toBeUndefined();
  expect(parseHeadersHelper("'/usr/bin/node' '/moved/cli.js' headers api")?.server).toBe('api');
  expect(parseHeadersHelper("'/usr/bin/node' '/x/other.js' headers api")).toBeUndefined();
});
