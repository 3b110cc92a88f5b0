// The OS keyring through @napi-rs/keyring (keyring-rs): macOS Keychain, Windows Credential
// Manager, Linux Secret Service or kernel keyutils. Loaded lazily: hooks that only strip never
// pay for the native module.
//
// Two properties matter on headless Linux (see shared library-facts.md):
// - the default Linux store silently falls back to keyutils, so we always pin the store;
// - a provider that never answers blocks a sync call for ~2 s, so we use the async API on the
//   thread pool and put our own deadline around them: one budget per command (KeyringBudget).
import { existsSync } from 'node:fs';
import { KeyringUnavailableError, oneLine } from '../core/errors.js';
import { requireLazily } from '../core/lazy-load.js';
import type { BackendId, SecretBackend } from './backend.js';
import { GNOME_KEYRING_STEPS, headlessFixLine, NO_COLLECTION_FIX } from './headless-advice.js';

type NativeModule = typeof import('@napi-rs/keyring');
export type OsBackendId = Exclude<BackendId, 'memory'>;

const LABELS: Record<OsBackendId, string> = {
  'secret-service': 'Secret Service (gnome-keyring, KWallet, KeePassXC)',
  keychain: 'macOS Keychain',
  wincred: 'Windows Credential Manager',
  keyutils: 'Linux kernel keyutils (session keyring, lost at reboot)',
};

export const DEFAULT_TIMEOUT_MS = 2500;

const HEADLESS_FIX = headlessFixLine();

/**
 * One deadline per command: the time spent waiting on the keyring, summed over every call of
 * one backend (a command opens one), may not exceed the budget. Time between calls (a prompt)
 * does not count; calls in flight together count once.
 */
export class KeyringBudget {
  private spent = 0;
  private inFlight = 0;
  private since = 0;
  constructor(readonly totalMs: number) {}

  private remaining(): number {
    return this.totalMs - this.spent - (this.inFlight > 0 ? performance.now() - this.since : 0);
  }

  async run<T>(call: () => Promise<T>, timedOut: () => Error): Promise<T> {
    const left = this.remaining();
    if (left <= 0) throw timedOut();
    if (this.inFlight++ === 0) this.since = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut()), left);
      timer.unref();
    });
    try {
      return await Promise.race([call(), deadline]);
    } finally {
      clearTimeout(timer);
      if (--this.inFlight === 0) this.spent += performance.now() - this.since;
    }
  }
}

export class OsKeyringBackend implements SecretBackend {
  readonly label: string;
  private native: NativeModule | undefined;
  private readonly budget: KeyringBudget;

