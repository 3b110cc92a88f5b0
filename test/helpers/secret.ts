import { randomBytes } from 'node:crypto';

/** A random test value, made at test time; deliberately not shaped like any real credential. */
export function testSecret(label = 'v'): string {
  return `kitest-${label}-${randomBytes(12).toString('hex')}`;
}
