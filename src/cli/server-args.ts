// The arguments `wrap` and `unwrap` share: server names S..., --scope, --project, --dry-run, --json.
import { serverFromFlags, type ServerAddress } from '../claude/address.js';
import { UsageError } from '../core/errors.js';
import { checkServerName } from '../core/names.js';
import { bool, parseArgs, str } from './args.js';

export interface ServerArgs {
  names: string[];
  /** The address of one of `names`, read when used: a bad name stops the command where it stands. */
  addressOf: (name: string) => ServerAddress;
  project: string | undefined;
  dryRun: boolean;
  json: boolean;
}

/** `missing`: the usage error when no server is named. */
export function parseServerArgs(argv: readonly string[], cwd: string, missing: string): ServerArgs {
  const p = parseArgs(argv, { scope: { type: 'string' }, project: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
  if (p.positionals.length === 0) throw new UsageError(missing);
  return {
    names: p.positionals,
    addressOf: (name) => serverFromFlags(cwd, checkServerName(name), str(p, 'scope'), str(p, 'project')),
    project: str(p, 'project'),
    dryRun: bool(p, 'dry-run'),
    json: bool(p, 'json'),
  };
}
