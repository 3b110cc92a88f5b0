// Commands (wrap, unwrap, import, install) edit ~/.claude.json through the one locked edit loop of
// src/claude/config-file.ts; this adds what they share: a parse or shape error becomes one line
// that names the fix, and the edit is checked once more after the lock is released.
import { editConfig as editConfigFile } from './config-file.js';
import { configError } from './config-servers.js';

export interface EditResult<T> {
  result: T;
  /** The file was written. */
  written: boolean;
}

/** How long after our write a Claude Code write that raced it could still land (see editConfig in config-file.ts). */
const SETTLE_MS = 100;

/**
 * Apply `edit` to the config text under the config lock. `edit` returns the new text (the same
 * string for no change) and a result; `verify` checks a re-read text (e.g. "the server is
 * wrapped"). Returns undefined when the file does not exist. `dryRun` computes without writing.
 */
export async function editConfigForCommand<T>(
  file: string,
  edit: (text: string) => { text: string; result: T },
  verify: (text: string) => boolean,
  opts: { dryRun?: boolean; secret?: boolean } = {},
): Promise<EditResult<T> | undefined> {
  const translated = (text: string) => {
    try {
      return edit(text);
    } catch (err) {
      throw configError(file, err) ?? err;
    }
  };
  const out = await editConfigFile(file, translated, {
    verify: (text) => verify(text),
    settleMs: SETTLE_MS,
    attempts: 3,
    rounds: 10,
    ...(opts.dryRun ? { dryRun: true } : {}),
    ...(opts.secret ? { secret: true } : {}),
  });
  return out.exists ? { result: out.result, written: out.written } : undefined;
}
