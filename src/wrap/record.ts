// What `wrap` wrapped, kept in our data dir (`wrapped.json`): the original command of a stdio
// server, the URL of an http one. `exec` and `headers` serve a server's keys only to that
// command or URL: a project's .mcp.json can name `keyring-inject exec --server github -- ...`
// or `headersHelper: keyring-inject headers github` with a URL of its own.
//
// Servers wrapped before this record existed have none: for them the wrapped entry in
// ~/.claude.json (which `wrap` wrote and a project cannot) is the record, taken over on first
// use. A server that is wrapped nowhere is refused. A damaged record is refused too
// (core/private-store.ts): moved away, the wrapped entries stand in again.
import { join } from 'node:path';
import { readConfigText } from '../claude/config-file.js';
import { KiError } from '../core/errors.js';
import type { ClaudePaths, Env } from '../core/paths.js';
import { readPrivateStore, withPrivateStore, type PrivateStore } from '../core/private-store.js';
import { parseJson } from '../core/parse-json.js';
import { isRecord } from '../core/is-record.js';
import { wrappedTargetIn, type WrapTarget } from './patch.js';
import { sameServer, type ServerAddress } from '../claude/address.js';

export type { WrapTarget };
export type WrapRecord = ServerAddress & WrapTarget;

interface RecordsFile {
  version: 1;
  servers: WrapRecord[];
}

function isWrapRecord(r: unknown): r is WrapRecord {
  if (!isRecord(r) || typeof r.server !== 'string' || (r.scope !== 'user' && r.scope !== 'local')) return false;
  if (r.project !== undefined && typeof r.project !== 'string') return false;
  if (r.kind === 'stdio') return Array.isArray(r.command) && r.command.every((c) => typeof c === 'string');
  return r.kind === 'http' && typeof r.url === 'string';
}

function recordsStore(paths: ClaudePaths): PrivateStore<RecordsFile> {
  const file = join(paths.dataDir, 'wrapped.json');
  return {
    file,
    empty: () => ({ version: 1, servers: [] }),
    parse: (text) => {
      const damaged = () => new KiError('wrapped-invalid', `${file} is damaged: move it away (the wrapped entries in ~/.claude.json then stand in)`);
      const data = parseJson(text, damaged);
      if (!isRecord(data) || !Array.isArray(data.servers) || !data.servers.every(isWrapRecord)) throw damaged();
      return { version: 1, servers: data.servers };
    },
  };
}

async function readRecords(paths: ClaudePaths): Promise<WrapRecord[]> {
  return (await readPrivateStore(recordsStore(paths))).servers;
}

async function updateRecords(paths: ClaudePaths, change: (records: WrapRecord[]) => WrapRecord[]): Promise<void> {
  await withPrivateStore(recordsStore(paths), async ({ value, write }) => {
    await write({ version: 1, servers: change(value.servers) });
  });
}

/** After a wrap: record what the wrapped entry of each server now wraps, as the edit reported it (WrapEdit's `target`). */
export async function recordWrapTargets(paths: ClaudePaths, wraps: readonly { ref: ServerAddress; target: WrapTarget | undefined }[]): Promise<void> {
  const fresh: WrapRecord[] = [];
  for (const { ref, target } of wraps) {
    if (target) fresh.push({ server: ref.server, scope: ref.scope, ...(ref.project ? { project: ref.project } : {}), ...target });
  }
  if (fresh.length > 0) await updateRecords(paths, (records) => [...records.filter((r) => !fresh.some((f) => sameServer(f, r))), ...fresh]);
}

/** Record what the config's wrapped entry of each server wraps (read from the config: a server wrapped before there were records). */
export async function recordWrapped(paths: ClaudePaths, refs: readonly ServerAddress[]): Promise<void> {
  const text = await readConfigText(paths.configFile);
  if (text === undefined) return;
  await recordWrapTargets(
    paths,
    refs.map((ref) => ({ ref, target: wrappedTargetIn(text, ref) })),
  );
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
