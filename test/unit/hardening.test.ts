// Our data dir is made private even when it already exists, and the keyring
// deadline is one budget per command, not one per call.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const slowNative = {
  delayMs: 200,
  AsyncEntry: class {
    constructor(
      readonly service: string,
      readonly name: string,
    ) {}
    async getPassword(): Promise<string | undefined> {
      await new Promise((r) => setTimeout(r, slowNative.delayMs));
      return `value-of-${this.name}`;
    }
  },
  async findCredentialsAsync(): Promise<{ account: string; password: string }[]> {
    return [];
  },
};

vi.mock('../../src/core/lazy-load.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../src/core/lazy-load.js')>();
  return { ...orig, requireLazily: (id: string) => (id === '@napi-rs/keyring' ? slowNative : orig.requireLazily(id)) };
});

const { ensurePrivateDir, writePrivateFile } = await import('../../src/core/secure-file.js');
const { OsKeyringBackend } = await import('../../src/keyring/os-keyring.js');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ki-harden-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ensurePrivateDir', () => {
  it('makes an existing 0755 data dir 0700', async () => {
    const data = join(dir, 'keyring-inject');
    mkdirSync(data, { mode: 0o755 });
    chmodSync(data, 0o755);
    await writePrivateFile(join(data, 'state.json'), '{}\n');
    expect(statSync(data).mode & 0o777).toBe(0o700);
  });

  it.runIf(process.getuid?.() === 0)('refuses a dir that belongs to another user, with one line that names the fix', async () => {
    const data = join(dir, 'keyring-inject');
    mkdirSync(data, { mode: 0o700 });
    chownSync(data, 4242, 4242);
    await expect(ensurePrivateDir(data)).rejects.toThrow(/^[^\n]*belongs to another user \(uid 4242\)[^\n]*$/);
    expect(statSync(data).mode & 0o777).toBe(0o700);
  });
});

describe('keyring deadline', () => {
  it('is one budget for the whole command: getMany of 4 slow names ends within it', async () => {
    // Each read takes 200 ms, the budget is 500 ms: reading 4 one after the other must fail at
    // about 500 ms, not take 800 ms (each call under its own 500 ms deadline).
    const backend = new OsKeyringBackend('keyutils', 'ki-test', {}, 500);
    const t0 = performance.now();
    await expect(backend.getMany(['a', 'b', 'c', 'd'])).rejects.toThrow(/did not answer within 500 ms/);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThan(450);
    expect(ms).toBeLessThan(750);
    // The budget is spent: the next call fails at once.
    const t1 = performance.now();
    await expect(backend.get('e')).rejects.toThrow(/did not answer within 500 ms/);
    expect(performance.now() - t1).toBeLessThan(100);
  });

  it('counts only the time spent waiting on the keyring, not the time between calls', async () => {
    const backend = new OsKeyringBackend('keyutils', 'ki-test', {}, 500);
    expect(await backend.get('a')).toBe('value-of-a');
    await new Promise((r) => setTimeout(r, 600)); // e.g. the user typing at a prompt
    expect(await backend.get('b')).toBe('value-of-b');
  });
});
