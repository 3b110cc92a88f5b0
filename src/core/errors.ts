// The one error model. Every failure we raise is a KiError: one line that says what went wrong
// and how to fix it, a stable `code` (docs/errors.md) a script or a test can rely on, the exit
// code that goes with it, and, when it wraps a lower error, that error as the standard `cause`.
// Messages are built from names and paths only: never from a secret value or file content.
// A `cause` may quote both (V8's JSON.parse messages quote the text), so it is never printed:
// printers use `message` only, the entry points report an escaped error the same way, and a
// KiError hides its cause from util.inspect (below).

export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
/** doctor and setup: problems were found. */
export const EXIT_PROBLEMS = 3;
/** A command that could not be started (as a shell reports it). */
export const EXIT_NOT_STARTED = 127;
/** Cancelled with Ctrl-C at a prompt (128 + SIGINT, as a shell reports it). */
export const EXIT_CANCELLED = 130;

/**
 * Every code, with the exit code it goes with. The keys are the stable codes; docs/errors.md
 * documents each (a unit test checks both ways). Add a code only for a new kind of failure a
 * script would tell apart; never rename one.
 */
export const ERROR_CODES = {
  usage: EXIT_USAGE,
  'secret-argument': EXIT_USAGE,
  'input-invalid': EXIT_ERROR,
  cancelled: EXIT_CANCELLED,
  'config-missing': EXIT_ERROR,
  'config-invalid': EXIT_ERROR,
  'config-shape': EXIT_ERROR,
  'registry-invalid': EXIT_ERROR,
  'settings-invalid': EXIT_ERROR,
  'approvals-invalid': EXIT_ERROR,
  'wrapped-invalid': EXIT_ERROR,
  'project-missing': EXIT_ERROR,
  'project-invalid': EXIT_ERROR,
  'project-refused': EXIT_ERROR,
  'project-not-approved': EXIT_ERROR,
  'keyring-unavailable': EXIT_ERROR,
  'source-failed': EXIT_ERROR,
  'key-not-found': EXIT_ERROR,
  'key-external': EXIT_ERROR,
  'key-conflict': EXIT_ERROR,
  'value-unusable': EXIT_ERROR,
  'server-not-found': EXIT_ERROR,
  'server-unsupported': EXIT_ERROR,
  'wrap-mismatch': EXIT_ERROR,
  'file-io': EXIT_ERROR,
  'file-refused': EXIT_ERROR,
  'lock-timeout': EXIT_ERROR,
  'install-broken': EXIT_ERROR,
  'claude-not-found': EXIT_ERROR,
  'platform-unsupported': EXIT_ERROR,
  'spawn-failed': EXIT_NOT_STARTED,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface KiErrorOptions {
  /** The lower error this one wraps (an OS error, a parse error...). Kept for code, never printed. */
  cause?: unknown;
  /** Overrides the code's exit code (e.g. a child's own exit status). */
  exitCode?: number;
  /** Lines shown after the one-line message: names only, never a value. */
  details?: readonly string[];
}

export class KiError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  /** Lines shown after the one-line message (what a refused project file would do...): names only, never a value. */
  readonly details?: readonly string[];
  constructor(code: ErrorCode, message: string, options: KiErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'KiError';
    this.code = code;
    this.exitCode = options.exitCode ?? ERROR_CODES[code];
    if (options.details) this.details = options.details;
  }

  /**
   * What util.inspect (console.log) shows: the stack, the code, and only the kind of the cause,
   * never its message. (Node's report of an uncaught error ignores this: the entry points catch
   * those, see cli/run-command.ts.)
   */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const cause = this.cause === undefined ? '' : ` (cause: ${causeKind(this.cause)})`;
    return `${this.stack ?? `${this.name}: ${this.message}`}\n  code: ${this.code}${cause}`;
  }
}

function causeKind(cause: unknown): string {
  if (!(cause instanceof Error)) return typeof cause;
  const code = (cause as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^[A-Z0-9_-]{1,32}$/i.test(code) ? `${cause.name} ${code}` : cause.name;
}

/** Bad command-line use: exit 2. */
export class UsageError extends KiError {
  constructor(message: string, code: 'usage' | 'secret-argument' = 'usage') {
    super(code, message);
    this.name = 'UsageError';
  }
}

/** Keyring could not be reached or refused; `fix` says what the user should do. */
export class KeyringUnavailableError extends KiError {
  /** What went wrong, short (for a screen that shows the fix its own way). */
  readonly what: string;
  readonly fix: string;
  constructor(what: string, fix: string, options: KiErrorOptions = {}) {
    super('keyring-unavailable', `${what}. ${fix}`, options);
    this.name = 'KeyringUnavailableError';
    this.what = what;
    this.fix = fix;
  }
}

/** Collapse any text to one line so an error never spans (or forges) several log lines. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
