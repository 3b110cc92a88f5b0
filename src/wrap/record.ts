// What `wrap` wrapped, kept in our data dir (`wrapped.json`): the original command of a stdio
// server, the URL of an http one. `exec` and `headers` serve a server's keys only to that
// command or URL: a project's .mcp.json can name `keyring-inject exec --server github -- ...`
// or `headersHelper: keyring-inject headers github` with a URL of its own.
//
// Servers wrapped before this record existed have none: for them the wrapped entry in
// ~/.claude.json (which `wrap` wrote and a project cannot) is the record, taken over on first
// use. A server that is wrapped nowhere is refused.
import { join } from 'node:path';
import { readConfigText } from '../claude/config-file.js';
import { KiError } from '../core/errors.js';
import type { ClaudePaths, Env } from '../core/paths.js';
import { readTextIfExists, withLock, writePrivateFile } from '../core/secure-file.js';
import { wrappedTargetIn } from './patch.js';
import { sameServer, type ServerAddress } from '../claude/address.js';

export type WrapTarget = { kind: 'stdio'; command: string[] } | { kind: 'http'; url: string };
export type WrapRecord = ServerAddress & WrapTarget;

function recordsFile(paths: ClaudePaths): string {
  return join(paths.dataDir, 'wrapped.json');
}

async function readRecords(paths: ClaudePaths): Promise<WrapRecord[]> {
  const text = await readTextIfExists(recordsFile(paths));
  if (text === undefined) return [];
  try {
    const data = JSON.parse(text) as { servers?: unknown };
    return Array.isArray(data.servers) ? (data.servers as WrapRecord[]) : [];
  } catch {
    return []; // damaged: the wrapped entries in ~/.claude.json stand in (see above)
  }
}

async function updateRecords(paths: ClaudePaths, change: (records: WrapRecord[]) => WrapRecord[]): Promise<void> {
  const file = recordsFile(paths);
  await withLock(file, async () => {
    const next = change(await readRecords(paths));
    await writePrivateFile(file, `${JSON.stringify({ version: 1, servers: next }, null, 2)}\n`);
  });
}

/** After a wrap: record what the config's wrapped entry of each server now wraps. */
export async function recordWrapped(paths: ClaudePaths, refs: readonly ServerAddress[]): Promise<void> {
  const text = await readConfigText(paths.configFile);
  if (text === undefined) return;
  const fresh: WrapRecord[] = [];
  for (const ref of refs) {
    const target = wrappedTargetIn(text, ref);
    if (target) fresh.push({ server: ref.server, scope: ref.scope, ...(ref.project ? { project: ref.project } : {}), ...target });
  }
  if (fresh.length > 0) await updateRecords(paths, (records) => [...records.filter((r) => !fresh.some((f) => sameServer(f, r))), ...fresh]);
}

export async function forgetWrapped(paths: ClaudePaths, ref: ServerAddress): Promise<void> {
  await updateRecords(paths, (records) => records.filter((r) => !sameServer(r, ref)));
}

async function recordFor(paths: ClaudePaths, ref: ServerAddress): Promise<WrapTarget | undefined> {
  const found = (await readRecords(paths)).find((r) => sameServer(r, ref));
  if (found) return found;
  const text = await readConfigText(paths.configFile).catch(() => undefined);
  const legacy = text === undefined ? undefined : wrappedTargetIn(text, ref);
  if (legacy) await recordWrapped(paths, [ref]).catch(() => undefined);
  return legacy;
}

/** `exec`: the command must be the one `wrap` wrapped for this server. Throws a one-line refusal. */
export async function checkExecCommand(paths: ClaudePaths, ref: ServerAddress, command: readonly string[]): Promise<void> {
  const rec = await recordFor(paths, ref);
  const same = rec?.kind === 'stdio' && rec.command.length === command.length && rec.command.every((c, i) => c === command[i]);
  // Names neither the server nor the command: either may come from a project file.
  if (!same) {
    throw new KiError(
      'wrap-mismatch',
      `exec refuses: this server's keys go only to the command 'keyring-inject wrap' wrapped for it, and this is ${rec?.kind === 'stdio' ? 'another command' : 'no wrapped stdio server'}; if it is your server, run 'keyring-inject wrap' for it again`,
    );
  }
}

/** `${VAR}` / `${VAR:-default}`, as Claude Code expands them in a URL. */
function expand(url: string, env: Env): string {
  return url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, name: string, fallback: string | undefined) => env[name] ?? fallback ?? whole);
}

/** `headers`: Claude Code's CLAUDE_CODE_MCP_SERVER_URL must be the URL `wrap` wrapped for this server. */
export async function checkHeadersUrl(paths: ClaudePaths, ref: ServerAddress, env: Env): Promise<void> {
  const url = env.CLAUDE_CODE_MCP_SERVER_URL;
  const rec = await recordFor(paths, ref);
  if (rec?.kind === 'http' && url !== undefined && url === expand(rec.url, env)) return;
  const why = rec?.kind !== 'http' ? 'this is no wrapped http server' : url === undefined ? 'CLAUDE_CODE_MCP_SERVER_URL is not set (Claude Code sets it)' : 'CLAUDE_CODE_MCP_SERVER_URL is another URL';
  throw new KiError(
    'wrap-mismatch',
    `headers refuses: this server's headers go only to the URL 'keyring-inject wrap' wrapped for it, and ${why}; if it is your server, run 'keyring-inject wrap' for it again`,
  );
}
