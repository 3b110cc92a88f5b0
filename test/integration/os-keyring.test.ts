// The OS backend against a real gnome-keyring, checked from outside with secret-tool.
import { describe, expect, it } from 'vitest';
import { OsKeyringBackend } from '../../src/keyring/os-keyring.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, secretToolStore, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';

describe.runIf(HAVE_SECRET_SERVICE)('Secret Service backend (real gnome-keyring)', () => {
  const service = testService();
  const backend = new OsKeyringBackend('secret-service', service, process.env);

  it('set / get / list / delete, visible to secret-tool', async () => {
    const value = testSecret();
    await backend.set('alpha', value);
    expect(secretToolLookup(service, 'alpha')).toBe(value);
    expect(await backend.get('alpha')).toBe(value);
    expect(await backend.list()).toEqual(['alpha']);
    expect(await backend.delete('alpha')).toBe(true);
    expect(secretToolLookup(service, 'alpha')).toBeUndefined();
    expect(await backend.get('alpha')).toBeUndefined();
    expect(await backend.delete('alpha')).toBe(false);
  });

  it('reads what another client stored, and keeps awkward values intact', async () => {
    const awkward = `ünï "quoted" \\back\\slash\nline2 ${'x'.repeat(8192)}`;
    // secret-tool stops reading at a newline: the outside value is one line.
    const outside = awkward.replace('\n', ' ').slice(0, 4000); // and reads at most 8 KiB
    secretToolStore(service, 'from-outside', outside);
    expect((await backend.get('from-outside')) === outside).toBe(true);
    await backend.set('beta', awkward);
    expect((await backend.get('beta')) === awkward).toBe(true);
    await backend.delete('beta');
    await backend.delete('from-outside');
  });

  it('keeps service names apart', async () => {
    const other = new OsKeyringBackend('secret-service', testService(), process.env);
    await backend.set('shared-name', 'one');
    expect(await other.get('shared-name')).toBeUndefined();
    await backend.delete('shared-name');
  });
});
