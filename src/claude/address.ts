// The address of a server entry in Claude Code's config (name, scope, project), how it reads in
// messages, and how a command's flags name one: `--server S`/positional, `--scope`, `--project`, read the
// way `add` reads them. Light on imports: `exec` and `headers` run at every server start.
import { resolve } from 'node:path';
import { projectKeyFor } from './project-key.js';
import { parseScope, type Scope } from './scope.js';
import { UsageError } from '../core/errors.js';

export interface ServerRef {
  server: string;
  scope: Scope;
  /** Project key (absolute path) for scope local. */
  project?: string;
}

export function describeServer(ref: ServerRef): string {
  return ref.scope === 'local' ? `${ref.server} (local: ${ref.project})` : `${ref.server} (user)`;
}

export function serverRef(cwd: string, server: string, scopeFlag: string | undefined, projectFlag: string | undefined): ServerRef {
  const scope = parseScope(scopeFlag);
  if (projectFlag !== undefined && scope !== 'local') throw new UsageError('--project goes with --scope local');
  if (scope === 'user') return { server, scope };
  return { server, scope, project: projectKeyFor(resolve(cwd, projectFlag ?? '.')) };
}
