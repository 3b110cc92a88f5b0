// The one locator: where the MCP servers are in a ~/.claude.json text, with byte offsets, in one
// validating pass: user scope (top-level `mcpServers`) and local scope (`projects[P].mcpServers`),
// plus the objects an edit may insert into (the project entry, `projects`, the top level).
// Only these objects get their members listed; everything else is validated and skipped.
// Duplicate keys follow JSON.parse: the last occurrence wins, at every level.
import { bomLength } from '../../core/bom.js';
import { ConfigShapeError, JsonScanner, lastMember, type Member, type ObjectInfo } from './scanner.js';

export interface ProjectLayout {
  /** The `"P": {...}` member of `projects`. */
  member: Member;
  entry: ObjectInfo;
  /** The `mcpServers` member of the entry and its object, if present (and an object). */
  serversMember?: Member;
  servers?: ObjectInfo;
}

export interface ConfigLayout {
  text: string;
  top: ObjectInfo;
  /** Top-level `mcpServers`, if present (and wanted). */
  userServers?: ObjectInfo;
  /** `projects`, if present. */
  projectsObj?: ObjectInfo;
  /** Requested (or all) projects that exist as objects. */
  projects: Map<string, ProjectLayout>;
  /** Requested projects whose entry, or whose `mcpServers`, is there but not an object. */
  badProjects: Map<string, 'entry' | 'servers'>;
}

export interface LayoutOptions {
  /** List the user-scope servers (and refuse a non-object `mcpServers`). Default true. */
  user?: boolean;
  /** Refuse a non-object `projects`. Default true. */
  projectsShape?: boolean;
}

/**
 * Validates the whole text (after a leading byte-order mark) and lays out the top level, the
 * user servers and the requested projects (`'all'`: every project). Throws ConfigParseError for
 * invalid JSON, ConfigShapeError when the top level, `mcpServers` or `projects` is not an object.
 */
export function layoutOf(text: string, want: 'all' | ReadonlySet<string>, opts: LayoutOptions = {}): ConfigLayout {
  const wantUser = opts.user !== false;
  const s = new JsonScanner(text);
  // A leading BOM is skipped as Claude Code skips it; offsets still index `text`, so edits keep it.
  const start = s.skipWs(bomLength(text));
  if (start >= text.length) s.fail(start, 'empty text');
  if (!s.isObjectAt(start)) {
    const end = s.skipWs(s.skipValue(start));
    if (end < text.length) s.fail(end, 'unexpected text after the JSON value');
    throw new ConfigShapeError('', 'is not a JSON object');
  }
  // Shape problems are thrown only after the whole text validated, so a broken file always
  // reports the syntax error, and a later duplicate key can still fix the shape.
  let userServers: ObjectInfo | undefined;
  let userBad = false;
  let projectsObj: ObjectInfo | undefined;
  let projectsBad = false;
  let projects = new Map<string, ProjectLayout>();
  let badProjects = new Map<string, 'entry' | 'servers'>();
  const members: Member[] = [];
  const end = s.walkObject(start, (key, keyStart, keyEnd, valueStart) => {
    let valueEnd: number;
    if (key === 'mcpServers' && wantUser) {
      userBad = !s.isObjectAt(valueStart);
      userServers = userBad ? undefined : s.readObject(valueStart);
      valueEnd = userServers ? userServers.end : s.skipValue(valueStart);
    } else if (key === 'projects') {
      // A later duplicate `projects` replaces everything found in an earlier one.
      projects = new Map();
      badProjects = new Map();
      projectsBad = !s.isObjectAt(valueStart);
      if (projectsBad) {
        projectsObj = undefined;
        valueEnd = s.skipValue(valueStart);
      } else {
        const pm: Member[] = [];
        valueEnd = s.walkObject(valueStart, (pkey, pks, pke, pvs) => {
          let pve: number;
          const wanted = want === 'all' || want.has(pkey);
          if (wanted && s.isObjectAt(pvs)) {
            const entry = s.readObject(pvs);
            pve = entry.end;
            const sm = lastMember(entry.members, 'mcpServers');
            const member = { key: pkey, keyStart: pks, keyEnd: pke, valueStart: pvs, valueEnd: pve };
            const layout: ProjectLayout = { member, entry };
            badProjects.delete(pkey);
            if (sm !== undefined && s.isObjectAt(sm.valueStart)) {
              layout.serversMember = sm;
              layout.servers = s.readObject(sm.valueStart);
            } else if (sm !== undefined) badProjects.set(pkey, 'servers');
            projects.set(pkey, layout);
          } else {
            pve = s.skipValue(pvs);
            // A later duplicate that is not an object replaces the earlier one.
            projects.delete(pkey);
            if (wanted) badProjects.set(pkey, 'entry');
          }
          pm.push({ key: pkey, keyStart: pks, keyEnd: pke, valueStart: pvs, valueEnd: pve });
          return pve;
        });
        projectsObj = { start: valueStart, end: valueEnd, members: pm };
      }
    } else {
      valueEnd = s.skipValue(valueStart);
    }
    members.push({ key, keyStart, keyEnd, valueStart, valueEnd });
    return valueEnd;
  });
  const after = s.skipWs(end);
  if (after < text.length) s.fail(after, 'unexpected text after the JSON value');
  if (userBad) throw new ConfigShapeError('mcpServers', 'is not an object');
  if (projectsBad && opts.projectsShape !== false) throw new ConfigShapeError('projects', 'is not an object');
  return {
    text,
    top: { start, end, members },
    ...(userServers ? { userServers } : {}),
    ...(projectsObj ? { projectsObj } : {}),
    projects,
    badProjects,
  };
}

/** The `mcpServers` object of a scope, if there is one. */
export function serversObjectOf(layout: ConfigLayout, ref: { scope: 'user' | 'local'; project?: string }): ObjectInfo | undefined {
  if (ref.scope === 'user') return layout.userServers;
  return layout.projects.get(ref.project as string)?.servers;
}

/** The member of server `server` in a scope (the last duplicate). */
export function serverMemberOf(layout: ConfigLayout, ref: { scope: 'user' | 'local'; project?: string; server: string }): Member | undefined {
  const servers = serversObjectOf(layout, ref);
  return servers ? lastMember(servers.members, ref.server) : undefined;
}
