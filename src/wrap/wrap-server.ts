// wrap / unwrap of one server on disk: the config edit (under Claude Code's lock), the registry
// mode of the server's keys, and the warnings a user needs. Shared by `wrap`, `unwrap`,
// `add --mode wrap` and `import --mode wrap`.
import { projectKeyFor } from '../claude/project-key.js';
import { KiError } from '../core/errors.js';
import { registryFile } from '../core/paths.js';
import { withServerMode } from '../registry/registry.js';
import { loadRegistry, updateRegistry } from '../registry/registry-file.js';
import type { ZeroDiskContext } from './zero-disk-context.js';
import { editConfigForCommand } from '../claude/config-edit.js';
import { ConfigFileError, readConfigText } from '../claude/config-file.js';
import { mcpJsonEntry } from '../claude/mcp-json.js';
import { layoutOf, serverMemberOf } from '../claude/json/locate.js';
import { envTargetsFor, headerTargetsFor } from './values.js';
import { selfPaths } from './format.js';
import { unwrapInText, wrapEditOf, wrapStateIn, wrappedServersIn, type UnwrapOutcome, type WrapOutcome } from './patch.js';
import { forgetWrapped, recordWrapTargets } from './record.js';
import { describeServer, scopeArgs, serverAddressJson, type ServerAddress, type ServerAddressJson } from '../claude/address.js';

export interface WrapReport extends ServerAddressJson {
  outcome: WrapOutcome['kind'];
  how: string | null;
  /** Keys (names) the wrapped server will receive. */
  keys: string[];
  warnings: string[];
  /** `.mcp.json` file the local copy was made from. */
  mcpJson: string | null;
}

/** Wrap one server in ~/.claude.json and switch its keys to 'wrap' mode. Throws KiError when it cannot. */
export async function wrapServer(ctx: ZeroDiskContext, ref: ServerAddress, opts: { dryRun?: boolean; projectDir?: string } = {}): Promise<WrapReport> {
  const self = selfPaths(ctx.env);
  const file = ctx.paths.configFile;
  const found = ref.scope === 'local' ? await mcpJsonEntry(opts.projectDir ?? ctx.cwd, ref.project as string, ref.server) : undefined;
  const done = await editConfigForCommand(
    file,
    (text) => {
      const r = wrapEditOf(text, ref, self, found?.entry);
      return { text: r.text, result: { outcome: r.outcome, target: r.target } };
    },
    (text) => wrapStateIn(text, ref) === 'wrapped',
    { dryRun: opts.dryRun === true },
  );
  if (done === undefined) throw new KiError('config-missing', `${file} does not exist: add the server with 'claude mcp add' first`);
  const { outcome, target } = done.result;
  if (outcome.kind === 'missing') throw new KiError('server-not-found', await missingMessage(ctx, ref));
  if (outcome.kind === 'unsupported') throw new KiError('server-unsupported', `cannot wrap MCP server ${describeServer(ref)}: ${outcome.reason}`);

  const regFile = registryFile(ctx.paths);
  if (!opts.dryRun) {
    await updateRegistry(regFile, (reg) => ({ registry: withServerMode(reg, ref, 'wrap'), result: undefined }));
    // What exec and headers will serve this server's keys to (record.ts), as the edit reported it.
    await recordWrapTargets(ctx.paths, [{ ref, target }]);
  }
  const reg = await loadRegistry(regFile);
  const http = outcome.kind !== 'unchanged' && (outcome.how === 'http' || outcome.how === 'mcp-json-http');
  const keys = http ? headerTargetsFor(reg, ref).map((t) => t.key) : envTargetsFor(reg, ref).map((t) => t.key);
  const warnings: string[] = [];
  const isHttp = http || (outcome.kind === 'unchanged' && outcome.http);
  if (isHttp && headerTargetsFor(reg, ref).length === 0) {
    warnings.push(`no header is mapped to ${describeServer(ref)} yet: add one with 'keyring-inject add NAME --server ${ref.server} --header "Authorization: Bearer {value}"${scopeFlags(ref)}'`);
  }
  if (!isHttp && envTargetsFor(reg, ref).length === 0) {
    warnings.push(
      `no key is mapped to ${describeServer(ref)} yet: add one with 'keyring-inject add NAME --server ${ref.server} --env VAR${scopeFlags(ref)}'; until then the server starts without keys`,
    );
  }
  return {
    ...serverAddressJson(ref),
    outcome: outcome.kind,
    how: outcome.kind === 'wrapped' || outcome.kind === 'rewrapped' ? outcome.how : null,
    keys: [...new Set(keys)],
    warnings,
    mcpJson: outcome.kind === 'wrapped' && outcome.how.startsWith('mcp-json') ? (found?.file ?? null) : null,
  };
}

