// What `status` and `doctor` say about the current project's `.claude/secrets.json`: whether it
// is approved as it is, and per project server the file maps keys to, where each key comes from
// and whether the server reads it at spawn. Names and references only; reads no value.
import type { ClaudePaths } from '../core/paths.js';
import { oneLine } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import { allowCommand, approvalState } from '../sources/approval.js';
import { findProjectFile, type ProjectFile } from '../sources/team-file.js';
import { projectServers } from '../wrap/team-servers.js';

export interface ProjectReport {
  file: string;
  root: string;
  /** 'invalid': the file cannot be used as it is (see `problems`). */
  approval: 'approved' | 'not approved' | 'changed' | 'invalid';
  servers: {
    server: string;
    /** local: a local-scope server (or our local copy of a .mcp.json one); mcp-json: only in .mcp.json; none: nowhere. */
    where: 'local' | 'mcp-json' | 'none';
    wrapped: boolean;
    copy: boolean;
    keys: { name: string; env: string; source: string; yours: boolean; hosts?: string[] }[];
  }[];
  /** Each names its fix. */
  problems: string[];
}

export async function projectReport(paths: ClaudePaths, reg: Registry, cwd: string): Promise<ProjectReport | null> {
  const where = findProjectFile(cwd, paths.configDir);
  if (!where) return null;
  let project: ProjectFile;
  let approval: ProjectReport['approval'];
  try {
    const st = await approvalState(paths, where);
    if (st.state === 'none') return null;
    project = st.project;
    approval = st.state === 'unapproved' ? 'not approved' : st.state;
  } catch (err) {
    return { ...where, approval: 'invalid', servers: [], problems: [oneLine(err instanceof Error ? err.message : String(err))] };
  }
  const problems: string[] = [];
  if (approval !== 'approved')
    problems.push(`${where.file} is ${approval === 'changed' ? 'changed since you approved it' : 'not approved'}: nothing uses it until you run '${allowCommand(where.root)}'`);
  const servers = (await projectServers(paths, project)).map((s) => ({
    server: s.server,
    where: s.where,
    wrapped: s.wrapped,
    copy: s.copy,
    keys: s.keys.map((k) => {
      const e = project.entries.get(k.name);
      return { name: k.name, env: k.env, source: e ? `${e.sourceName} ${e.ref.id}` : '?', yours: reg.keys[k.name] !== undefined, ...(e?.hosts ? { hosts: e.hosts } : {}) };
    }),
  }));
  for (const s of servers) {
    if (s.where === 'none') problems.push(`MCP server ${s.server} (mapped in ${where.file}) is neither in .mcp.json nor a local-scope server: add it`);
    else if (!s.wrapped && approval === 'approved')
      problems.push(`MCP server ${s.server} does not read its project keys at spawn yet: run '${allowCommand(where.root)}' or 'keyring-inject claude' once`);
  }
  return { ...where, approval, servers, problems };
}

/** The text lines of a report (status and doctor print them as they are). */
export function projectReportLines(r: ProjectReport): string[] {
  const lines = [`project file: ${r.file} (${r.approval})`];
  for (const s of r.servers) {
    const how =
      s.where === 'none'
        ? 'not configured'
        : s.wrapped
          ? `keys at spawn${s.copy ? ', a local copy of .mcp.json' : ''}`
          : s.where === 'mcp-json'
            ? '.mcp.json, not wrapped'
            : 'local scope, not wrapped';
    const keys = s.keys
      .map((k) => `${k.env} <- ${k.name} (${k.yours ? 'your registry wins: not from the project file' : k.source})${!k.yours && k.hosts ? ` [placeholder: only to ${k.hosts.join(', ')}]` : ''}`)
      .join(', ');
    lines.push(`  ${s.server} [${how}]: ${keys}`);
  }
  for (const p of r.problems) lines.push(`  ! ${p}`);
  return lines;
}
