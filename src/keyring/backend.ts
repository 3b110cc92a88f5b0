// The one interface every secret store implements (modelled on 99designs/keyring):
// get, set, delete, list. Values are opaque strings that never leave memory.

export type BackendId = 'secret-service' | 'keychain' | 'wincred' | 'keyutils' | 'memory';

export interface SecretBackend {
  readonly id: BackendId;
  /** Human-readable store name for messages, e.g. "Secret Service (gnome-keyring, KWallet)". */
  readonly label: string;
  /** The stored value, or undefined when nothing is stored under that name. */
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  /** True if something was deleted, false if nothing was stored. */
  delete(name: string): Promise<boolean>;
  /** Names stored under our service, sorted. */
  list(): Promise<string[]>;
  /** The values of several names at once (absent names are left out): one keyring round trip where the store allows it. */
  getMany(names: readonly string[]): Promise<Map<string, string>>;
  /** The same store, under another service name: items other programs keep there (read by the os-keyring source). */
  forService?(service: string): SecretBackend;
}

/** All values live under one service name; tests use their own to stay apart. */
export const DEFAULT_SERVICE = 'keyring-inject';