function scopeFlags(ref: ServerAddress): string {
  return scopeArgs(ref)
    .map((a) => ` ${a}`)
    .join('');
}

async function missingMessage(ctx: ZeroDiskContext, ref: ServerAddress): Promise<string> {
  // The name is not repeated: a value typed in the wrong place must not be echoed.
  const base = `the MCP server given is not in ${ctx.paths.configFile} (${ref.scope === 'local' ? `local scope of ${ref.project}` : 'user scope'})`;
  if (ref.scope === 'user') {
    const project = projectKeyFor(ctx.cwd);
    const text = await readConfigText(ctx.paths.configFile).catch(() => undefined);
    let local = false;
    try {
      local = text !== undefined && serverMemberOf(layoutOf(text, new Set([project])), { server: ref.server, scope: 'local', project }) !== undefined;
    } catch {
      local = false;
    }
    const mcp = await mcpJsonEntry(ctx.cwd, project, ref.server).catch(() => undefined);
    if (local || mcp) return `${base}; it is a ${local ? 'local-scope' : 'project (.mcp.json)'} server of ${project}: add --scope local`;
  }
  return `${base}: add it with 'claude mcp add' first, or check the name with 'claude mcp list'`;
}

export interface UnwrapReport extends ServerAddressJson {
  outcome: UnwrapOutcome['kind'];
  how: string | null;
}

/**
 * Point every wrapped server at the CLI that wrap would write now (after 'install', the runtime's
 * stable launcher). Returns the servers rewritten.
 */
export async function repointWrapped(ctx: ZeroDiskContext, opts: { dryRun?: boolean } = {}): Promise<ServerAddress[]> {
  // A dangling symlink holds no entry to re-point either.
  const text = await readConfigText(ctx.paths.configFile).catch((err: unknown) => {
    if (err instanceof ConfigFileError && err.code === 'file-refused') return undefined;
    throw err;
  });
  if (text === undefined) return [];
  let wrapped: Array<{ ref: ServerAddress; cli: string }>;
  try {
    wrapped = wrappedServersIn(text);
  } catch {
    return []; // a config that does not parse: doctor and wrap name the problem
  }
  const self = selfPaths(ctx.env);
  const moved = wrapped.filter((w) => w.cli !== self.cli).map((w) => w.ref);
  for (const ref of moved) await wrapServer(ctx, ref, { ...opts, ...(ref.project !== undefined ? { projectDir: ref.project } : {}) });
  return moved;
}

/** Restore the original entry and switch the server's keys back to 'inject' mode. */
export async function unwrapServer(ctx: ZeroDiskContext, ref: ServerAddress, opts: { dryRun?: boolean } = {}): Promise<UnwrapReport> {
  const file = ctx.paths.configFile;
  // Registry first: if the config edit fails, the server is still wrapped and also injected: it works.
  if (!opts.dryRun) {
    await updateRegistry(registryFile(ctx.paths), (reg) => ({ registry: withServerMode(reg, ref, 'inject'), result: undefined }));
    await forgetWrapped(ctx.paths, ref);
  }
  const done = await editConfigForCommand(
    file,
    (text) => {
      const r = unwrapInText(text, ref);
      return { text: r.text, result: r.outcome };
    },
    (text) => wrapStateIn(text, ref) !== 'wrapped',
    { dryRun: opts.dryRun === true },
  );
  if (done === undefined) throw new KiError('config-missing', `${file} does not exist: nothing to unwrap`);
  const outcome = done.result;
  if (outcome.kind === 'missing') throw new KiError('server-not-found', await missingMessage(ctx, ref));
  return { ...serverAddressJson(ref), outcome: outcome.kind, how: outcome.kind === 'unwrapped' ? outcome.how : null };
}
