// Words for /bin/sh (hook commands, headersHelper, commands we tell the user to run).

/** Quote one word: single quotes, with each `'` written as `'\''`. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quote one word only when it needs it (plain paths and names stay as they are). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : shQuote(s);
}
