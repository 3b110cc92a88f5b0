// The one list of API-key shapes the UserPromptSubmit guard refuses in a prompt even when the
// key is not registered with us. Only HIGH-CONFIDENCE shapes belong here: a fixed, documented
// prefix that real keys of that vendor carry, plus a long random body. A shape that also matches
// ordinary prose or code (base64 blobs, hex hashes, UUIDs, "password=...") does not: a false
// positive blocks the user's prompt, so every entry must be worth that.
//
// Each pattern is matched with a word boundary on the left (no letter, digit or '_' before it),
// and, where the vendor's length is fixed, on the right too, so that a longer random string that
// happens to contain the prefix is not taken for a key. Patterns are global-free and never
// captured: callers learn WHICH kind of key was found, never where or what it was.

export interface KeyShape {
  /** Stable identifier, for tests and JSON. */
  id: string;
  /** What the user is told, e.g. "a GitHub token" (never the value, not even partially). */
  kind: string;
  pattern: RegExp;
  /** What masking replaces, when more than the match itself (a whole PEM block). */
  span?: RegExp;
  /** Why this shape is high-confidence. */
  why: string;
}

/** No letter, digit or underscore directly before the match. */
const L = '(?<![A-Za-z0-9_])';

export const KEY_SHAPES: readonly KeyShape[] = [
  {
    id: 'stripe-live',
    kind: 'a Stripe live API key',
    pattern: new RegExp(`${L}(?:sk_live_|sk-live_|rk_live_)[A-Za-z0-9]{16,}`),
    why: 'Stripe secret (sk_) and restricted (rk_) live-mode keys carry a fixed "_live_" prefix followed by 24+ random alphanumerics; test-mode keys (sk_test_) are deliberately not listed.',
  },
  {
    id: 'github-token',
    kind: 'a GitHub token',
    pattern: new RegExp(`${L}gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9])`),
    why: 'GitHub classic personal access (ghp_), OAuth (gho_), user-to-server (ghu_), server-to-server (ghs_) and refresh (ghr_) tokens: a fixed prefix and exactly 36 base62 characters (the last 6 a checksum).',
  },
  {
    id: 'github-fine-grained-pat',
    kind: 'a GitHub fine-grained personal access token',
    pattern: new RegExp(`${L}github_pat_[A-Za-z0-9_]{22,}`),
    why: 'GitHub fine-grained tokens start with "github_pat_" followed by 82 characters of [A-Za-z0-9_]; 22 is the length of their first part.',
  },
  {
    id: 'aws-access-key-id',
    kind: 'an AWS access key ID',
    pattern: new RegExp(`${L}(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])`),
    why: 'AWS access key IDs: "AKIA" (long-term) or "ASIA" (temporary, STS) plus exactly 16 upper-case base32 characters. Not secret by itself, but it is almost always pasted together with its secret access key.',
  },
  {
    id: 'slack-token',
    kind: 'a Slack token',
    pattern: new RegExp(`${L}xox[abp]-[0-9]+-[0-9A-Za-z][0-9A-Za-z-]{8,}`),
    why: 'Slack bot (xoxb-), user (xoxp-) and app/workspace (xoxa-) tokens: the prefix, a numeric team or user id, then more dash-separated random parts.',
  },
  {
    id: 'anthropic-api-key',
    kind: 'an Anthropic API key',
    pattern: new RegExp(`${L}sk-ant-[A-Za-z0-9_-]{20,}`),
    why: 'Anthropic keys start with "sk-ant-" (e.g. sk-ant-api03-, sk-ant-admin01-, sk-ant-oat01-) followed by ~90 characters of [A-Za-z0-9_-].',
  },
  {
    id: 'openai-api-key',
    kind: 'an OpenAI API key',
    pattern: new RegExp(`${L}sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}`),
    why: 'OpenAI project, service-account and admin keys carry "sk-proj-", "sk-svcacct-" or "sk-admin-" and a long random body (legacy "sk-" + 48 is too generic to list).',
  },
  {
    id: 'google-api-key',
    kind: 'a Google API key',
    pattern: new RegExp(`${L}AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])`),
    why: 'Google Cloud / Maps / Gemini API keys: "AIza" followed by exactly 35 characters of [0-9A-Za-z_-].',
  },
  {
    id: 'gitlab-pat',
    kind: 'a GitLab personal access token',
    pattern: new RegExp(`${L}glpat-[0-9A-Za-z_-]{20,}`),
    why: 'GitLab personal access tokens start with "glpat-" followed by 20+ random characters.',
  },
  {
    id: 'npm-token',
    kind: 'an npm access token',
    pattern: new RegExp(`${L}npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])`),
    why: 'npm granular and automation tokens: "npm_" plus exactly 36 base62 characters (with a checksum).',
  },
  {
    id: 'pem-private-key',
    kind: 'a private key (PEM)',
    // The armour line, optional header lines (Proc-Type, DEK-Info, Version...), then the start of a
    // base64 body: a bare "-----BEGIN RSA PRIVATE KEY-----" in a question about the format is not a key.
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----\s+(?:[A-Za-z-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=]{20}/,
    span: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/,
    why: 'PEM / OpenSSH / PGP armour of a private key ("-----BEGIN ... PRIVATE KEY-----") followed by its base64 body.',
  },
];

/** The shapes found in `text` (each at most once, in list order). Never where, never what. */
export function findKeyShapes(text: string): KeyShape[] {
  return KEY_SHAPES.filter((s) => s.pattern.test(text));
}

const GLOBAL_SHAPES = KEY_SHAPES.map((s) => ({ shape: s, re: new RegExp((s.span ?? s.pattern).source, 'g') }));

/** Replace every key shape in `text` by `[keyring-inject:<id>]`; `names` are the shape ids found.
 * The PostToolUse guard's fallback when the keyring cannot be read. */
export function maskKeyShapes(text: string): { text: string; names: string[] } {
  const names: string[] = [];
  let out = text;
  for (const { shape, re } of GLOBAL_SHAPES) {
    const next = out.replace(re, `[keyring-inject:${shape.id}]`);
    if (next !== out) names.push(shape.id);
    out = next;
  }
  return { text: out, names };
}
