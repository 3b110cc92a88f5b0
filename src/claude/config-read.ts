// Read-only look at ~/.claude.json for the CLI (which servers exist). Never prints content.
import { readFile } from 'node:fs/promises';
import type { Scope } from '../registry/registry.js';

export interface ConfigView {
  userServers: string[];
  localServers: (project: string) => string[];
  /** The `type` of a configured server ('stdio' when absent, as Claude Code reads it). */
  serverType: (scope: Scope, project: string | undefined, server: string) => string | undefined;
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
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON: fix it, or restore it from ${'~/.claude/backups/'}`);
  }
  const root = isObject(data) ? data : {};
  const servers = (v: unknown) => (isObject(v) && isObject(v.mcpServers) ? Object.keys(v.mcpServers) : []);
  const holder = (scope: Scope, project: string | undefined): unknown => (scope === 'local' && project ? (isObject(root.projects) ? root.projects[project] : undefined) : root);
  return {
    userServers: servers(root),
    localServers: (project) => (isObject(root.projects) ? servers(root.projects[project]) : []),
    serverType: (scope, project, server) => {
      const h = holder(scope, project);
      const entry = isObject(h) && isObject(h.mcpServers) ? h.mcpServers[server] : undefined;
      if (!isObject(entry)) return undefined;
      return typeof entry.type === 'string' ? entry.type : 'stdio';
    },
  };
}

export function serversIn(view: ConfigView, scope: Scope, project: string | undefined): string[] {
  return scope === 'local' && project ? view.localServers(project) : view.userServers;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
