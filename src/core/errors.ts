// Every failure a user sees is one line that says what went wrong and how to fix it.
// Messages are built from names and paths only: never from a secret value or file content.

export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
/** doctor and setup: problems were found. */
export const EXIT_PROBLEMS = 3;

export class KiError extends Error {
  readonly exitCode: number;
  /** Lines shown after the one-line message (what a refused project file would do...): names only, never a value. */
  details?: readonly string[];
  constructor(message: string, exitCode: number = EXIT_ERROR) {
    super(message);
    this.name = 'KiError';
    this.exitCode = exitCode;
  }
}

export class UsageError extends KiError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

/** Keyring could not be reached or refused; `fix` says what the user should do. */
export class KeyringUnavailableError extends KiError {
  constructor(what: string, fix: string) {
    super(`${what}. ${fix}`);
    this.name = 'KeyringUnavailableError';
  }
}

/** Collapse any text to one line so an error never spans (or forges) several log lines. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
