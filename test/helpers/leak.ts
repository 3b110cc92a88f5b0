// The one leak scanner every secret-handling test uses: a value must appear in no output and in
// no file under the given directories (registry, state, temp files, lock dirs, config...), raw
// or JSON-escaped.
import { type Dirent, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/** Calls `visit` for each entry under `dir`, depth first; enters a directory unless `visit` says false. */
export function walkTree(dir: string, visit: (path: string, entry: Dirent) => boolean | undefined): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // gone, or not a directory
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (visit(p, e) !== false && e.isDirectory()) walkTree(p, visit);
  }
}

export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  walkTree(dir, (p, e) => {
    if (!e.isDirectory() && (e.isFile() || lstatSync(p).isFile())) found.push(p);
    return true;
  });
  return found;
}

/** Whether `file` holds `value` (UTF-8, or its JSON-escaped form); false once it is gone. */
export function fileHolds(file: string, value: string): boolean {
  if (value === '') throw new Error('fileHolds: an empty value is in every file');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return false; // removed between listing and reading (a temp file renamed into place)
  }
  return bytes.includes(Buffer.from(value)) || bytes.includes(Buffer.from(JSON.stringify(value).slice(1, -1)));
}

/** Files under `dirs` whose bytes contain `value` (UTF-8, and its JSON-escaped form). */
export function filesContaining(value: string, dirs: readonly string[]): string[] {
  return dirs.flatMap(filesUnder).filter((f) => fileHolds(f, value));
}

export function expectNoLeak(value: string, outputs: readonly string[], dirs: readonly string[]): void {
  expect(value.length).toBeGreaterThan(3);
  outputs.forEach((o, i) => expect(o.includes(value), `output #${i} contains the secret`).toBe(false));
  expect(filesContaining(value, dirs)).toEqual([]);
}

/** Files under `dirs` that hold any of the values (raw or JSON-escaped). */
export function leakingFiles(values: readonly string[], dirs: readonly string[]): string[] {
  return [...new Set(values.flatMap((v) => filesContaining(v, dirs)))].sort();
}

// Every output of every process a test ran: checked for values at the end of the test.
export class Outputs {
  readonly texts: string[] = [];
  add(...t: string[]): void {
    this.texts.push(...t);
  }
  addResult(r: { stdout?: string; stderr?: string; out?: string; err?: string }): void {
    this.texts.push(r.stdout ?? r.out ?? '', r.stderr ?? r.err ?? '');
  }
  /** Indexes of outputs that contain any of the values (raw or JSON-escaped). */
  leaks(values: readonly string[]): number[] {
    const needles = values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
    return this.texts.flatMap((t, i) => (needles.some((n) => t.includes(n)) ? [i] : []));
  }
}
