// What a wrapped stdio server runs: the server's command, with the keys mapped to the server read
// from the keyring into its environment, and the child's exit code handed back.
import { describeServer, serverFromFlags } from '../claude/address.js';
import { audit } from '../core/audit-trail.js';
import { checkServerName } from '../core/names.js';
import { registryFile } from '../core/paths.js';
import { loadRegistry } from '../registry/registry-file.js';
import { approvedProjectFileFor } from '../sources/approval.js';
import { mergeProject } from '../sources/team-file.js';
import { checkExecCommand } from '../wrap/record.js';
import { envForServer, envTargetsFor } from '../wrap/values.js';
import type { OpsContext } from './ops-context.js';
import { spawnWithPlaceholders } from './placeholder-spawn.js';

export interface ExecRequest {
  server: string;
  scope: string | undefined;
  project: string | undefined;
  command: string;
  args: readonly string[];
  /** Our stdin is a terminal (see relaySignals). */
  terminal: boolean;
  /** Told before the server starts, so that it reads before anything the server prints. */
  warn: (text: string) => void;
}

/** The server's exit code (128 + n for signal n). A missing key or a locked keyring throws before it starts. */
export async function execServer(ctx: OpsContext, req: ExecRequest): Promise<number> {
  const { command, args } = req;
  const ref = serverFromFlags(ctx.cwd, checkServerName(req.server), req.scope, req.project);
  // Only the command 'wrap' wrapped gets the keys (a project's .mcp.json can name exec too).
  await checkExecCommand(ctx.paths, ref, [command, ...args]);
  let reg = await loadRegistry(registryFile(ctx.paths));
  // A server of a project: the keys its approved .claude/secrets.json maps to it, too.
  const project = ref.scope === 'local' ? await approvedProjectFileFor(ctx.paths, ref.project as string, ref.server) : undefined;
  if (project) reg = mergeProject(reg, project, ctx.backend().id).registry;
  const { env, keys } = await envForServer(reg, ctx.backend(), ref, ctx.env);
  audit(ctx.paths, { event: 'exec', keys, server: ref.server, program: command }, ctx.env);
  if (keys.length === 0) req.warn(`no key is mapped to MCP server ${describeServer(ref)}: starting it without keys (map one with 'keyring-inject add NAME --server ${ref.server} --env VAR')`);
  // Keys with hosts are placeholder keys here too: the server gets placeholders and a proxy of its own.
  const keyOf: Record<string, string> = {};
  for (const { key, target } of envTargetsFor(reg, ref)) keyOf[target.env] ??= key;
  return spawnWithPlaceholders(ctx, reg, { command, args, values: env, keyOf, terminal: req.terminal });
}
