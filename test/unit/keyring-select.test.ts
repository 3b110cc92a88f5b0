import { describe, expect, it } from 'vitest';
import { chooseBackendId, platformBackend } from '../../src/keyring/select.js';
import { OsKeyringBackend } from '../../src/keyring/os-keyring.js';

describe('backend selection', () => {
  it('uses the platform keyring by default', () => {
    expect(platformBackend('darwin')).toBe('keychain');
    expect(platformBackend('win32')).toBe('wincred');
    expect(platformBackend('linux')).toBe('secret-service');
    expect(chooseBackendId({}, 'linux')).toBe('secret-service');
    expect(chooseBackendId({ KEYRING_INJECT_BACKEND: 'os' }, 'darwin')).toBe('keychain');
  });

  it('honours KEYRING_INJECT_BACKEND and rejects unknown names', () => {
    expect(chooseBackendId({ KEYRING_INJECT_BACKEND: 'keyutils' }, 'linux')).toBe('keyutils');
    expect(() => chooseBackendId({ KEYRING_INJECT_BACKEND: 'plaintext' }, 'linux')).toThrow(/is not a backend: use one of os, secret-service/);
  });

  it.runIf(process.platform === 'linux')('fails at once, naming the fix, when there is no D-Bus session', async () => {
    const b = new OsKeyringBackend('secret-service', 'ki-test', { HOME: '/nonexistent' });
    const t0 = performance.now();
    await expect(b.get('x')).rejects.toThrow(/no D-Bus session bus.*gnome-keyring-daemon --unlock.*KEYRING_INJECT_BACKEND=keyutils/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it.runIf(process.platform === 'linux')('refuses a backend of another platform', async () => {
    const b = new OsKeyringBackend('keychain', 'ki-test', {});
    await expect(b.get('x')).rejects.toThrow(/does not exist on linux/);
  });
});
