// Chooses the secret store, in a documented order:
//   1. KEYRING_INJECT_BACKEND, if set: os | secret-service | keychain | wincred | keyutils
//   2. otherwise the platform's keyring: keychain (macOS), wincred (Windows), secret-service (Linux, BSD)
// There is no silent fallback: a key that quietly lands somewhere else (kernel memory that
// vanishes at reboot) is worse than a clear error that names the alternative.
import { UsageError } from '../core/errors.js';
import { DEFAULT_SERVICE, type SecretBackend } from './backend.js';
import { DEFAULT_TIMEOUT_MS, OsKeyringBackend, type OsBackendId } from './os-keyring.js';

const CHOICES = ['os', 'secret-service', 'keychain', 'wincred', 'keyutils'] as const;

export function platformBackend(platform: NodeJS.Platform = process.platform): OsBackendId {
  if (platform === 'darwin') return 'keychain';
  if (platform === 'win32') return 'wincred';
  return 'secret-service';
}

export function chooseBackendId(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform = process.platform): OsBackendId {
  const wanted = env.KEYRING_INJECT_BACKEND?.trim();
  if (!wanted || wanted === 'os') return platformBackend(platform);
  if ((CHOICES as readonly string[]).includes(wanted)) return wanted as OsBackendId;
  throw new UsageError(`KEYRING_INJECT_BACKEND=${JSON.stringify(wanted)} is not a backend: use one of ${CHOICES.join(', ')}`);
}

export function openBackend(env: Readonly<Record<string, string | undefined>> = process.env): SecretBackend {
  const timeout = Number(env.KEYRING_INJECT_KEYRING_TIMEOUT_MS);
  return new OsKeyringBackend(chooseBackendId(env), env.KEYRING_INJECT_SERVICE || DEFAULT_SERVICE, env, Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS);
}
