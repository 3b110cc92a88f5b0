// The interface every secret source implements: resolve references to values (in memory only)
// and say whether the source can be used here, with a one-line reason that names the fix.
import type { Env } from '../core/paths.js';
import type { SecretBackend } from '../keyring/backend.js';
import type { SourceKind, SourceRef } from '../registry/source-ref.js';

/** One key to resolve: the key's name (registry or project file) and where its value lives. */
export interface SourceRequest {
  name: string;
  ref: SourceRef;
}

/** What a source answered for one request. `reason` is one line, names the fix, and never holds a value or a CLI's output. */
export type Outcome =
  | { kind: 'value'; value: string }
  /** The source works but has nothing under this id. */
  | { kind: 'missing'; reason: string }
  /** The source could not be asked (CLI missing, not logged in, keyring locked, timeout...). */
  | { kind: 'failed'; reason: string; error?: unknown };

export type Availability = { ok: true } | { ok: false; reason: string };

export interface SourceContext {
  /** The environment of the command (PATH, HOME and each vendor's own variables are passed on to its CLI; nothing else). */
  env: Env;
  /** Deadline for one vendor CLI call. */
  timeoutMs: number;
  /** The keyring; opened only when a keyring reference is resolved. */
  keyring: () => SecretBackend;
}

export interface SecretSource {
  readonly kind: SourceKind;
  /** Human-readable name for messages, e.g. "pass (password-store)". */
  readonly label: string;
  /**
   * Can this source be used here? Cheap and local (no network, no secret read): is the CLI on
   * PATH, does the store or file exist. Login problems surface when resolving.
   */
  available(ctx: SourceContext, ref?: SourceRef): Promise<Availability>;
  /**
   * Resolve several requests of this source, keyed by request name. A source that can batch
   * (the keyring: one round trip) does; CLI sources run one call per distinct reference.
   * Never throws for one bad request; the keyring reports a failed batch as 'failed' outcomes
   * that carry the original error.
   */
  resolve(requests: readonly SourceRequest[], ctx: SourceContext): Promise<Map<string, Outcome>>;
  /**
   * Run by `add` for a reference of this source, so that it can be read later without a prompt:
   * e.g. ask once (hidden) for a database password and keep it in the keyring. Throws a KiError
   * with the fix when it cannot.
   */
  prepare?(ref: SourceRef, ctx: SourceContext, io: SourceIo): Promise<void>;
  /** For a source keyring-inject can write (an age-encrypted file): put `value` under the reference; returns what was done, for the user (never the value). */
  store?(ref: SourceRef, value: string, ctx: SourceContext): Promise<string>;
}

/** How a source asks the user for a secret of its own (hidden prompt, or --stdin). */
export interface SourceIo {
  /** Undefined when there is no way to ask (no terminal, no --stdin). */
  askHidden(label: string): Promise<string | undefined>;
  note(line: string): void;
}

/** Default deadline of a vendor CLI call (KEYRING_INJECT_SOURCE_TIMEOUT_MS overrides it). */
export const DEFAULT_SOURCE_TIMEOUT_MS = 10_000;

export function sourceTimeout(env: Env): number {
  const n = Number(env.KEYRING_INJECT_SOURCE_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_SOURCE_TIMEOUT_MS;
}
