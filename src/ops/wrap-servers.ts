// Zero-disk on: wrap each named server in ~/.claude.json, in the order given. A name that is not
// valid stops the run where it stands (the servers before it stay wrapped), as each edit is whole.
import { resolve } from 'node:path';
import { serverFromFlags } from '../claude/address.js';
import { checkServerName } from '../core/names.js';
import { wrapServer, type WrapReport } from '../wrap/wrap-server.js';
import type { OpsContext } from './ops-context.js';

export interface WrapRequest {
  names: readonly string[];
  /** The --scope and --project flags as given: each name is read against them when its turn comes. */
  scope: string | undefined;
  project: string | undefined;
  dryRun: boolean;
}

export interface WrapServersReport {
  servers: WrapReport[];
  /** Something changed on disk: running sessions keep the old server process until it reconnects. */
  reconnect: boolean;
}

export async function wrapServers(ctx: OpsContext, req: WrapRequest): Promise<WrapServersReport> {
  const servers: WrapReport[] = [];
  const projectDir = resolve(ctx.cwd, req.project ?? '.');
  for (const name of req.names) {
    const ref = serverFromFlags(ctx.cwd, checkServerName(name), req.scope, req.project);
    servers.push(await wrapServer(ctx, ref, { dryRun: req.dryRun, projectDir }));
  }
  return { servers, reconnect: !req.dryRun && servers.some((r) => r.outcome !== 'unchanged') };
}
