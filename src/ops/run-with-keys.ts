// `run`: any command with the user's keys (and those of the project's approved
// .claude/secrets.json) in its environment; the child's exit code handed back.
import { audit } from '../core/audit-trail.js';
import { registryFile } from '../core/paths.js';
import { loadRegistry } from '../registry/registry-file.js';
import { loadApprovedProjectFile } from '../sources/approval.js';
import { mergeProject } from '../sources/team-file.js';
import { envForRun, runVariables } from '../wrap/values.js';
import type { OpsContext } from './ops-context.js';
import { spawnWithPlaceholders } from './placeholder-spawn.js';

export interface RunRequest {
  /** Only these keys; empty: every key. */
  only: readonly string[];
  /** Leave the project's .claude/secrets.json out. */
  noProject: boolean;
  command: string;
  args: readonly string[];
  /** Our stdin is a terminal (see relaySignals). */
  terminal: boolean;
  /** Told before the command starts, so that it reads before anything the command prints. */
  warn: (text: string) => void;
}

/** The command's exit code (128 + n for signal n). A missing key or a locked keyring throws before it starts. */
export async function runWithKeys(ctx: OpsContext, req: RunRequest): Promise<number> {
  let reg = await loadRegistry(registryFile(ctx.paths));
  const project = req.noProject ? undefined : await loadApprovedProjectFile(ctx.paths, ctx.cwd);
  if (project) {
    const merged = mergeProject(reg, project, ctx.backend().id);
    for (const name of merged.shadowed) req.warn(`${project.file}: entry ${name} is ignored because your registry has a key of that name (your registry wins; rename one of them)`);
    reg = merged.registry;
  }
  const { env, keys } = await envForRun(reg, ctx.backend(), req.only.length > 0 ? [...new Set(req.only)] : undefined, ctx.env);
  audit(ctx.paths, { event: 'run', keys, program: req.command }, ctx.env);
  // A placeholder key's variables get placeholders, and the command a proxy of its own (docs/placeholder-keys.md).
  const keyOf: Record<string, string> = {};
  // Two keys may feed one variable (with one value): a placeholder key among them decides.
  for (const key of keys) for (const v of runVariables(reg.keys[key])) if (keyOf[v] === undefined || (reg.keys[key]?.hosts?.length ?? 0) > 0) keyOf[v] = key;
  return spawnWithPlaceholders(ctx, reg, { command: req.command, args: req.args, values: env, keyOf, terminal: req.terminal });
}
