// Sources read through a vendor CLI: pass, 1Password (op), Doppler, AWS Secrets Manager (aws),
// Google Secret Manager (gcloud), Bitwarden Secrets Manager (bws), Azure Key Vault (az), Infisical. Each builds an argv array from the reference (validated by
// ref.ts: nothing starts with '-'), runs it through runCli, and picks the value from stdout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../core/paths.js';
import { chompOne, findOnPath, NETWORK_ENV, runCli, type VendorCli } from './cli-run.js';
import type { SourceKind, SourceRef } from '../registry/source-ref.js';
import type { Availability, Outcome, SecretSource, SourceContext, SourceRequest } from './source.js';

interface CliSourceSpec {
  kind: SourceKind;
  label: string;
  cli: VendorCli;
  argv(ref: SourceRef): string[];
  /** Value from stdout (already known to be exit 0). */
  pick(stdout: string, ref: SourceRef): Outcome;
  /** stderr patterns that mean "nothing under this id" (the CLI works). */
  notFound: RegExp;
  /** Fix for "nothing under this id". */
  missingFix(ref: SourceRef): string;
  /** Fix for any other failure (usually: log in). */
  loginFix: string;
  /** Extra local checks (the store exists...). */
  extraCheck?(env: Env): string | undefined;
}

/** Which metadata field names are fetch-relevant: the JSON field pick ('key') is applied after fetching. */
function fetchIdentity(ref: SourceRef): string {
  const { key: _pick, ...rest } = ref.metadata ?? {};
  return JSON.stringify([ref.source, ref.id, Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))]);
}

function nonEmpty(value: string, ref: SourceRef, what: string): Outcome {
  return value === '' ? { kind: 'missing', reason: `${what} returned an empty value for ${ref.id}` } : { kind: 'value', value };
}

/** For aws/gcp: metadata.key picks one field of a JSON secret. */
function pickJsonField(raw: string, ref: SourceRef, what: string): Outcome {
  const field = ref.metadata?.key;
  if (field === undefined) return nonEmpty(raw, ref, what);
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { kind: 'failed', reason: `the ${what} secret ${ref.id} is not a JSON object, so metadata.key cannot pick a field from it: remove metadata.key` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { kind: 'failed', reason: `the ${what} secret ${ref.id} is not a JSON object, so metadata.key cannot pick a field from it: remove metadata.key` };
  }
  const v = (data as Record<string, unknown>)[field];
  if (v === undefined || v === null) return { kind: 'missing', reason: `the ${what} secret ${ref.id} has no field "${field}": fix metadata.key` };
  if (typeof v === 'string') return nonEmpty(v, ref, what);
  if (typeof v === 'number' || typeof v === 'boolean') return { kind: 'value', value: String(v) };
  return { kind: 'failed', reason: `field "${field}" of the ${what} secret ${ref.id} is not a string: pick a string field` };
}

const PASS: CliSourceSpec = {
  kind: 'pass',
  label: 'pass (password-store)',
  cli: {
    bin: 'pass',
    what: 'pass (the standard unix password manager)',
    install: "install it with 'sudo apt-get install pass gnupg' (or your package manager), then 'pass init <gpg-key-id>'",
    envNames: ['GNUPGHOME', 'GPG_TTY', 'GPG_AGENT_INFO', 'DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR'],
    envPrefixes: ['PASSWORD_STORE_'],
  },
  argv: (ref) => ['show', ref.id],
  // `pass show` prints the whole entry; by convention its first line is the password.
  pick: (stdout, ref) => nonEmpty((stdout.split('\n')[0] ?? '').replace(/\r$/, ''), ref, 'pass'),
  notFound: /is not in the password store/i,
  missingFix: (ref) => `add it with 'pass insert ${ref.id}'`,
  loginFix: 'make sure gpg can decrypt it (the key is in the keyring of GNUPGHOME, gpg-agent runs and can ask for the passphrase, or it is cached)',
  extraCheck(env) {
    const dir = env.PASSWORD_STORE_DIR || (env.HOME ? join(env.HOME, '.password-store') : undefined);
    if (!dir || !existsSync(join(dir, '.gpg-id'))) return `no password store at ${dir ?? '~/.password-store'}: create one with 'pass init <gpg-key-id>' (or set PASSWORD_STORE_DIR)`;
    if (!findOnPath('gpg', env) && !findOnPath('gpg2', env)) return "gpg is not installed: install it with 'sudo apt-get install gnupg'";
    return undefined;
  },
};

