// What a wrapped http/sse server's headersHelper runs: the server's headers, filled from the keyring.
import { serverFromFlags } from '../claude/address.js';
import { audit } from '../core/audit-trail.js';
import { checkServerName } from '../core/names.js';
import { registryFile } from '../core/paths.js';
import { loadRegistry } from '../registry/registry-file.js';
import { checkHeadersUrl } from '../wrap/record.js';
import { headersForServer, headerTargetsFor } from '../wrap/values.js';
import type { OpsContext } from './ops-context.js';

export interface HeadersRequest {
  server: string;
  scope: string | undefined;
  project: string | undefined;
}

/** Header name -> value. Throws, returning nothing, when any value cannot be read. */
export async function serverHeaders(ctx: OpsContext, req: HeadersRequest): Promise<Record<string, string>> {
  const ref = serverFromFlags(ctx.cwd, checkServerName(req.server), req.scope, req.project);
  // Only for the URL 'wrap' wrapped (a project's .mcp.json can name this helper with its own URL).
  await checkHeadersUrl(ctx.paths, ref, ctx.env);
  const reg = await loadRegistry(registryFile(ctx.paths));
  const result = await headersForServer(reg, ctx.backend(), ref);
  audit(ctx.paths, { event: 'headers', keys: headerTargetsFor(reg, ref).map((t) => t.key), server: ref.server }, ctx.env);
  return result;
}
