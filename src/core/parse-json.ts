/**
 * JSON.parse, or throw the error `fail` builds. The error must never quote the text: files and
 * hook input may hold secrets.
 */
export function parseJson(text: string, fail: () => Error): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail();
  }
}
