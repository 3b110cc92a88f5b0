// A reference to a secret held by some source: which source, the id it knows the secret by, and
// a few non-secret settings (project, region, file path...). Never a value. Pure and light: the
// registry parser imports it on the hooks' path.
//
// Ids and metadata end up as separate argv elements of vendor CLIs (never through a shell), so
// each source accepts only the characters its ids can have and nothing that starts with '-'
// (a CLI would read it as an option). Error messages never repeat an invalid id or value: a
// user who pasted a secret in the wrong place must not see it in a log.
import { pinMetadataProblem } from './vault-pin.js';

export const SOURCE_KINDS = ['keyring', 'pass', 'env-file', '1password', 'doppler', 'aws', 'gcp', 'keepassxc', 'age', 'vault', 'bitwarden', 'azure', 'infisical', 'os-keyring'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface SourceRef {
  source: SourceKind;
  /** What the source knows the secret by: keyring account, pass path, env-file variable, op:// URL, secret name or id. */
  id: string;
  /** Non-secret settings, strings only (see METADATA for the keys each source takes). */
  metadata?: Record<string, string>;
  /**
   * Runtime only, never persisted: the project root of a reference read from a project's
   * `.claude/secrets.json`. An env-file path is relative to it and must stay inside it.
   */
  root?: string;
}

/**
 * Other spellings of a source, as the secrets-management proposal writes them: `"built-in"` is our
 * own store, the OS keyring.
 */
export const SOURCE_ALIASES: Readonly<Record<string, SourceKind>> = { 'built-in': 'keyring' };

/** The source a name means: a kind, or an alias of one. */
export function sourceKindOf(v: unknown): SourceKind | undefined {
  if (isSourceKind(v)) return v;
  return typeof v === 'string' && Object.hasOwn(SOURCE_ALIASES, v) ? SOURCE_ALIASES[v] : undefined;
}

export function isSourceKind(v: unknown): v is SourceKind {
  return typeof v === 'string' && (SOURCE_KINDS as readonly string[]).includes(v);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const KEYRING_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// pass paths: letters, digits and a few punctuation marks; no leading '-', '.', '/'.
const PASS_ID = /^[A-Za-z0-9_@+][A-Za-z0-9._@+/ -]{0,254}$/;
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;
const DOPPLER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
// AWS secret names and ARNs: letters, digits and /_+=.@:-
const AWS_ID = /^[A-Za-z0-9/_+=.@][A-Za-z0-9/_+=.@:-]{0,2047}$/;
const AWS_REGION = /^[a-z]{2}(-[a-z0-9]+)+$/;
const GCP_SECRET = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;
// Project ids, numbers, and domain-scoped ids (example.com:my-project).
const GCP_PROJECT = /^[a-z0-9][a-z0-9.:-]{0,127}$/;
const GCP_VERSION = /^(latest|[1-9][0-9]{0,9})$/;
const OP_ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,253}$/;
// KeePassXC entry paths ('Group/Entry' or '/Group/Entry'): any printable text, no leading '-'.
const KEEPASSXC_ENTRY = /^[^\u0000-\u001f\u007f-][^\u0000-\u001f\u007f]{0,511}$/;
// Vault KV v2: MOUNT/PATH#FIELD. Every segment starts with a letter, digit or '_' (no '.', '..', no empty segment).
const VAULT_SEGMENT = '[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,127}';
const VAULT_ID = new RegExp(`^${VAULT_SEGMENT}(/${VAULT_SEGMENT}){1,31}#[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,255}$`);
const VAULT_NAMESPACE = new RegExp(`^${VAULT_SEGMENT}(/${VAULT_SEGMENT}){0,15}$`);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const AZURE_SECRET = /^[0-9A-Za-z][0-9A-Za-z-]{0,126}$/;
const AZURE_VAULT = /^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/;
const AZURE_VERSION = /^[0-9a-fA-F]{32}$/;
// Another program's keyring item (service, account): printable, not starting with '-'.
const KEYRING_ITEM = /^[^\u0000-\u001f\u007f-][^\u0000-\u001f\u007f]{0,255}$/;
const INFISICAL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,255}$/;
const INFISICAL_PATH = /^\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}){0,31})?$/;

/** Metadata keys each source takes; anything else is refused (a typo would otherwise be silently ignored). */
export const METADATA: Record<SourceKind, readonly string[]> = {
  keyring: [],
  pass: [],
  'env-file': ['path'],
  '1password': ['account'],
  doppler: ['project', 'config'],
  aws: ['region', 'profile', 'key'],
  gcp: ['project', 'version', 'key'],
  keepassxc: ['database', 'keyFile'],
  age: ['file', 'identity'],
  // addr, cacert: where the token may go, recorded by `add` (vault-pin.ts); never from a project file.
  vault: ['namespace', 'version', 'addr', 'cacert'],
  bitwarden: [],
  azure: ['vault', 'version'],
  infisical: ['project', 'env', 'path'],
  'os-keyring': ['service'],
};

