// Registers `keyring-inject mcp` as a user-scope stdio MCP server in ~/.claude.json, as
// `claude mcp add --scope user keyring-inject -- <node> <cli> mcp` would, and removes it again.
// The edit goes through the same locked, re-verified write as every other change of that file
// (claude/config-edit.ts), and is one minimal edit of the JSON core in the file's own layout.
import { applyEdits, formatValue, insertMemberEdit, lineIndent, memberIndentOf, removeMemberEdit, replaceValueEdit, styleOf, type Edit } from '../claude/json/edit.js';
import { layoutOf, type ConfigLayout } from '../claude/json/locate.js';
import { shadowsEarlier } from '../claude/json/scanner.js';
import { writeConfigText } from '../claude/config-file.js';
import { editConfigForCommand } from '../claude/config-edit.js';

export const MCP_SERVER_NAME = 'keyring-inject';

export interface McpServerEntry {
  type: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
}

export function mcpServerEntry(execPath: string, cliPath: string): McpServerEntry {
  return { type: 'stdio', command: execPath, args: [cliPath, 'mcp'], env: {} };
}

const NO_PROJECTS: ReadonlySet<string> = new Set();

/** The layout of the config (throws ConfigParseError / ConfigShapeError) and the index of our member in the user-scope servers (-1: none). */
function locate(text: string): { layout: ConfigLayout; k: number } {
  const layout = layoutOf(text, NO_PROJECTS, { projectsShape: false });
  const members = layout.userServers?.members ?? [];
  let k = members.length - 1;
  while (k >= 0 && members[k]?.key !== MCP_SERVER_NAME) k--;
  return { layout, k };
}

function current(text: string): unknown {
  if (text.trim() === '') return undefined;
  const { layout, k } = locate(text);
  const m = layout.userServers?.members[k];
  return m && JSON.parse(text.slice(m.valueStart, m.valueEnd));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A new config holding only our entry (what an empty or missing file gets). */
const freshConfig = (entry: McpServerEntry) => `${JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: entry } }, null, 2)}\n`;

/** The config text with our entry set (undefined: it is there already). Pure. */
export function withMcpServer(text: string, entry: McpServerEntry): string | undefined {
  if (text.trim() === '') return freshConfig(entry);
  const { layout, k } = locate(text);
  const servers = layout.userServers;
  const top = styleOf(text, layout.top);
  let edit: Edit;
  if (servers === undefined) {
    edit = insertMemberEdit(text, layout.top, 'mcpServers', formatValue({ [MCP_SERVER_NAME]: entry }, top, memberIndentOf(text, layout.top, top)), top);
  } else {
    const style = styleOf(text, servers, top);
    const m = servers.members[k];
    if (m === undefined) edit = insertMemberEdit(text, servers, MCP_SERVER_NAME, formatValue(entry, style, memberIndentOf(text, servers, style)), style);
    else if (same(JSON.parse(text.slice(m.valueStart, m.valueEnd)), entry)) return undefined;
    else edit = replaceValueEdit(m, formatValue(entry, style, lineIndent(text, m.keyStart)));
  }
  return applyEdits(text, [edit]);
}

/** The config text without our entry (undefined: it is not there). Pure. */
export function withoutMcpServer(text: string): string | undefined {
  let next = text;
  // Every duplicate goes, so that JSON.parse finds none left (bounded: each round removes one).
  for (let round = 0; round < 100; round++) {
    const { layout, k } = next.trim() === '' ? { layout: undefined, k: -1 } : locate(next);
    if (layout?.userServers === undefined || k === -1) return next === text ? undefined : next;
    next = applyEdits(next, [removeMemberEdit(next, layout.userServers, k)]);
  }
  throw new Error('internal error: too many duplicate entries');
}

/** The config text without an empty top-level "mcpServers" (undefined: nothing to do). Pure. */
export function withoutEmptyMcpServers(text: string): string | undefined {
  const { top } = layoutOf(text, NO_PROJECTS, { user: false, projectsShape: false });
  let k = top.members.length - 1;
  while (k >= 0 && top.members[k]?.key !== 'mcpServers') k--;
  const m = top.members[k];
  // An empty one that hides an earlier duplicate stays: deleting it would bring those servers back.
  if (m === undefined || shadowsEarlier(top.members, k) || !/^\{\s*\}$/.test(text.slice(m.valueStart, m.valueEnd))) return undefined;
  return applyEdits(text, [removeMemberEdit(text, top, k)]);
}

/** Add or update the entry. Returns whether the file changed. A missing config file is created (0600). */
export async function registerMcpServer(configFile: string, entry: McpServerEntry, dryRun = false): Promise<boolean> {
  const edited = await editConfigForCommand(
    configFile,
    (text) => {
      const next = withMcpServer(text, entry);
      return { text: next ?? text, result: next !== undefined };
    },
    (text) => same(current(text), entry),
    { dryRun },
  );
  if (edited) return edited.result;
  if (!dryRun) await writeConfigText(configFile, freshConfig(entry), false);
  return true;
}

/** Remove the entry. Returns whether the file changed. */
export async function unregisterMcpServer(configFile: string, dryRun = false): Promise<boolean> {
  const edited = await editConfigForCommand(
    configFile,
    (text) => {
      const next = withoutMcpServer(text);
      return { text: next ?? text, result: next !== undefined };
    },
    (text) => current(text) === undefined,
    { dryRun },
  );
  return edited?.result ?? false;
}