const ONEPASSWORD: CliSourceSpec = {
  kind: '1password',
  label: '1Password',
  cli: {
    bin: 'op',
    what: 'the 1Password CLI (op)',
    install: 'install it (https://developer.1password.com/docs/cli/get-started/) and sign in',
    envNames: ['XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR', ...NETWORK_ENV],
    envPrefixes: ['OP_'],
  },
  argv: (ref) => ['read', ref.id, ...(ref.metadata?.account ? ['--account', ref.metadata.account] : [])],
  pick: (stdout, ref) => nonEmpty(chompOne(stdout), ref, '1Password'),
  notFound: /isn't an item|could not find|not found|no item found|isn't a vault|isn't a field/i,
  missingFix: () => "check the op:// reference (copy it with 'Copy Secret Reference' in 1Password)",
  loginFix: "sign in with 'op signin' (or turn on the desktop app integration, or set OP_SERVICE_ACCOUNT_TOKEN)",
};

const DOPPLER: CliSourceSpec = {
  kind: 'doppler',
  label: 'Doppler',
  cli: {
    bin: 'doppler',
    what: 'the Doppler CLI (doppler)',
    install: 'install it (https://docs.doppler.com/docs/install-cli) and log in',
    envNames: ['XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS', ...NETWORK_ENV],
    envPrefixes: ['DOPPLER_'],
  },
  argv: (ref) => ['secrets', 'get', ref.id, '--plain', ...(ref.metadata?.project ? ['--project', ref.metadata.project] : []), ...(ref.metadata?.config ? ['--config', ref.metadata.config] : [])],
  pick: (stdout, ref) => nonEmpty(chompOne(stdout), ref, 'Doppler'),
  notFound: /could not find requested secret|not found|does not exist/i,
  missingFix: (ref) => `add secret ${ref.id} in Doppler, or fix metadata.project / metadata.config`,
  loginFix: "log in with 'doppler login' (or set DOPPLER_TOKEN) and check metadata.project / metadata.config ('doppler setup')",
};

const AWS: CliSourceSpec = {
  kind: 'aws',
  label: 'AWS Secrets Manager',
  cli: {
    bin: 'aws',
    what: 'the AWS CLI (aws)',
    install: 'install it (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html) and configure credentials',
    envNames: [...NETWORK_ENV],
    envPrefixes: ['AWS_'],
  },
  argv: (ref) => [
    'secretsmanager',
    'get-secret-value',
    '--secret-id',
    ref.id,
    '--query',
    'SecretString',
    '--output',
    'text',
    ...(ref.metadata?.region ? ['--region', ref.metadata.region] : []),
    ...(ref.metadata?.profile ? ['--profile', ref.metadata.profile] : []),
  ],
  pick(stdout, ref) {
    const raw = chompOne(stdout);
    // --query SecretString prints "None" for a secret stored as SecretBinary.
    if (raw === 'None') return { kind: 'failed', reason: `the AWS secret ${ref.id} has no SecretString (binary secrets are not supported): store it as a string` };
    return pickJsonField(raw, ref, 'AWS');
  },
  notFound: /ResourceNotFoundException|can't find the specified secret/i,
  missingFix: (ref) => `create it ('aws secretsmanager create-secret --name ${ref.id}') or fix the id / metadata.region`,
  loginFix: "configure credentials ('aws configure', 'aws sso login', or AWS_PROFILE) and check metadata.region",
};

