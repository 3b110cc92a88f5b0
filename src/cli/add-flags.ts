// The flags `add` shares between a key of the user's registry and a project file's reference:
// the value's source (--source/--id/--meta) and --host, parsed; and the terminal the add ops
// talk to the user through.
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { normalizeHosts } from '../core/hosts.js';
import { PATH_METADATA, SOURCE_KINDS, sourceKindOf, type SourceKind, type SourceRef } from '../registry/source-ref.js';
import { checkedRef, type KeyInput } from '../ops/key-sources.js';
import { bool, list, str, type Parsed } from './args.js';
import { output, type CliContext } from './cli-context.js';
import { askLine, readSecret } from './secret-input.js';

/** The flags `add` gains. */
export const SOURCE_FLAGS = {
  source: { type: 'string' },
  id: { type: 'string' },
  meta: { type: 'string', multiple: true },
} as const;

export const SOURCE_HELP = `  --source KIND  where the value lives: keyring (default: stored by add, in the OS keyring),
                 pass, env-file, 1password, doppler, aws, gcp, keepassxc, age, vault,
                 bitwarden, azure or infisical (add stores no value then: it records the
                 reference and the source is asked whenever the key is needed; keepassxc:
                 the database password is asked once and kept in the keyring; age: the value
                 is written encrypted into the file, from --stdin or the prompt)
  --id ID        the source's name for the secret: pass path (github/token), variable in the
                 env or age file, op://vault/item/field, Doppler/AWS/GCP/Azure/Infisical secret
                 name, KeePassXC entry (Group/Title), Vault MOUNT/PATH#FIELD, Bitwarden secret
                 id (default: NAME; for --source keyring only with --project)
  --meta K=V     source settings (repeat): env-file path=FILE; 1password account=A;
                 doppler project=P, config=C; aws region=R, profile=P, key=JSON_FIELD;
                 gcp project=P, version=N, key=JSON_FIELD; keepassxc database=FILE,
                 keyFile=FILE; age file=FILE, identity=FILE; vault namespace=NS, version=N,
                 addr=URL (default: VAULT_ADDR), cacert=FILE (default: VAULT_CACERT);
                 azure vault=V, version=ID; infisical project=ID, env=SLUG, path=/FOLDER`;

export const HOST_HELP = `  --host HOST    a host the key may be sent to (repeat for several): 'api.example.com',
                 'localhost:8443' (a port; without one, 443/80 only), '*.example.com' (every
                 subdomain). The key becomes a placeholder key: 'keyring-inject run' gives its
                 command a placeholder, and a local proxy puts the value into HTTP(S) requests to
                 these hosts only. For HTTP APIs only: a database URL, an SSH key or any
                 non-HTTP use needs the value itself, so give such a key no --host`;

/** `--host` values, validated, in their one spelling. */
export function hostsFromFlags(p: Parsed): string[] {
  return normalizeHosts(list(p, 'host'), (host, why) => {
    throw new UsageError(`--host ${JSON.stringify(host).slice(0, 80)} is not a valid host: ${why}`);
  });
}

export function sourceKindFromFlags(p: Parsed): SourceKind | undefined {
  const v = str(p, 'source');
  if (v === undefined) return undefined;
  const kind = sourceKindOf(v);
  if (kind === undefined) throw new UsageError(`--source must be one of ${SOURCE_KINDS.join(', ')}`);
  return kind;
}

export function metadataFromFlags(p: Parsed): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const item of list(p, 'meta')) {
    const eq = item.indexOf('=');
    const k = eq === -1 ? '' : item.slice(0, eq);
    if (!/^[a-z][A-Za-z0-9_-]{0,31}$/.test(k)) throw new UsageError('--meta takes KEY=VALUE, e.g. --meta region=eu-west-1');
    out[k] = item.slice(eq + 1);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The source of a key of the user registry, from the flags: undefined for the default (the
 * keyring under NAME). env-file paths are made absolute (relative to the current directory).
 */
export function userSourceFromFlags(p: Parsed, name: string, cwd: string): SourceRef | undefined {
  const kind = sourceKindFromFlags(p);
  const id = str(p, 'id');
  const metadata = metadataFromFlags(p);
  if (kind === undefined || kind === 'keyring') {
    if (id !== undefined && id !== name) throw new UsageError('--id with the keyring source goes with --project: a key of your registry is stored under its own NAME');
    if (metadata) throw new UsageError('--meta goes with --source (the keyring takes none)');
    return undefined;
  }
  // Files named on the command line are relative to the current directory; the registry keeps them absolute.
  const meta = kind === 'env-file' ? { path: '.env', ...metadata } : metadata;
  for (const k of PATH_METADATA[kind] ?? []) if (meta?.[k] !== undefined && !meta[k].startsWith('-')) meta[k] = resolve(cwd, meta[k]);
  return checkedRef({ source: kind, id: id ?? name, ...(meta ? { metadata: meta } : {}) });
}

/** The terminal as the add ops talk to the user: hidden prompt or --stdin for values, visible questions, notes and warnings on stderr, what was done on stdout. */
export function keyInput(ctx: CliContext, p: Parsed): KeyInput {
  const stdin = bool(p, 'stdin');
  const out = output(ctx);
  return {
    stdin,
    interactive: ctx.stdin.isTTY === true && !stdin,
    readValue: (label) => readSecret(ctx, { fromStdin: stdin, label }),
    ask: (question) => askLine(ctx, question),
    notify: ({ kind, text }) => (kind === 'warn' ? out.warn(text) : kind === 'note' ? out.note(text) : out.line(text)),
  };
}
