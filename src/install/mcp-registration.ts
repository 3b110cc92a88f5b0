// Registers `keyring-inject mcp` as a user-scope stdio MCP server in ~/.claude.json, as
// `claude mcp add --scope user keyring-inject -- <node> <cli> mcp` would, and removes it again.
// The edit goes through the same locked, re-verified write as every other change of that file
// (claude/config-edit.ts); jsonc-parser's modify() touches only the member it changes.
import { applyEdits, modify, parse } from 'jsonc-parser';
import { writeConfigText } from '../claude/config-file.js';
import { editConfig } from '../claude/config-edit.js';

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

function current(text: string): unknown {
  const data = parse(text) as { mcpServers?: Record<string, unknown> } | undefined;
  return data && typeof data === 'object' ? data.mcpServers?.[MCP_SERVER_NAME] : undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The config text with our entry set (undefined: it is there already). Pure. */
export function withMcpServer(text: string, entry: McpServerEntry): string | undefined {
  if (same(current(text), entry)) return undefined;
  return applyEdits(text, modify(text, ['mcpServers', MCP_SERVER_NAME], entry, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } }));
}

/** The config text without our entry (undefined: it is not there). Pure. */
export function withoutMcpServer(text: string): string | undefined {
  if (current(text) === undefined) return undefined;
  return applyEdits(text, modify(text, ['mcpServers', MCP_SERVER_NAME], undefined, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } }));
}

/** Add or update the entry. Returns whether the file changed. A missing config file is created (0600). */
export async function registerMcpServer(configFile: string, entry: McpServerEntry, dryRun = false): Promise<boolean> {
  const edited = await editConfig(
    configFile,
    (text) => {
      const next = withMcpServer(text, entry);
      return { text: next ?? text, result: next !== undefined };
    },
    (text) => same(current(text), entry),
    { dryRun },
  );
  if (edited) return edited.result;
  if (!dryRun) await writeConfigText(configFile, `${JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: entry } }, null, 2)}\n`, false);
  return true;
}

/** Remove the entry. Returns whether the file changed. */
export async function unregisterMcpServer(configFile: string, dryRun = false): Promise<boolean> {
  const edited = await editConfig(
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