  constructor(
    readonly id: OsBackendId,
    private readonly service: string,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {
    this.label = LABELS[id];
    this.budget = new KeyringBudget(timeoutMs);
  }

  forService(service: string): OsKeyringBackend {
    return new OsKeyringBackend(this.id, service, this.env, this.timeoutMs);
  }

  // Creating an entry opens the D-Bus connection and can fail too: it belongs inside the guard.
  async get(name: string): Promise<string | undefined> {
    const value = await this.guard('read from', async () => (await this.entry(name)).getPassword());
    return value ?? undefined;
  }

  async set(name: string, value: string): Promise<void> {
    await this.guard('write to', async () => (await this.entry(name)).setPassword(value), value);
  }

  async delete(name: string): Promise<boolean> {
    return this.guard('delete from', async () => (await this.entry(name)).deleteCredential());
  }

  /**
   * Each entry opens its own D-Bus connection (~6 ms), so reading 10 keys one by one costs 60 ms
   * of a hook's budget. findCredentials reads them all over one connection; it cannot be pinned
   * to a store, so whatever it did not return is read again through a pinned entry, which turns
   * an unreachable Secret Service into its real error instead of "not stored".
   */
  async getMany(names: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (this.id !== 'keyutils') {
      const all = await this.guard('read from', async () => (await this.load()).findCredentialsAsync(this.service));
      const wanted = new Set(names);
      for (const c of all) if (wanted.has(c.account)) found.set(c.account, c.password);
    }
    for (const name of names) {
      if (found.has(name)) continue;
      const value = await this.get(name);
      if (value !== undefined) found.set(name, value);
    }
    return found;
  }

  async list(): Promise<string[]> {
    // findCredentials cannot be pinned to a store: probe the pinned store first so that an
    // unreachable Secret Service is an error here, not a silent keyutils listing.
    if (this.id === 'secret-service') await this.get('.keyring-inject-probe');
    const found = await this.guard('list', async () => (await this.load()).findCredentialsAsync(this.service));
    // Only names leave this function; the values findCredentials returns are dropped here.
    return found.map((c) => c.account).sort();
  }

  private async entry(name: string): Promise<InstanceType<NativeModule['AsyncEntry']>> {
    const native = await this.load();
    const options = this.id === 'keyutils' || this.id === 'secret-service' ? { linux: { store: this.id } } : undefined;
    return new native.AsyncEntry(this.service, name, options);
  }

  private async load(): Promise<NativeModule> {
    if (this.native) return this.native;
    this.checkPlatform();
    try {
      this.native = requireLazily('@napi-rs/keyring') as NativeModule;
    } catch (err) {
      throw new KeyringUnavailableError(
        `the native keyring binding (@napi-rs/keyring) has no build for ${process.platform}-${process.arch}`,
        'Reinstall with optional dependencies (npm install --include=optional keyring-inject)',
        { cause: err },
      );
    }
    return this.native;
  }

  /** Fail at once, with the fix, where we can already tell the store is unreachable. */
  private checkPlatform(): void {
    const wanted: Record<OsBackendId, NodeJS.Platform[]> = {
      'secret-service': ['linux', 'freebsd', 'openbsd'],
      keyutils: ['linux'],
      keychain: ['darwin'],
      wincred: ['win32'],
    };
    if (!wanted[this.id].includes(process.platform)) {
      throw new KeyringUnavailableError(`the ${this.id} keyring does not exist on ${process.platform}`, "Unset KEYRING_INJECT_BACKEND to use this platform's keyring");
    }
    if (this.id === 'secret-service' && !this.env.DBUS_SESSION_BUS_ADDRESS && !defaultBusExists(this.env)) {
      throw new KeyringUnavailableError('no D-Bus session bus, so no Secret Service (DBUS_SESSION_BUS_ADDRESS is not set)', HEADLESS_FIX);
    }
  }

  /** Run one native call under the command's keyring deadline and turn its failure into a one-line fix. */
  private async guard<T>(verb: string, call: () => Promise<T>, secret?: string): Promise<T> {
    try {
      return await this.budget.run(
        call,
        () => new KeyringUnavailableError(`the ${this.label} did not answer within ${this.timeoutMs} ms`, this.id === 'secret-service' ? HEADLESS_FIX : 'Unlock the keyring and try again'),
      );
    } catch (err) {
      if (err instanceof KeyringUnavailableError) throw err;
      throw this.explain(verb, err, secret);
    }
  }

  private explain(verb: string, err: unknown, secret?: string): KeyringUnavailableError {
    let raw = oneLine(err instanceof Error ? err.message : String(err));
    // Defence in depth: a native message must never carry the value we tried to store.
    if (secret) raw = raw.split(secret).join('[value]');
    raw = raw.slice(0, 200);
    const what = `could not ${verb} the ${this.label} (${raw})`;
    // The native error is the cause, except on a write: its message might quote the value.
    const cause = secret ? {} : { cause: err };
    if (this.id === 'secret-service') {
      if (/prompt was dismissed|locked/i.test(raw)) {
        return new KeyringUnavailableError(
          what,
          `The login collection is locked: unlock it (desktop: log in; headless: ${GNOME_KEYRING_STEPS.slice(1)
            .map((x) => `\`${x.command}\``)
            .join(', then ')}), or set KEYRING_INJECT_BACKEND=keyutils`,
          cause,
        );
      }
      if (verb === 'write to' && /no result found/i.test(raw)) return new KeyringUnavailableError(what, NO_COLLECTION_FIX, cause);
      if (/ServiceUnknown|not provided by any|org\.freedesktop\.secrets/i.test(raw)) {
        return new KeyringUnavailableError(what, `No Secret Service provider is running. ${HEADLESS_FIX}`, cause);
      }
      return new KeyringUnavailableError(what, HEADLESS_FIX, cause);
    }
    if (this.id === 'keyutils') {
      return new KeyringUnavailableError(what, 'Make sure a session keyring exists (`keyctl session -` starts one) and that keyutils is allowed in this container', cause);
    }
    return new KeyringUnavailableError(what, 'Unlock the keyring and try again', cause);
  }
}

function defaultBusExists(env: Readonly<Record<string, string | undefined>>): boolean {
  // libdbus falls back to $XDG_RUNTIME_DIR/bus when the address variable is unset.
  return Boolean(env.XDG_RUNTIME_DIR && existsSync(`${env.XDG_RUNTIME_DIR}/bus`));
}
