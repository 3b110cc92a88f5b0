// Gate for tests that need the real Secret Service started by scripts/with-secret-service.sh.
// In CI the gate is mandatory: a CI run without a keyring must fail, not skip.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const HAVE_SECRET_SERVICE = process.env.KI_SECRET_SERVICE === '1' && Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);

/** A service name of its own per test file, so parallel test files never see each other's items. */
export function testService(): string {
  return `keyring-inject-test-${randomBytes(4).toString('hex')}`;
}

/** Reads an item with secret-tool, i.e. from outside our code. */
export function secretToolLookup(service: string, name: string): string | undefined {
  try {
    return execFileSync('secret-tool', ['lookup', 'service', service, 'username', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined; // secret-tool exits 1 when nothing matches
  }
}

export function secretToolStore(service: string, name: string, value: string): void {
  execFileSync('secret-tool', ['store', '--label', `test ${name}`, 'service', service, 'username', name], { input: value, stdio: ['pipe', 'ignore', 'inherit'] });
}
