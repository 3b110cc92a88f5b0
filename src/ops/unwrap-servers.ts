// Zero-disk off: restore each named server's original entry, in the order given; a name that is
// not valid stops the run where it stands.
import { serverFromFlags } from '../claude/address.js';
import { checkServerName } from '../core/names.js';
import { unwrapServer, type UnwrapReport } from '../wrap/wrap-server.js';
import type { OpsContext } from './ops-context.js';

export interface UnwrapRequest {
  names: readonly string[];
  scope: string | undefined;
  project: string | undefined;
  dryRun: boolean;
}

export async function unwrapServers(ctx: OpsContext, req: UnwrapRequest): Promise<UnwrapReport[]> {
  const reports: UnwrapReport[] = [];
  for (const name of req.names) reports.push(await unwrapServer(ctx, serverFromFlags(ctx.cwd, checkServerName(name), req.scope, req.project), { dryRun: req.dryRun }));
  return reports;
}