/** Metadata that names a file: relative to the project root in a project file (and kept inside it), absolute in the user registry. */
export const PATH_METADATA: Partial<Record<SourceKind, readonly string[]>> = {
  'env-file': ['path'],
  keepassxc: ['database', 'keyFile'],
  age: ['file', 'identity'],
};

/** Metadata a reference of this source cannot do without. */
const REQUIRED_METADATA: Partial<Record<SourceKind, readonly string[]>> = {
  keepassxc: ['database'],
  age: ['file'],
  azure: ['vault'],
  'os-keyring': ['service'],
};

/**
 * `scheme://` at the start of an id. The AWS CLI expands `file://`, `fileb://` and (v1)
 * `http(s)://` in ANY parameter, so `--secret-id file://../.ssh/id_rsa` would send a local file
 * as the secret id; no source's real ids look like this (1Password's own `op://` aside), so it
 * is refused for every source rather than trusted to each id pattern.
 */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** What an id of each source looks like, for error messages. */
const ID_HINT: Record<SourceKind, string> = {
  keyring: "a keyring name: letters, digits, '.', '_' or '-'",
  pass: "a pass path such as 'github/token' (letters, digits, '/', '.', '_', '-', '@', '+', space; no '..')",
  'env-file': 'a variable name in the file, such as GITHUB_TOKEN',
  '1password': "a secret reference 'op://vault/item/field'",
  doppler: 'a Doppler secret name such as STRIPE_API_KEY',
  aws: 'a Secrets Manager secret name or ARN',
  gcp: 'a Secret Manager secret id (letters, digits, - and _)',
  keepassxc: "a KeePassXC entry path such as 'Dev/GitHub token' (not starting with '-')",
  age: 'a variable name in the encrypted dotenv file, such as GITHUB_TOKEN',
  vault: "MOUNT/PATH#FIELD, e.g. 'secret/myapp/github#token' (no '.' or '..' segments)",
  bitwarden: 'a Bitwarden Secrets Manager secret id (a UUID)',
  azure: 'a Key Vault secret name (letters, digits and -)',
  infisical: 'an Infisical secret name such as STRIPE_API_KEY',
  'os-keyring': 'the account of an item another program keeps in the OS keyring',
};

/** Why `ref` is not usable, or undefined. Names keys and sources only, never a given id or value. */
export function refProblem(ref: SourceRef): string | undefined {
  const { source, id } = ref;
  if (typeof id !== 'string' || id === '' || CONTROL.test(id)) return `the ${source} id is not valid: give ${ID_HINT[source]}`;
  if (SCHEME.test(id) && !(source === '1password' && id.startsWith('op://'))) {
    const why = source === 'aws' ? ', which the AWS CLI would read as a file or URL' : '';
    return `the ${source} id has a scheme (such as file:// or https://)${why}: give ${ID_HINT[source]}`;
  }
  if (!idOk(source, id)) return `the ${source} id is not valid: give ${ID_HINT[source]}`;
  for (const [k, v] of Object.entries(ref.metadata ?? {})) {
    if (!METADATA[source].includes(k)) {
      // The key is not repeated: it may be a value typed in the wrong place.
      const known = METADATA[source];
      return `${source} takes no metadata by the key given${known.length ? ` (it takes: ${known.join(', ')})` : ''}`;
    }
    if (typeof v !== 'string' || v === '' || CONTROL.test(v)) return `metadata.${k} of the ${source} reference must be a non-empty one-line string`;
    const bad = metadataProblem(source, k, v);
    if (bad) return bad;
  }
  for (const k of REQUIRED_METADATA[source] ?? []) {
    if (ref.metadata?.[k] === undefined) return `the ${source} reference needs metadata.${k} (--meta ${k}=...)`;
  }
  return undefined;
}

function idOk(source: SourceKind, id: string): boolean {
  switch (source) {
    case 'keyring':
      return KEYRING_ID.test(id);
    case 'pass':
      return PASS_ID.test(id) && !id.split('/').some((seg) => seg === '' || seg === '.' || seg === '..') && !id.endsWith(' ');
    case 'env-file':
      return ENV_VAR.test(id);
    case '1password':
      return id.startsWith('op://') && id.length <= 1024 && id.length > 'op://'.length;
    case 'doppler':
      return DOPPLER_NAME.test(id);
    case 'aws':
      return AWS_ID.test(id);
    case 'gcp':
      return GCP_SECRET.test(id);
    case 'keepassxc':
      return KEEPASSXC_ENTRY.test(id);
    case 'age':
      return ENV_VAR.test(id);
    case 'vault':
      return VAULT_ID.test(id);
    case 'bitwarden':
      return UUID.test(id);
    case 'azure':
      return AZURE_SECRET.test(id);
    case 'infisical':
      return INFISICAL_NAME.test(id);
    case 'os-keyring':
      return KEYRING_ITEM.test(id);
  }
}

