// Is a plaintext value in a server's `env` or `headers` a secret worth moving into the keyring?
// Every value is a candidate unless one of these rules says it is obviously not a secret
// (docs/zero-disk.md documents the same list):
//   - empty, or a `${VAR}` reference (Claude Code expands it; nothing to move)
//   - a boolean word: true false yes no on off (any case)
//   - a short number: at most 6 digits, optionally signed or with decimals (ports, timeouts, ids)
//   - a path: starts with / ~/ ./ ../ or a drive letter (C:\ or C:/), with no whitespace
//   - a URL without credentials: scheme://..., no user:password@, no query parameter whose
//     name looks secret (key, token, secret, password, sig, auth, ...)
//   - a plain word of at most 16 letters, '-' or '_' without digits (info, production,
//     us-east), unless the variable's NAME looks secret (KEY, TOKEN, SECRET, PASSWORD, ...)
//   - headers only: well-known non-secret header names (Accept, Content-Type, User-Agent, ...)
// `import --include SERVER.NAME` / `--exclude SERVER.NAME` override the rules per variable.

export type Verdict = { secret: true; why: string } | { secret: false; why: string };

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|PASS|AUTH|CREDENTIAL|BEARER|COOKIE|SESSION|PRIVATE|SIGNATURE|PAT$|^PAT)/i;
const SECRET_PARAM = /(key|token|secret|passw|pwd|sig|auth|credential|session|code)/i;
const BOOLEAN = /^(true|false|yes|no|on|off)$/i;
const SHORT_NUMBER = /^[+-]?\d{1,6}(\.\d+)?$/;
const PATH = /^(\/|~\/|~$|\.{1,2}\/|[A-Za-z]:[\\/])\S*$/;
const PLAIN_WORD = /^[A-Za-z][A-Za-z_-]{0,15}$/;
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const PUBLIC_HEADERS = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'content-type',
  'host',
  'mcp-protocol-version',
  'origin',
  'referer',
  'user-agent',
  'x-request-id',
]);

export function isReference(value: string): boolean {
  return value.includes('${');
}

export function nameLooksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

function urlVerdict(value: string): Verdict {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return { secret: true, why: 'unparseable URL' };
  }
  if (u.username || u.password) return { secret: true, why: 'URL with credentials' };
  for (const name of u.searchParams.keys()) if (SECRET_PARAM.test(name)) return { secret: true, why: 'URL with a secret-looking query parameter' };
  return { secret: false, why: 'URL without credentials' };
}

/** The verdict for an env value (`name` is the variable name). */
export function classifyEnv(name: string, value: string): Verdict {
  if (value === '') return { secret: false, why: 'empty' };
  if (isReference(value)) return { secret: false, why: '${VAR} reference' };
  if (BOOLEAN.test(value)) return { secret: false, why: 'boolean' };
  if (SHORT_NUMBER.test(value)) return { secret: false, why: 'short number' };
  if (PATH.test(value)) return { secret: false, why: 'path' };
  if (URL_LIKE.test(value)) return urlVerdict(value);
  if (PLAIN_WORD.test(value) && !nameLooksSecret(name)) return { secret: false, why: 'plain word' };
  return { secret: true, why: nameLooksSecret(name) ? 'secret-looking name' : 'opaque value' };
}

/** The verdict for an http header value. */
export function classifyHeader(name: string, value: string): Verdict {
  if (PUBLIC_HEADERS.has(name.toLowerCase()) || name.toLowerCase().startsWith('accept-')) return { secret: false, why: 'public header' };
  return classifyEnv(name, value);
}

/**
 * Split a header value into a keyring value and a template: "Bearer abc" -> template
 * "Bearer {value}", value "abc" (also Token, Basic, Bot); anything else -> "{value}".
 */
export function headerTemplate(value: string): { template: string; secret: string } {
  const m = /^(Bearer|Token|Basic|Bot|token|bearer)( +)(\S.*)$/.exec(value);
  if (m) return { template: `${m[1]}${m[2]}{value}`, secret: m[3] as string };
  return { template: '{value}', secret: value };
}
