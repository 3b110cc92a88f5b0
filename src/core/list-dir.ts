import { readdirSync } from 'node:fs';

/** The names in `dir`; none when it is missing or cannot be read (callers look for files that may not be there). */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
