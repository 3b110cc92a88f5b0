// One locked read-modify-write of ~/.claude.json for zero-disk commands, with the same rules as
// the injection engine: Claude Code's own lock (withConfigLock), the lock held only for the edit,
// an atomic write that keeps the file's mode, and a re-read afterwards. Claude Code writes without
// the lock when it finds it held, so a file that changed while we edited is edited again from its
// new text, and an edit that did not stick is retried.
import { stat } from 'node:fs/promises';
import { KiError } from '../core/errors.js';
import { readConfigText, withConfigLock, writeConfigText } from '../engine/claude-config-io.js';
import { describeConfigError } from './config-scan.js';

interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

function changed(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (!a || !b) return a !== b;
  return a.ino !== b.ino || a.size !== b.size || a.mtimeMs !== b.mtimeMs;
}

export interface EditResult<T> {
  result: T;
  /** The file was written. */
  written: boolean;
}

/**
 * Apply `edit` to the config text under the config lock. `edit` returns the new text (the same
 * string for no change) and a result; `verify` checks a re-read text (e.g. "the server is
 * wrapped"). Returns undefined when the file does not exist. `dryRun` computes without writing.
 */
export async function editConfig<T>(
  file: string,
  edit: (text: string) => { text: string; result: T },
  verify: (text: string) => boolean,
  opts: { dryRun?: boolean; secret?: boolean } = {},
): Promise<EditResult<T> | undefined> {
  return withConfigLock(file, async () => {
    let wrote = false;
    for (let attempt = 0; ; attempt++) {
      const before = await stat(file).catch(() => undefined);
      const text = await readConfigText(file);
      if (text === undefined) return undefined;
      let out: { text: string; result: T };
      try {
        out = edit(text);
      } catch (err) {
        const msg = describeConfigError(file, err);
        if (msg) throw new KiError(msg);
        throw err;
      }
      if (out.text === text || opts.dryRun) return { result: out.result, written: wrote };
      if (changed(before, await stat(file).catch(() => undefined)) && attempt < 5) continue;
      await writeConfigText(file, out.text, opts.secret === true);
      wrote = true;
      const again = await readConfigText(file);
      if (again !== undefined && verify(again)) return { result: out.result, written: true };
      if (attempt >= 5) throw new KiError(`${file} keeps changing under us (Claude Code writes it without the lock): try again in a moment`);
    }
  });
}