function metadataProblem(source: SourceKind, key: string, v: string): string | undefined {
  const bad = (hint: string) => `metadata.${key} of the ${source} reference is not valid: ${hint}`;
  if (source === '1password' && key === 'account' && !OP_ACCOUNT.test(v)) return bad('give the account shorthand, sign-in address or id');
  if (source === 'doppler' && !SLUG.test(v)) return bad(`give the Doppler ${key} name`);
  if (source === 'aws' && key === 'region' && !AWS_REGION.test(v)) return bad('give a region such as eu-west-1');
  if (source === 'aws' && key === 'profile' && !SLUG.test(v)) return bad('give a profile name from ~/.aws/config');
  if (source === 'gcp' && key === 'project' && !GCP_PROJECT.test(v)) return bad('give a project id such as my-project');
  if (source === 'gcp' && key === 'version' && !GCP_VERSION.test(v)) return bad("give 'latest' or a version number");
  // Paths (env-file, keepassxc, age) are checked where the project root is known (source-path.ts); here only: no option.
  if (PATH_METADATA[source]?.includes(key) && v.startsWith('-')) return bad('give a file path (not starting with -)');
  if (source === 'vault' && key === 'namespace' && !VAULT_NAMESPACE.test(v)) return bad('give a namespace such as admin/team');
  if (source === 'vault' && key === 'version' && !/^[1-9][0-9]{0,9}$/.test(v)) return bad('give a version number');
  if (source === 'vault') return pinMetadataProblem(key, v);
  if (source === 'azure' && key === 'vault' && !AZURE_VAULT.test(v)) return bad('give the Key Vault name (3-24 letters, digits and -)');
  if (source === 'azure' && key === 'version' && !AZURE_VERSION.test(v)) return bad('give a secret version id (32 hex digits)');
  if (source === 'infisical' && (key === 'project' || key === 'env') && !SLUG.test(v)) return bad(`give the Infisical ${key === 'project' ? 'project id' : 'environment slug'}`);
  if (source === 'os-keyring' && !KEYRING_ITEM.test(v)) return bad('give the service name of the item');
  if (source === 'infisical' && key === 'path' && !INFISICAL_PATH.test(v)) return bad("give a folder path such as '/' or '/backend'");
  return undefined;
}

/** Short description for messages and listings, e.g. "pass github/token", "aws prod/db (eu-west-1)". */
export function describeRef(ref: SourceRef): string {
  const meta = Object.entries(ref.metadata ?? {}).map(([k, v]) => `${k}=${v}`);
  return `${ref.source} ${ref.id}${meta.length ? ` (${meta.join(', ')})` : ''}`;
}

/** Same source, id and metadata (the runtime root is not part of a reference's identity). */
export function sameRef(a: SourceRef, b: SourceRef): boolean {
  if (a.source !== b.source || a.id !== b.id) return false;
  const ma = a.metadata ?? {};
  const mb = b.metadata ?? {};
  const ka = Object.keys(ma).sort();
  const kb = Object.keys(mb).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && ma[k] === mb[k]);
}

/** The reference of a registry key: its own, or the keyring under the key's name (the default). */
export function keyringRef(name: string): SourceRef {
  return { source: 'keyring', id: name };
}

/**
 * Parse a reference from untrusted JSON (registry or project file). Returns the reference or a
 * one-line problem (never quoting the data).
 */
export function parseSourceRef(data: unknown, fallbackId: string): SourceRef | string {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'the source reference must be an object';
  const o = data as Record<string, unknown>;
  const source = sourceKindOf(o.source);
  if (source === undefined) return `"source" must be one of ${[...Object.keys(SOURCE_ALIASES), ...SOURCE_KINDS].join(', ')}`;
  const id = o.id === undefined ? fallbackId : o.id;
  if (typeof id !== 'string') return '"id" must be a string';
  let metadata: Record<string, string> | undefined;
  if (o.metadata !== undefined) {
    if (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata)) return '"metadata" must be an object of strings';
    metadata = {};
    for (const [k, v] of Object.entries(o.metadata as Record<string, unknown>)) {
      if (typeof v !== 'string') return '"metadata" must be an object of strings';
      metadata[k] = v;
    }
    if (Object.keys(metadata).length === 0) metadata = undefined;
  }
  const ref: SourceRef = { source, id, ...(metadata ? { metadata } : {}) };
  return refProblem(ref) ?? ref;
}
