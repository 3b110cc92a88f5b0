// What `add` needs for zero-disk mode: `--header 'Name: template'`, `--mode`, and wrapping the
// servers after the key is stored.
import { KiError, UsageError, oneLine } from '../core/errors.js';
import type { TargetMode } from '../registry/registry.js';
import type { ZeroDiskContext } from './zero-disk-context.js';
import { readConfigText } from '../claude/config-file.js';
import { wrapServer } from './wrap-server.js';
import { wrapStateIn } from './patch.js';
import { describeServer, type ServerAddress } from '../claude/address.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/** `Authorization: Bearer {value}` -> header "Authorization", template "Bearer {value}"; a bare name means template "{value}". */
export function parseHeaderSpec(spec: string): { header: string; template: string } {
  const colon = spec.indexOf(':');
  const header = (colon === -1 ? spec : spec.slice(0, colon)).trim();
  const template = colon === -1 ? '{value}' : spec.slice(colon + 1).trimStart();
  if (!HEADER_NAME.test(header)) throw new UsageError(`invalid header name in --header: use 'Name: template', e.g. 'Authorization: Bearer {value}'`);
  // eslint-disable-next-line no-control-regex
  if (/[\r\n\u0000]/.test(template)) throw new UsageError('the --header template must be one line');
  if (!template.includes('{value}')) {
    // Refuse without repeating it: a template without the placeholder is probably a pasted value.
    throw new UsageError("the --header template must contain {value} where the key goes, e.g. 'Authorization: Bearer {value}'; values are never taken from the command line");
  }
  return { header, template };
}

/** --mode; header targets only work through headersHelper, i.e. wrap. */
export function parseMode(flag: string | undefined, header: boolean): TargetMode {
  if (flag !== undefined && flag !== 'inject' && flag !== 'wrap') throw new UsageError('--mode must be inject or wrap');
  if (header && flag === 'inject') throw new UsageError('--header works only in wrap mode (Claude Code asks our headersHelper for the headers): drop --mode inject');
  return header ? 'wrap' : ((flag as TargetMode | undefined) ?? 'inject');
}

/** Wrap each server after `add --mode wrap`; a server that cannot be wrapped yet is a warning, not a failure (the key is stored). */
export async function wrapAfterAdd(ctx: ZeroDiskContext, refs: readonly ServerAddress[], warn: (text: string) => void): Promise<string[]> {
  const wrapped: string[] = [];
  for (const ref of refs) {
    try {
      const r = await wrapServer(ctx, ref);
      wrapped.push(describeServer(ref));
      for (const w of r.warnings) if (!w.startsWith('no ')) warn(w);
    } catch (err) {
      if (!(err instanceof KiError)) throw err;
      warn(`${oneLine(err.message)}; the key is stored: run 'keyring-inject wrap ${ref.server}${ref.scope === 'local' ? ' --scope local' : ''}' once the server is configured`);
    }
  }
  return wrapped;
}

/** Which of `refs` are wrapped in the config right now (unreadable config: none). */
export async function wrappedServers(file: string, refs: readonly ServerAddress[]): Promise<ServerAddress[]> {
  const text = await readConfigText(file).catch(() => undefined);
  if (text === undefined) return [];
  return refs.filter((r) => {
    try {
      return wrapStateIn(text, r) === 'wrapped';
    } catch {
      return false;
    }
  });
}
