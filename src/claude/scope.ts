// Claude Code's two scopes of MCP servers in ~/.claude.json: user (top-level `mcpServers`) and
// local (`projects[<project path>].mcpServers`).
import { UsageError } from '../core/errors.js';

export type Scope = 'user' | 'local';

/** The `--scope` flag of every command that names a server. */
export function parseScope(v: string | undefined): Scope {
  if (v === undefined || v === 'user') return 'user';
  if (v === 'local') return 'local';
  throw new UsageError('--scope must be user or local');
}
