// Stands in for Claude Code's start-up in launcher tests (the real client is in test/e2e): reads
// the project's MCP servers the way Claude Code does — `<cwd>/.mcp.json` (project scope) and
// `projects[<cwd>].mcpServers` of the global config (local scope, which wins on a name clash) —
// and starts each stdio server once with its `command`, `args` and `env` over its own
// environment, waits for them, and exits 0. The servers are what records their environment.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

const cwd = realpathSync(process.cwd());
const dir = process.env.CLAUDE_CONFIG_DIR || process.env.HOME;
const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : {});
const config = read(join(dir, '.claude.json'));
const project = read(join(cwd, '.mcp.json')).mcpServers ?? {};
const local = config.projects?.[cwd]?.mcpServers ?? {};
const servers = { ...project, ...local };
let pending = 0;
for (const [name, s] of Object.entries(servers)) {
  if ((s.type ?? 'stdio') !== 'stdio') continue;
  pending++;
  const child = spawn(s.command, s.args ?? [], { cwd, env: { ...process.env, ...(s.env ?? {}) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  child.on('exit', (code) => {
    process.stdout.write(`server ${name} exited ${code}${err ? `: ${err.trim()}` : ''}\n`);
    if (--pending === 0) process.exit(0);
  });
}
if (pending === 0) process.exit(0);