const GCP: CliSourceSpec = {
  kind: 'gcp',
  label: 'Google Secret Manager',
  cli: {
    bin: 'gcloud',
    what: 'the Google Cloud CLI (gcloud)',
    install: "install it (https://cloud.google.com/sdk/docs/install) and run 'gcloud auth login'",
    envNames: ['GOOGLE_APPLICATION_CREDENTIALS', ...NETWORK_ENV],
    envPrefixes: ['CLOUDSDK_'],
  },
  argv: (ref) => ['secrets', 'versions', 'access', ref.metadata?.version ?? 'latest', `--secret=${ref.id}`, ...(ref.metadata?.project ? [`--project=${ref.metadata.project}`] : [])],
  pick: (stdout, ref) => pickJsonField(chompOne(stdout), ref, 'Google'),
  notFound: /NOT_FOUND|not found/i,
  missingFix: (ref) => `create it ('gcloud secrets create ${ref.id}') or fix the id / metadata.project`,
  loginFix: "log in with 'gcloud auth login' (or set GOOGLE_APPLICATION_CREDENTIALS) and check metadata.project",
};

const BITWARDEN: CliSourceSpec = {
  kind: 'bitwarden',
  label: 'Bitwarden Secrets Manager',
  cli: {
    bin: 'bws',
    what: 'the Bitwarden Secrets Manager CLI (bws)',
    install: 'install it (https://bitwarden.com/help/secrets-manager-cli/) and set BWS_ACCESS_TOKEN',
    envNames: ['XDG_CONFIG_HOME', ...NETWORK_ENV],
    envPrefixes: ['BWS_'],
  },
  // Prints the secret as a JSON object; its "value" is the secret.
  argv: (ref) => ['secret', 'get', ref.id, '--output', 'json'],
  pick(stdout, ref) {
    let data: unknown;
    try {
      data = JSON.parse(stdout);
    } catch {
      return { kind: 'failed', reason: `\`bws secret get\` did not print a JSON secret for ${ref.id}: update bws` };
    }
    const v = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).value : undefined;
    if (typeof v !== 'string') return { kind: 'failed', reason: `\`bws secret get\` printed no "value" for ${ref.id}: update bws` };
    return nonEmpty(v, ref, 'Bitwarden');
  },
  notFound: /404|not found|Resource not found/i,
  missingFix: () => 'check the secret id (bws secret list) and that the machine account can read its project',
  loginFix: 'set BWS_ACCESS_TOKEN to a machine account access token (and BWS_SERVER_URL for a self-hosted server)',
};

const AZURE: CliSourceSpec = {
  kind: 'azure',
  label: 'Azure Key Vault',
  cli: {
    bin: 'az',
    what: 'the Azure CLI (az)',
    install: "install it (https://learn.microsoft.com/cli/azure/install-azure-cli) and run 'az login'",
    envNames: ['REQUESTS_CA_BUNDLE', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'MSI_SECRET', ...NETWORK_ENV],
    envPrefixes: ['AZURE_'],
  },
  argv: (ref) => [
    'keyvault',
    'secret',
    'show',
    '--vault-name',
    ref.metadata?.vault ?? '',
    '--name',
    ref.id,
    ...(ref.metadata?.version ? ['--version', ref.metadata.version] : []),
    '--query',
    'value',
    '--output',
    'tsv',
  ],
  pick: (stdout, ref) => nonEmpty(chompOne(stdout), ref, 'Azure Key Vault'),
  notFound: /SecretNotFound|was not found in this key vault/i,
  missingFix: (ref) => `create it ('az keyvault secret set --vault-name ${ref.metadata?.vault ?? 'V'} --name ${ref.id}') or fix the id / metadata.vault`,
  loginFix: "log in with 'az login' (or a service principal / managed identity) and check metadata.vault and your access to it",
};

