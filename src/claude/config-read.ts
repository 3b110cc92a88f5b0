// Read-only look at ~/.claude.json for the CLI (which servers exist). Never prints content.
import { readFile } from 'node:fs/promises';
import type { Scope } from './scope.js';
import { isRecord } from '../core/is-record.js';
import { withoutBom } from '../core/bom.js';
import { parseJson } from '../core/parse-json.js';

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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const data = parseJson(withoutBom(text), () => new Error(`${file} is not valid JSON: fix it, or restore it from ${'~/.claude/backups/'}`));
  const root = isRecord(data) ? data : {};
  const servers = (v: unknown) => (isRecord(v) && isRecord(v.mcpServers) ? Object.keys(v.mcpServers) : []);
  const holder = (scope: Scope, project: string | undefined): unknown => (scope === 'local' && project ? (isRecord(root.projects) ? root.projects[project] : undefined) : root);
  return {
    userServers: servers(root),
    localServers: (project) => (isRecord(root.projects) ? servers(root.projects[project]) : []),
    server: (scope, project, server) => {
      const h = holder(scope, project);
      const entry = isRecord(h) && isRecord(h.mcpServers) ? h.mcpServers[server] : undefined;
      if (!isRecord(entry)) return undefined;
      return {
        type: typeof entry.type === 'string' ? entry.type : 'stdio',
        ...(typeof entry.command === 'string' ? { command: entry.command } : {}),
        ...(Array.isArray(entry.args) ? { args: entry.args.filter((a): a is string => typeof a === 'string') } : {}),
        envNames: isRecord(entry.env) ? Object.keys(entry.env) : [],
      };
    },
  };
}

export function serversIn(view: ConfigView, scope: Scope, project: string | undefined): string[] {
  return scope === 'local' && project ? view.localServers(project) : view.userServers;
}
