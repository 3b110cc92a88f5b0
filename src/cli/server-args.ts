// The arguments `wrap` and `unwrap` share: server names S..., --scope, --project, --dry-run, --json.
import { UsageError } from '../core/errors.js';
import { bool, parseArgs, str } from './args.js';

export interface ServerArgs {
  names: string[];
  scope: string | undefined;
  project: string | undefined;
  dryRun: boolean;
  json: boolean;
}

/** `missing`: the usage error when no server is named. */
export function parseServerArgs(argv: readonly string[], missing: string): ServerArgs {
  const p = parseArgs(argv, { scope: { type: 'string' }, project: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
  if (p.positionals.length === 0) throw new UsageError(missing);
  return { names: p.positionals, scope: str(p, 'scope'), project: str(p, 'project'), dryRun: bool(p, 'dry-run'), json: bool(p, 'json') };
}