const INFISICAL: CliSourceSpec = {
  kind: 'infisical',
  label: 'Infisical',
  cli: {
    bin: 'infisical',
    what: 'the Infisical CLI (infisical)',
    install: "install it (https://infisical.com/docs/cli/overview) and run 'infisical login' (or set INFISICAL_TOKEN)",
    envNames: ['XDG_CONFIG_HOME', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', ...NETWORK_ENV],
    envPrefixes: ['INFISICAL_'],
  },
  argv: (ref) => [
    'secrets',
    'get',
    ref.id,
    '--plain',
    ...(ref.metadata?.project ? [`--projectId=${ref.metadata.project}`] : []),
    ...(ref.metadata?.env ? [`--env=${ref.metadata.env}`] : []),
    ...(ref.metadata?.path ? [`--path=${ref.metadata.path}`] : []),
  ],
  // A name the project does not have is printed as the placeholder "*not found*" (exit 0).
  pick: (stdout, ref) => {
    const v = chompOne(stdout);
    if (v === '*not found*') return { kind: 'missing', reason: `Infisical has no ${ref.id}: add it in Infisical, or fix metadata.project / metadata.env / metadata.path` };
    return nonEmpty(v, ref, 'Infisical');
  },
  notFound: /not found|does not exist/i,
  missingFix: () => 'add it in Infisical, or fix metadata.project / metadata.env / metadata.path',
  loginFix: "log in with 'infisical login' (or set INFISICAL_TOKEN) and check metadata.project / metadata.env",
};

function cliSource(spec: CliSourceSpec): SecretSource {
  return {
    kind: spec.kind,
    label: spec.label,

    async available(ctx: SourceContext): Promise<Availability> {
      if (!findOnPath(spec.cli.bin, ctx.env)) return { ok: false, reason: `${spec.cli.what} is not installed or not on PATH: ${spec.cli.install}` };
      const extra = spec.extraCheck?.(ctx.env);
      return extra ? { ok: false, reason: extra } : { ok: true };
    },

    async resolve(requests: readonly SourceRequest[], ctx: SourceContext): Promise<Map<string, Outcome>> {
      // One call per distinct secret (two keys picking two fields of one AWS secret read it once).
      const calls = new Map<string, Promise<{ ok: true; stdout: string } | { ok: false; outcome: Outcome }>>();
      const fetch = (ref: SourceRef) => {
        const id = fetchIdentity(ref);
        let call = calls.get(id);
        if (!call) {
          call = limit(async () => {
            const r = await runCli(spec.cli, spec.argv(ref), ctx.env, ctx.timeoutMs);
            if (r.ok) return r;
            if (r.kind === 'exit' && spec.notFound.test(r.allStderr ?? r.stderr)) return { ok: false, outcome: { kind: 'missing', reason: `${spec.label} has no ${ref.id}: ${spec.missingFix(ref)}` } };
            return { ok: false, outcome: { kind: 'failed', reason: r.kind === 'exit' ? `${r.reason}: ${spec.loginFix}` : r.reason } };
          });
          calls.set(id, call);
        }
        return call;
      };
      const out = new Map<string, Outcome>();
      await Promise.all(
        requests.map(async (req) => {
          const r = await fetch(req.ref);
          out.set(req.name, r.ok ? spec.pick(r.stdout, req.ref) : r.outcome);
        }),
      );
      return out;
    },
  };
}

// At most 4 vendor CLI processes at a time (a project with 20 Doppler keys must not fork 20 CLIs at once).
const MAX_PARALLEL = 4;
let running = 0;
const waiting: (() => void)[] = [];
export async function limit<T>(fn: () => Promise<T>): Promise<T> {
  // A finished call hands its slot straight to the next waiter, so there are never more than MAX_PARALLEL.
  if (running >= MAX_PARALLEL) await new Promise<void>((r) => waiting.push(r));
  else running++;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export const passSource = cliSource(PASS);
export const onePasswordSource = cliSource(ONEPASSWORD);
export const dopplerSource = cliSource(DOPPLER);
export const awsSource = cliSource(AWS);
export const gcpSource = cliSource(GCP);
export const bitwardenSource = cliSource(BITWARDEN);
export const azureSource = cliSource(AZURE);
export const infisicalSource = cliSource(INFISICAL);

const SPECS = { pass: PASS, '1password': ONEPASSWORD, doppler: DOPPLER, aws: AWS, gcp: GCP, bitwarden: BITWARDEN, azure: AZURE, infisical: INFISICAL };

/** The argv a source sends for a reference (for documentation and tests). */
export function vendorArgv(kind: keyof typeof SPECS, ref: SourceRef): { bin: string; args: string[] } {
  const spec = SPECS[kind];
  return { bin: spec.cli.bin, args: spec.argv(ref) };
}
