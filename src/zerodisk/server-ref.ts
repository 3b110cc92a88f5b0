// Which server entry a command means: `--server S`/positional, `--scope`, `--project`, read the
// way `add` reads them. Light on imports: `exec` and `headers` run at every server start.
import { resolve } from 'node:path';
import { projectKeyFor } from '../claude/project-key.js';
import { parseScope } from '../claude/scope.js';
import { UsageError } from '../core/errors.js';
import type { ServerRef } from './wrap-format.js';


export function serverRef(cwd: string, server: string, scopeFlag: string | undefined, projectFlag: string | undefined): ServerRef {
  const scope = parseScope(scopeFlag);
  if (projectFlag !== undefined && scope !== 'local') throw new UsageError('--project goes with --scope local');
  if (scope === 'user') return { server, scope };
  return { server, scope, project: projectKeyFor(resolve(cwd, projectFlag ?? '.')) };
}
