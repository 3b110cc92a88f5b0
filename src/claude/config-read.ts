// Read-only look at ~/.claude.json for the commands (which servers exist, what an entry says).
// Read through config-file.ts, laid out by the one locator, entries decoded by config-servers.ts.
// Lenient about shape like JSON.parse and a lookup would be: a top level, `mcpServers` or
// `projects` that is not an object just holds no servers. Never prints content.
import type { Scope } from './scope.js';
import { readConfigText } from './config-file.js';
import { readServer } from './config-servers.js';
import { layoutOf, serverMemberOf, type ConfigLayout } from './json/locate.js';
import { ConfigParseError, ConfigShapeError, isArrayAt, JsonScanner, readArray, stringAt, type Member, type ObjectInfo } from './json/scanner.js';

export interface ConfigView {
  userServers: string[];
  localServers: (project: string) => string[];
  /** What a configured server's entry says (names only, never an env value); undefined when absent. */
  server: (scope: Scope, project: string | undefined, server: string) => ServerEntryFacts | undefined;
}

export interface ServerEntryFacts {
  /** 'stdio' when absent, as Claude Code reads it. */
  type: string;
  command?: string;
  args?: string[];
  envNames: string[];
}

/** undefined when the file does not exist; throws a one-line error when it is not JSON. */
export async function readConfigView(file: string): Promise<ConfigView | undefined> {
  const text = await readConfigText(file);
  if (text === undefined) return undefined;
  const layout = lenientLayout(text, file);
  return {
    userServers: namesOf(layout?.userServers),
    localServers: (project) => namesOf(layout?.projects.get(project)?.servers),
    server: (scope, project, server) => {
      if (!layout) return undefined;
      const ref = scope === 'local' && project ? { scope, project, server } : { scope: 'user' as const, server };
      const member = serverMemberOf(layout, ref);
      return member ? factsOf(text, member) : undefined;
    },
  };
}

export function serversIn(view: ConfigView, scope: Scope, project: string | undefined): string[] {
  return scope === 'local' && project ? view.localServers(project) : view.userServers;
}

/** The layout, or undefined for a top level that is not an object; invalid JSON throws the one-line error. */
function lenientLayout(text: string, file: string): ConfigLayout | undefined {
  try {
    return layoutOf(text, 'all', { projectsShape: false });
  } catch (err) {
    if (err instanceof ConfigParseError) throw new Error(`${file} is not valid JSON: fix it, or restore it from ~/.claude/backups/`);
    if (!(err instanceof ConfigShapeError)) throw err;
    if (err.path === '') return undefined;
    // `mcpServers` is not an object: no user servers; the projects' still count.
    return layoutOf(text, 'all', { user: false, projectsShape: false });
  }
}

/** An object's keys as Object.keys gives them for the parsed object (duplicates once, integer keys first). */
function namesOf(obj: ObjectInfo | undefined): string[] {
  return obj ? Object.keys(Object.fromEntries(obj.members.map((m) => [m.key, true]))) : [];
}

function factsOf(text: string, member: Member): ServerEntryFacts | undefined {
  const info = readServer(text, member);
  if (!info) return undefined;
  const command = info.command?.value;
  const args = info.args && (info.args.values ?? stringsIn(text, info.args.member));
  return {
    type: info.type ?? 'stdio',
    ...(command !== undefined ? { command } : {}),
    ...(args !== undefined ? { args } : {}),
    envNames: info.env ? Object.keys(Object.fromEntries(info.env.vars.map((v) => [v.name, true]))) : [],
  };
}

/** The strings of an array with other elements too (left out); undefined when it is no array. */
function stringsIn(text: string, member: Member): string[] | undefined {
  const s = new JsonScanner(text);
  if (!isArrayAt(s, member.valueStart)) return undefined;
  return readArray(s, member.valueStart)
    .elements.map((e) => stringAt(s, e.start, e.end))
    .filter((v): v is string => v !== undefined);
}
