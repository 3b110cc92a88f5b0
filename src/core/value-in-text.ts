// Whether a secret value appears in a text. In the files we look in (~/.claude.json and its
// copies) a value stands as JSON writes it: escaped, inside a string. In tool output and prompts
// it may stand in any of its forms (core/secret-forms.ts: escaped, encoded).
import { compileSecrets } from './secret-forms.js';

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

/** The texts of `value` that are looked for in output and prompts (distinct; none for a value too short). */
export function valueForms(value: string): string[] {
  return compileSecrets([{ name: '', value }]).forms.map((f) => f.text);
}

/** One of `forms` (from valueForms) appears in `text` as it is. */
export function appearsInForms(text: string, forms: readonly string[]): boolean {
  return forms.some((f) => text.includes(f));
}
