// Validation of the identifiers users type. Names end up in keyring attributes, JSON keys
// and messages, so they are restricted to printable, unambiguous characters.
import { UsageError } from './errors.js';

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkKeyName(name: string): string {
  if (!KEY_NAME.test(name)) {
    throw new UsageError(
      `invalid key name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)`,
    );
  }
  return name;
}

export function checkEnvName(name: string): string {
  if (!ENV_NAME.test(name)) {
    throw new UsageError(
      `invalid environment variable name ${JSON.stringify(name)}: use letters, digits and '_', not starting with a digit`,
    );
  }
  return name;
}

export function checkServerName(name: string): string {
  if (name.length === 0 || name.length > 256 || CONTROL.test(name)) {
    throw new UsageError(`invalid server name ${JSON.stringify(name)}: give the MCP server's name as in 'claude mcp list'`);
  }
  return name;
}

/** A sensible default env var for a key name: "github-token" -> "GITHUB_TOKEN". */
export function defaultEnvName(keyName: string): string {
  const upper = keyName.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(upper) ? `_${upper}` : upper;
}
