// Validation of the identifiers users type. Names end up in keyring attributes, JSON keys
// and messages, so they are restricted to printable, unambiguous characters. A rejected one is
// never repeated: it may be a value typed in the wrong place.
import { UsageError } from './errors.js';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkKeyName(name: string): string {
  if (!KEY_NAME.test(name)) {
    throw new UsageError("invalid key name: use letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit); it is not repeated here");
  }
  return name;
}

/**
 * A valid key name that reads like a name (words of at most 16 characters between '-', '_' or
 * '.'), quoted in a "no key named ..." message; undefined for one that could be a value typed in
 * the wrong place (a long unbroken run, as tokens have), which is then not repeated.
 */
export function nameToShow(name: string): string | undefined {
  return KEY_NAME.test(name) && name.length <= 64 && name.split(/[-_.]/).every((w) => w.length <= 16) ? name : undefined;
}

/** "no key named NAME", or the same without the name when it might be a value. */
export function noKeyNamed(name: string): string {
  const shown = nameToShow(name);
  return shown ? `no key named ${shown}` : 'no key by the NAME given (not repeated here: it could be a value)';
}

export function checkEnvName(name: string): string {
  if (!ENV_NAME.test(name)) {
    throw new UsageError("invalid environment variable name: use letters, digits and '_', not starting with a digit (name only: a value never goes on the command line); it is not repeated here");
  }
  return name;
}

export function checkServerName(name: string): string {
  if (name.length === 0 || name.length > 256 || CONTROL.test(name)) {
    throw new UsageError("invalid server name: give the MCP server's name as in 'claude mcp list'; it is not repeated here");
  }
  return name;
}

/** A sensible default env var for a key name: "github-token" -> "GITHUB_TOKEN". */
export function defaultEnvName(keyName: string): string {
  const upper = keyName.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(upper) ? `_${upper}` : upper;
}

/** "1st", "2nd", "3rd", "4th"... for messages that name an argument by position instead of repeating it. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
