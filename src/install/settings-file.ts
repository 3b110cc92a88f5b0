// Reading and writing Claude Code's settings.json (the text; settings-hooks.ts edits it).
import { lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KiError, oneLine } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { readTextIfExists } from '../core/secure-file.js';
import { SettingsFormatError } from './settings-hooks.js';

/** settings.json as text, or undefined when it does not exist. */
export function readSettingsText(file: string): Promise<string | undefined> {
  return readTextIfExists(file).catch((err: unknown) => {
    throw new KiError('file-io', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? oneLine((err as Error).message)})`, { cause: err });
  });
}

/**
 * Write settings.json atomically. Through a symlink to its target (the link stays a link);
 * an existing file keeps its mode, a new one is 0600; a missing config dir is created (0700).
 */
export async function writeSettingsText(file: string, text: string): Promise<void> {
  let target = file;
  let mode = 0o600;
  try {
    target = await realpath(file);
    mode = (await stat(target)).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new KiError('file-io', `cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
    const link = await lstat(file).catch(() => undefined);
    if (link?.isSymbolicLink()) throw new KiError('file-refused', `${file} is a symbolic link to a missing file: fix or remove the link and retry`);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  }
  try {
    await writeFileAtomic(target, text, { mode });
  } catch (err) {
    throw new KiError('file-io', `cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? oneLine((err as Error).message)})`, { cause: err });
  }
}

/** Turn a SettingsFormatError (position only, never content) into a user-facing error naming the file. */
export function settingsError(file: string, err: unknown): unknown {
  return err instanceof SettingsFormatError ? new KiError('settings-invalid', `${file}: ${oneLine(err.message)}`, { cause: err }) : err;
}
