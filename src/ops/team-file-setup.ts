// The launcher's part for a project with a `.claude/secrets.json` ("asked once"): refuse a file
// that is not approved as it is; stop on a source this machine cannot use; ask for each keyring
// value this machine does not hold yet (through the caller: a hidden prompt; stored in the
// keyring, never asked again); and make the project's servers read their keys at spawn
// (zero-disk, see wrap/team-servers.ts). Without a way to ask: one line naming the command.
import { describeServer } from '../claude/address.js';
import { KiError } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import { describeEntry, loadApprovedProjectFile, summarize } from '../sources/approval.js';
import { projectNeeds } from '../sources/team-file-needs.js';
import { mergeProject, type ProjectFile } from '../sources/team-file.js';
import { wrapProjectServers } from '../wrap/team-servers.js';
import type { OpsContext } from './ops-context.js';

/** Shows the user one line as it happens (the command renders it): progress, or a warning. */
export type Tell = (kind: 'note' | 'warn' | 'error', text: string) => void;

export interface ProjectSetupRequest {
  registry: Registry;
  /** Asks for one value, hidden; absent when there is no terminal to ask on. */
  askSecret?: (label: string) => Promise<string>;
  tell: Tell;
}

/** Returns the approved project file it prepared, or undefined when the directory has none. */
export async function prepareProject(ctx: OpsContext, req: ProjectSetupRequest): Promise<ProjectFile | undefined> {
  const project = await loadApprovedProjectFile(ctx.paths, ctx.cwd);
  if (!project) return undefined;
  const { tell } = req;
  const backend = ctx.backend();
  const merged = mergeProject(req.registry, project, backend.id);
  for (const name of merged.shadowed) tell('warn', `${project.file}: entry ${name} is ignored because your registry has a key of that name (your registry wins; rename one of them)`);
  const needs = await projectNeeds(project, backend, ctx.env, merged.added);

  const unusable = needs.flatMap((n) => (n.state === 'unavailable' ? [`${n.name} (${n.entry.sourceName} ${n.entry.ref.id}): ${n.reason}`] : []));
  if (unusable.length > 0) throw new KiError('source-failed', `${project.file} needs what this machine cannot provide: ${unusable.join('; ')}`);

  const missing = needs.filter((n) => n.state === 'missing');
  if (missing.length > 0) {
    const names = missing.map((n) => n.name);
    if (!req.askSecret) {
      throw new KiError(
        'key-not-found',
        `${project.file} needs ${names.join(', ')}, not stored on this machine yet: run 'keyring-inject claude' in a terminal once (it asks for ${names.length === 1 ? 'it' : 'them'}), or 'keyring-inject add ${names[0]} --project ${project.root} --stdin'${names.length > 1 ? ' for each' : ''}`,
      );
    }
    tell('note', `${project.file} needs:`);
    for (const n of needs) tell('note', `  ${describeEntry(n.name, summarize(n.entry))}${n.state === 'missing' ? '   (missing on this machine)' : ''}`);
    const asked = new Set<string>();
    for (const n of missing) {
      if (asked.has(n.entry.ref.id)) continue;
      asked.add(n.entry.ref.id);
      const value = await req.askSecret(`Value for ${n.name} (${n.entry.sourceName} ${n.entry.ref.id}; input hidden)`);
      await backend.set(n.entry.ref.id, value);
      tell('note', `stored ${n.name} in the ${backend.label} under ${n.entry.ref.id}: it is not asked again`);
    }
  }

  const { reports, warnings } = await wrapProjectServers(ctx, project);
  for (const r of reports) {
    if (r.outcome === 'unchanged') continue;
    const ref = { server: r.server, scope: r.scope, ...(r.project ? { project: r.project } : {}) };
    tell('note', `MCP server ${describeServer(ref)} reads its keys at spawn${r.mcpJson ? ` (a local copy of ${r.mcpJson}, which is not changed)` : ''}`);
  }
  for (const w of warnings) tell('warn', w);
  return project;
}
