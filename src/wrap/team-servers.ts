// The project's MCP servers that an approved `.claude/secrets.json` maps keys to (`targets`), and
// how they get them at their first spawn: zero-disk, always. A local-scope server is wrapped in
// place; a `.mcp.json` server gets a wrapped local-scope copy (Claude Code prefers local scope
// over project scope; `.mcp.json` is never written). At spawn, `keyring-inject exec` reads the
// project file again — only if it is still approved as it was — and resolves the entries that
// target the server. The launcher and `allow` call this; plain `claude` then needs nothing else.
//
// Why not inject like the user registry's keys? A `.mcp.json` server has no entry in
// ~/.claude.json to put a value into; a local copy holding the value would be plaintext on disk
// for the session (and in Claude Code's backups). A wrapped copy holds no value at all.
import { readConfigView } from '../claude/config-read.js';
import { projectKeyFor } from '../claude/project-key.js';
import { KiError } from '../core/errors.js';
import type { ClaudePaths } from '../core/paths.js';
import type { ProjectFile } from '../sources/team-file.js';
import type { ZeroDiskContext } from './zero-disk-context.js';
import { HTTP_TYPES } from '../claude/config-servers.js';
import { mcpJsonEntry } from '../claude/mcp-json.js';
import { parseWrappedArgs } from './format.js';
import { wrapServer, type WrapReport } from './wrap-server.js';
import { describeServer } from '../claude/address.js';

export interface ProjectServer {
  server: string;
  /** Where Claude Code finds it: local scope of the project, the project's `.mcp.json`, or nowhere. */
  where: 'local' | 'mcp-json' | 'none';
  http: boolean;
  /** Reads its keys at spawn (`keyring-inject exec`); `copy`: as a local-scope copy of a .mcp.json server. */
  wrapped: boolean;
  copy: boolean;
  /** The entries that feed it: NAME -> env variable. */
  keys: { name: string; env: string }[];
}

/** Every server the file targets, in file order, with where it is configured. Reads configs only. */
export async function projectServers(paths: ClaudePaths, project: ProjectFile): Promise<ProjectServer[]> {
  const projectKey = projectKeyFor(project.root);
  const byServer = new Map<string, { name: string; env: string }[]>();
  for (const [name, e] of project.entries) for (const t of e.targets) byServer.set(t.server, [...(byServer.get(t.server) ?? []), { name, env: t.env }]);
  if (byServer.size === 0) return [];
  const view = await readConfigView(paths.configFile).catch(() => undefined);
  const out: ProjectServer[] = [];
  for (const [server, keys] of byServer) {
    if (view?.localServers(projectKey).includes(server)) {
      const facts = view.server('local', projectKey, server);
      const wrap = facts?.command !== undefined ? parseWrappedArgs(facts.command, facts.args ?? []) : undefined;
      const type = facts?.type;
      out.push({ server, where: 'local', http: type !== undefined && HTTP_TYPES.has(type), wrapped: wrap !== undefined, copy: wrap?.mcpJson === true, keys });
      continue;
    }
    const found = await mcpJsonEntry(project.root, projectKey, server).catch(() => undefined);
    const entry = found?.entry as { type?: unknown } | undefined;
    const http = typeof entry?.type === 'string' && HTTP_TYPES.has(entry.type);
    out.push({ server, where: found ? 'mcp-json' : 'none', http, wrapped: false, copy: false, keys });
  }
  return out;
}

/**
 * Make every stdio server the file targets read its keys at spawn (see the top of this file).
 * Returns what was done and one warning per server that cannot get its keys, naming the fix.
 */
export async function wrapProjectServers(ctx: ZeroDiskContext, project: ProjectFile): Promise<{ reports: WrapReport[]; warnings: string[] }> {
  const projectKey = projectKeyFor(project.root);
  const reports: WrapReport[] = [];
  const warnings: string[] = [];
  for (const s of await projectServers(ctx.paths, project)) {
    const ref = { server: s.server, scope: 'local' as const, project: projectKey };
    if (s.where === 'none') {
      warnings.push(
        `${project.file} maps keys to MCP server ${JSON.stringify(s.server)}, which is neither in ${project.root}/.mcp.json nor a local-scope server of ${projectKey}: add it ('claude mcp add --scope project ...')`,
      );
      continue;
    }
    if (s.http) {
      warnings.push(
        `MCP server ${describeServer(ref)} is an http server: a project file feeds environment variables of stdio servers only (map a header with 'keyring-inject add NAME --server ${s.server} --header ... --scope local')`,
      );
      continue;
    }
    try {
      reports.push(await wrapServer(ctx, ref, { projectDir: project.root }));
    } catch (err) {
      if (!(err instanceof KiError)) throw err;
      warnings.push(`MCP server ${describeServer(ref)} does not get its keys: ${err.message}`);
    }
  }
  return { reports, warnings };
}
