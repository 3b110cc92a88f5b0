// The leak check every secret-handling test uses: the value must appear in no output and in
// no file under the given directories (registry, state, temp files, lock dirs, config...).
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || lstatSync(p).isFile()) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** Files under `dirs` whose bytes contain `value` (UTF-8, and its JSON-escaped form). */
export function filesContaining(value: string, dirs: readonly string[]): string[] {
  const needles = [Buffer.from(value), Buffer.from(JSON.stringify(value).slice(1, -1))];
  return dirs.flatMap(filesUnder).filter((f) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(f);
    } catch {
      return false; // removed between listing and reading (a temp file renamed into place)
    }
    return needles.some((n) => bytes.includes(n));
  });
}

export function expectNoLeak(value: string, outputs: readonly string[], dirs: readonly string[]): void {
  expect(value.length).toBeGreaterThan(3);
  outputs.forEach((o, i) => expect(o.includes(value), `output #${i} contains the secret`).toBe(false));
  expect(filesContaining(value, dirs)).toEqual([]);
}
