// The facts `setup` plans from, read from disk and the keyring: every MCP server in
// ~/.claude.json, the plaintext secrets import would move, the keys already registered, and
// whether wrap can take each server. Reads values only in import's own dry run (to compare).
import type { ZeroDiskContext } from '../wrap/zero-disk-context.js';
import { KiError } from '../core/errors.js';
import { registryFile } from '../core/paths.js';
import { readConfigText } from '../claude/config-file.js';
import { loadRegistry } from '../registry/registry-file.js';
import { describeRef } from '../registry/source-ref.js';
import { layoutOf } from '../claude/json/locate.js';
import { allServers, configError, HTTP_TYPES, readServer } from '../claude/config-servers.js';
import { runImport } from '../import/import-keys.js';
import { findingId } from '../import/plaintext.js';
import { envTargetsFor, headerTargetsFor } from '../wrap/values.js';
import { isWrapped, wrapInText } from '../wrap/patch.js';
import { MCP_SERVER_NAME } from '../install/mcp-registration.js';
import type { ServerFacts } from './plan.js';
import { sameServer } from '../claude/address.js';

// Only to ask wrapInText whether an entry can be wrapped at all; nothing is written with it.
const PROBE_SELF = { node: '/probe/node', cli: '/probe/cli.js' };

/** undefined when ~/.claude.json does not exist. */
export async function serverFacts(ctx: ZeroDiskContext): Promise<ServerFacts[] | undefined> {
  const file = ctx.paths.configFile;
  const text = await readConfigText(file);
  if (text === undefined) return undefined;
  let servers: ReturnType<typeof allServers>;
  try {
    servers = allServers(layoutOf(text, 'all'));
  } catch (err) {
    throw configError(file, err) ?? new KiError('file-io', `cannot read ${file}`, { cause: err });
  }
  const plan = await runImport(ctx, { dryRun: true, mode: 'wrap', include: new Set(), exclude: new Set() });
  const reg = await loadRegistry(registryFile(ctx.paths));
  const facts: ServerFacts[] = [];
  for (const { ref, member } of servers) {
    const info = readServer(text, member);
    // Our own MCP server ('keyring-inject mcp', registered by install) holds no key.
    if (!info || (ref.scope === 'user' && ref.server === MCP_SERVER_NAME)) continue;
    const wrapped = isWrapped(info);
    const probe = wrapped ? undefined : wrapInText(text, ref, PROBE_SELF).outcome;
    const from = (key: string) => {
      const source = reg.keys[key]?.source;
      return source && source.source !== 'keyring' ? describeRef(source) : 'keyring';
    };
    facts.push({
      ref,
      http: info.type !== undefined && HTTP_TYPES.has(info.type),
      wrapped,
      wrapBlocker: probe?.kind === 'unsupported' ? probe.reason : undefined,
      plaintext: plan.items
        .filter((i) => i.action !== 'skip' && i.key !== undefined && sameServer(i.finding.ref, ref))
        .map((i) => ({ label: `${i.finding.kind} ${i.finding.name}`, key: i.key as string, id: findingId(i.finding) })),
      keys: [...envTargetsFor(reg, ref).map((t) => ({ key: t.key, from: from(t.key), header: false })), ...headerTargetsFor(reg, ref).map((t) => ({ key: t.key, from: from(t.key), header: true }))],
    });
  }
  return facts;
}
