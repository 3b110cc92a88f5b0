// The one address model for the places a key goes in Claude Code's config: a server entry
// (name, scope, project), an env var or a header of it; how two addresses compare, how one reads
// in messages, and how a command's flags name a server (`--server S`/positional, `--scope`,
// `--project`, read the way `add` reads them). Registry targets, engine requests and wrap records
// build on these. Light on imports: `exec` and `headers` run at every server start.
import { resolve } from 'node:path';
import { projectKeyFor } from './project-key.js';
import { parseScope, type Scope } from './scope.js';
import { UsageError } from '../core/errors.js';

/** A server entry: `mcpServers[server]` (user) or `projects[project].mcpServers[server]` (local). */
export interface ServerAddress {
  server: string;
  scope: Scope;
  /** Project key (absolute path: the key of `projects` in ~/.claude.json). Only for scope local. */
  project?: string;
}

/** Env var `env` of a server entry. */
export interface EnvAddress extends ServerAddress {
  env: string;
}

/** Header `header` of an http/sse server entry (served through our headersHelper). */
export interface HeaderAddress extends ServerAddress {
  header: string;
}

/** A server address as the --json outputs write it: `project` is null in user scope. */
export interface ServerAddressJson {
  server: string;
  scope: Scope;
  project: string | null;
}

export function serverAddressJson(a: ServerAddress): ServerAddressJson {
  return { server: a.server, scope: a.scope, project: a.project ?? null };
}

/** Same server entry: name, scope and (for local scope) project. */
export function sameServer(a: ServerAddress, b: ServerAddress): boolean {
  return a.server === b.server && a.scope === b.scope && (a.scope !== 'local' || (a.project ?? '') === (b.project ?? ''));
}

export function sameEnv(a: EnvAddress, b: EnvAddress): boolean {
  return a.env === b.env && sameServer(a, b);
}

/** Header names compare case-insensitively, as HTTP's do. */
export function sameHeader(a: HeaderAddress, b: HeaderAddress): boolean {
  return sameServer(a, b) && a.header.toLowerCase() === b.header.toLowerCase();
}

/** Only the server entry's address, without what a wider record carries. */
export function serverAddressOf(a: ServerAddress): ServerAddress {
  return a.scope === 'local' ? { server: a.server, scope: 'local', project: a.project as string } : { server: a.server, scope: a.scope };
}

/** Only the env var's address (key order as the state file has always written it). */
export function envAddressOf(a: EnvAddress): EnvAddress {
  return a.scope === 'local' ? { server: a.server, env: a.env, scope: 'local', project: a.project as string } : { server: a.server, env: a.env, scope: 'user' };
}

/** The flags that name `a`'s scope the way serverFromFlags reads them: none for user scope. */
export function scopeArgs(a: ServerAddress): string[] {
  return a.scope === 'local' ? ['--scope', 'local', '--project', a.project as string] : [];
}

function scopeLabel(a: ServerAddress | ServerAddressJson): string {
  return a.scope === 'local' ? `(local: ${a.project})` : '(user)';
}

/** `github (user)`, `github (local: /p)`. */
export function describeServer(a: ServerAddress | ServerAddressJson): string {
  return `${a.server} ${scopeLabel(a)}`;
}

/** `github.env.GITHUB_TOKEN (user)`. */
export function describeEnv(a: EnvAddress): string {
  return `${a.server}.env.${a.env} ${scopeLabel(a)}`;
}

/** `api.headers.Authorization (local: /p)`. */
export function describeHeader(a: HeaderAddress): string {
  return `${a.server}.headers.${a.header} ${scopeLabel(a)}`;
}

/** The server a command's flags name: `--scope` (default user), `--project` (local only; default the cwd). */
export function serverFromFlags(cwd: string, server: string, scopeFlag: string | undefined, projectFlag: string | undefined): ServerAddress {
  const scope = parseScope(scopeFlag);
  if (projectFlag !== undefined && scope !== 'local') throw new UsageError('--project goes with --scope local');
  if (scope === 'user') return { server, scope };
  return { server, scope, project: projectKeyFor(resolve(cwd, projectFlag ?? '.')) };
}
