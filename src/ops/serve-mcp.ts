// `mcp`: our MCP server on the channel Claude Code gave it, until the client closes it.
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { VERSION } from '../core/version.js';
import { startMcpServer } from '../mcp/mcp-server.js';
import type { OpsContext } from './ops-context.js';

export interface McpChannel {
  input: Readable;
  output: Writable;
}

export async function serveMcp(ctx: OpsContext, channel: McpChannel): Promise<void> {
  const ttl = Number(ctx.env.KEYRING_INJECT_PAGE_TTL_MS);
  const peer = startMcpServer(channel.input, channel.output, {
    paths: ctx.paths,
    env: ctx.env,
    projectDir: resolve(ctx.cwd, ctx.env.CLAUDE_PROJECT_DIR || '.'),
    backend: ctx.backend,
    now: ctx.now,
    version: VERSION,
    ...(ttl > 0 ? { pageTtlMs: ttl } : {}),
  });
  await peer.closed;
}
