// Gate for tests that need the real Secret Service started by scripts/with-secret-service.sh.
// In CI the gate is mandatory: a CI run without a keyring must fail, not skip.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

/** A D-Bus session with a gnome-keyring of its own (scripts/with-secret-service.sh), for a test that locks or breaks the keyring without touching the one other test files share. */
export interface PrivateSecretService {
  bus: string;
  stop(): Promise<void>;
}

export async function startPrivateSecretService(): Promise<PrivateSecretService> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['KI_IN_DBUS', 'KI_TEST_HOME', 'KI_SECRET_SERVICE', 'DBUS_SESSION_BUS_ADDRESS']) delete env[k];
  const script = fileURLToPath(new URL('../../scripts/with-secret-service.sh', import.meta.url));
  // Prints its bus address, then lives until its stdin closes; the script then ends the session.
  const child = spawn(script, ['sh', '-c', 'printf "%s\\n" "$DBUS_SESSION_BUS_ADDRESS"; exec cat >/dev/null'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const bus = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('private secret service did not start within 20 s')), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    child.once('exit', () => reject(new Error('private secret service exited before it started')));
  });
  return {
    bus,
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
