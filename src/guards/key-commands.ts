// Shell commands that reach a stored key without going through Claude Code's config: those whose
// only purpose is to print one (our own run/exec/headers, the keyring's CLIs on our service) and
// those that lock, replace or stop the secret store, which would leave masking without the keyring's values.
// Pure text matches over one command line with its quotes removed; each rule is its own function,
// so that a caller can allow one form (e.g. `keyring-inject run -- CMD`) and keep the rest.
import { escapeRegExp } from './mask.js';

export interface KeyCommandContext {
  /** The keyring service our values are stored under. */
  service: string;
  /** Paths of our own CLI bundle (`node <path> run …` is `keyring-inject run …`). */
  cliPaths?: readonly string[];
}

/** Not part of a longer word or path part (a `-`, `.` or `_` joins words in command names). */
const B = '(?<![A-Za-z0-9_.-])';
const E = '(?![A-Za-z0-9_-])';

/** The command split at shell separators, so that options are looked for in one command only. */
function segments(plain: string): string[] {
  return plain.split(/[;&|\n(){}`]|\$\(/);
}

/** `keyring-inject run|exec|headers` (or our bundle by path): each prints or hands out stored keys. */
export function runsKeyPrintingSubcommand(plain: string, c: KeyCommandContext): boolean {
  if (new RegExp(`${B}keyring-inject(?:\\.js)?\\s+(?:run|exec|headers)${E}`).test(plain)) return true;
  return (c.cliPaths ?? []).some((p) => new RegExp(`${escapeRegExp(p)}\\s+(?:run|exec|headers)${E}`).test(plain));
}

/** Keyring CLIs and libraries; a command that uses one AND names our service reads our items. */
const KEYRING_CLIENTS = new RegExp(`${B}(?:secret-tool|security|keyctl|keyring|kwallet-query|secretstorage|gdbus|dbus-send|busctl|qdbus|get_password|get_credential)${E}`);

/** `secret-tool lookup|search` that does not restrict itself to another service: it can match our items by their other attributes. */
function secretToolMayMatchOurs(plain: string, c: KeyCommandContext): boolean {
  for (const seg of segments(plain)) {
    const words = seg.trim().split(/\s+/);
    const at = words.findIndex((w, i) => /(?:^|\/)secret-tool$/.test(w) && /^(?:lookup|search)$/.test(words[i + 1] ?? ''));
    if (at < 0) continue;
    const attrs = words.slice(at + 2).filter((w) => !w.startsWith('-'));
    const service = attrs.findIndex((w, i) => w === 'service' && i % 2 === 0);
    if (service < 0 || attrs[service + 1] === c.service) return true;
  }
  return false;
}

/** A command that would print a stored key: our key-printing subcommands, or a keyring client on our items. */
export function printsStoredKey(plain: string, c: KeyCommandContext): boolean {
  return runsKeyPrintingSubcommand(plain, c) || readsKeyringItems(plain, c);
}

/** A keyring client on our items (what is left to check in an allowed `keyring-inject run -- CMD`). */
export function readsKeyringItems(plain: string, c: KeyCommandContext): boolean {
  if (KEYRING_CLIENTS.test(plain) && plain.includes(c.service)) return true;
  if (secretToolMayMatchOurs(plain, c)) return true;
  // Every item of the keychain, ours included.
  return new RegExp(`${B}security\\s+dump-keychain${E}`).test(plain);
}

const STORE_DAEMONS = /gnome-keyring|kwalletd|ksecretd|keepassxc|secret-service|secretd/;
const STOP_VERBS = new RegExp(`${B}(?:pkill|killall|kill)${E}|${B}systemctl${E}[^\\n]*${B}(?:stop|restart|try-restart|reload-or-restart|kill|mask|disable)${E}`);
const SECRET_BUS_NAMES = /org\.freedesktop\.secrets|org\.freedesktop\.Secret\.|\/org\/freedesktop\/secrets|org\.kde\.kwallet|\/modules\/kwalletd/;
const BUS_CLIENTS = new RegExp(`${B}(?:dbus-send|gdbus|busctl|qdbus6?|qdbus-qt[56]|dbus)${E}`);

/** `gnome-keyring-daemon --replace` (or `-r` in a cluster of short options): a new daemon, possibly locked or empty. */
function replacesKeyringDaemon(plain: string): boolean {
  for (const seg of segments(plain)) {
    const words = seg.trim().split(/\s+/);
    const at = words.findIndex((w) => /(?:^|\/)gnome-keyring-daemon$/.test(w));
    if (at >= 0 && words.slice(at + 1).some((w) => w === '--replace' || /^-[a-z]*r[a-z]*$/.test(w))) return true;
  }
  return false;
}

/**
 * A command that locks, replaces or stops the OS secret store (or talks to it over raw D-Bus,
 * where Lock is one call away). With the store locked, no guard could read the values to mask.
 */
export function disablesSecretStore(plain: string): boolean {
  if (new RegExp(`${B}secret-tool\\s+lock${E}`).test(plain)) return true;
  if (BUS_CLIENTS.test(plain) && SECRET_BUS_NAMES.test(plain)) return true;
  if (replacesKeyringDaemon(plain)) return true;
  if (new RegExp(`${B}security\\s+(?:lock-keychain|delete-keychain|set-keychain-settings)${E}`).test(plain)) return true;
  if (STOP_VERBS.test(plain) && STORE_DAEMONS.test(plain)) return true;
  // Kernel keyutils (KEYRING_INJECT_BACKEND=keyutils): emptying or expiring keyrings.
  if (new RegExp(`${B}keyctl\\s+(?:purge|clear|revoke|unlink|invalidate|timeout|reject|negate)${E}`).test(plain)) return true;
  return /secretstorage[\s\S]*\block(?:_service)?\s*\(/.test(plain);
}
