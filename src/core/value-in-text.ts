// Whether a secret value appears in a text, as JSON writes it: escaped, inside a string. That is
// the form the files we look in hold it in (~/.claude.json and its copies).

/** Values shorter than this are not looked for: they occur by chance. */
const MIN_LENGTH = 4;

/** `value` as it stands inside a JSON string (escaped, without the quotes); undefined for a value too short to look for. */
export function jsonNeedle(value: string): string | undefined {
  return value.length < MIN_LENGTH ? undefined : JSON.stringify(value).slice(1, -1);
}

/** `value` appears in `text` as JSON writes it. */
export function appearsInJson(text: string, value: string): boolean {
  const needle = jsonNeedle(value);
  return needle !== undefined && text.includes(needle);
}
