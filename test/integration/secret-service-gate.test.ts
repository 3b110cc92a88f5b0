import { describe, expect, it } from 'vitest';
import { HAVE_SECRET_SERVICE } from '../helpers/secret-service.js';

describe('test environment', () => {
  it.runIf(process.env.CI)('CI runs the keyring tests against a real Secret Service', () => {
    // scripts/test.sh starts gnome-keyring in a private D-Bus session; without it the real-keyring tests would skip.
    expect(HAVE_SECRET_SERVICE).toBe(true);
  });

  it('never runs with the real HOME of the machine', () => {
    // scripts/with-secret-service.sh points HOME at a throwaway dir; per-test HOMEs sit below tmp as well.
    if (HAVE_SECRET_SERVICE) expect(process.env.HOME).toMatch(/ki-test-home\./);
  });
});
