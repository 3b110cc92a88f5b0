// `import --from mcp-keyring-injector`: the move from the older plugin. It kept a list in
// ~/.claude/config/mcp-credentials.json ({"NAME": {"env_var", "service", "account", "label",
// "mcp_server"}}; mcp_server defaults to NAME) and the values in the OS keyring under
// service/account, and its SessionStart hook wrote them into the user-scope servers' env in
// ~/.claude.json. Here each entry becomes a key of our registry that READS THAT SAME ITEM
// (source os-keyring: nothing is copied, no value is written anywhere), mapped to the server's
// variable, and each stdio server is wrapped (zero-disk) as setup would. The older plugin's own
// files are left alone: the user removes the plugin (its hooks would keep writing keys into
// ~/.claude.json), and we say how.
import { readFile, stat } from 'node:fs/promises';
import { readConfigText, withConfigLock } from '../claude/config-file.js';
import { editConfigForCommand } from '../claude/config-edit.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { configCopies } from '../engine/config-copies.js';
import { replaceRaw, scanPlaintext, stripPlaintextText, type Finding, type StripItem } from './plaintext.js';
import { join } from 'node:path';
import { readConfigView } from '../claude/config-read.js';
import { isRecord } from '../core/is-record.js';
import { KiError } from '../core/errors.js';
import { registryFile, type Env } from '../core/paths.js';
import { ownerOf, withKey, withSource, type Target } from '../registry/registry.js';
import type { SourceRef } from '../registry/source-ref.js';
import { refProblem } from '../registry/source-ref.js';
import { loadRegistry, updateRegistry } from '../registry/registry-file.js';
import { wrapAfterAdd } from '../wrap/add-zero-disk.js';
import type { ZeroDiskContext } from '../wrap/zero-disk-context.js';
import { deriveKeyName } from './import-keys.js';
import { HTTP_TYPES } from '../claude/config-servers.js';
import { describeServer } from '../claude/address.js';

/** Where the older plugin keeps its list (it reads Path.home() itself, not CLAUDE_CONFIG_DIR). */
export function legacyConfigFile(env: Env): string | undefined {
  return env.HOME ? join(env.HOME, '.claude', 'config', 'mcp-credentials.json') : undefined;
}

export interface LegacyEntry {
  name: string;
  envVar: string;
  service: string;
  account: string;
  server: string;
}

export type LegacyAction = 'register' | 'already' | 'skip';

export interface LegacyItem {
  entry: LegacyEntry;
  action: LegacyAction;
  /** The key it becomes (register / already). */
  key?: string;
  reason: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;

/** The entries of the older plugin's file; problems name entries and fields, never content. */
export async function readLegacyConfig(file: string): Promise<{ entries: LegacyEntry[]; problems: string[] } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KiError('file-io', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): fix its permissions`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new KiError('input-invalid', `${file} is not valid JSON: fix it (it is mcp-keyring-injector's list of keys)`);
  }
  if (!isRecord(data)) throw new KiError('input-invalid', `${file} is not an object of entries {"NAME": {"env_var", "service", "account", "mcp_server"}}: fix it`);
  const entries: LegacyEntry[] = [];
  const problems: string[] = [];
  let n = 0;
  for (const [name, raw] of Object.entries(data)) {
    n++;
    const label = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) ? `entry "${name}"` : `entry ${n}`;
    if (!isRecord(raw)) {
      problems.push(`${label} is not an object: skipped`);
      continue;
    }
    const str = (k: string) => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : undefined);
    const envVar = str('env_var');
    const service = str('service');
    const account = str('account');
    const server = str('mcp_server') ?? name;
    if (!envVar || !service || !account) {
      problems.push(`${label} lacks env_var, service or account: skipped (the older plugin skipped it too)`);
      continue;
    }
    if (!ENV_NAME.test(envVar)) {
      problems.push(`${label}: env_var is not a variable name: skipped`);
      continue;
    }
    const ref: SourceRef = { source: 'os-keyring', id: account, metadata: { service } };
    if (refProblem(ref) || server.length > 256 || /[\u0000-\u001f\u007f]/.test(server)) {
      problems.push(`${label}: service, account or mcp_server is not usable: skipped`);
      continue;
    }
    entries.push({ name, envVar, service, account, server });
  }
  return { entries, problems };
}

export interface LegacyResult {
  file: string;
  items: LegacyItem[];
  problems: string[];
  wrapped: string[];
  /** Values the older plugin left in ~/.claude.json that are (or would be) removed, as SERVER.env.VAR. */
  leftovers: string[];
  warnings: string[];
  /** Lines telling the user how to remove the older plugin. */
  removal: string[];
}

function refOf(e: LegacyEntry): SourceRef {
  return { source: 'os-keyring', id: e.account, metadata: { service: e.service } };
}

/** Plan (always) and apply (unless dryRun). */
export async function importLegacyPlugin(ctx: ZeroDiskContext, opts: { dryRun: boolean }): Promise<LegacyResult> {
  const file = legacyConfigFile(ctx.env);
  const read = file ? await readLegacyConfig(file) : undefined;
  if (!file || !read) throw new KiError('config-missing', `no mcp-keyring-injector configuration at ${file ?? '~/.claude/config/mcp-credentials.json'}: nothing to import`);
  const view = await readConfigView(ctx.paths.configFile);
  const reg = await loadRegistry(registryFile(ctx.paths));
  const base = ctx.backend();
  const items: LegacyItem[] = [];
  // The items' values, in memory only: to recognise what the older plugin's hook left in the config.
  const itemValues = new Map<LegacyEntry, string>();
  const taken = new Set(Object.keys(reg.keys));
  for (const e of read.entries) {
    const target: Target = { server: e.server, env: e.envVar, scope: 'user' };
    const owner = ownerOf(reg, target);
    if (owner) {
      const src = reg.keys[owner]?.source;
      const same = src?.source === 'os-keyring' && src.id === e.account && src.metadata?.service === e.service;
      items.push(
        same
          ? { entry: e, action: 'already', key: owner, reason: 'already moved' }
          : { entry: e, action: 'skip', reason: `${e.server}.env.${e.envVar} already receives key ${owner}: remove it first to move this one` },
      );
      continue;
    }
    if (!view?.userServers.includes(e.server)) {
      items.push({
        entry: e,
        action: 'skip',
        reason: `MCP server ${JSON.stringify(e.server)} is not in ${ctx.paths.configFile} (user scope): add it with 'claude mcp add --scope user', then run this again`,
      });
      continue;
    }
    // The item must be there (its value is read in memory only, to check).
    let stored: string | undefined;
    try {
      stored = base.forService ? await base.forService(e.service).get(e.account) : undefined;
    } catch (err) {
      throw new KiError('keyring-unavailable', err instanceof Error ? err.message : String(err), { cause: err });
    }
    if (stored === undefined || stored === '') {
      items.push({ entry: e, action: 'skip', reason: `no keyring item with service ${e.service} and account ${e.account}: store it first (the older plugin could not inject it either)` });
      continue;
    }
    let key = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(e.name) && !taken.has(e.name) ? e.name : deriveKeyName(e.server, e.envVar);
    for (let i = 2; taken.has(key) && i <= 9; i++) key = `${deriveKeyName(e.server, e.envVar)}-${i}`;
    if (taken.has(key)) {
      items.push({ entry: e, action: 'skip', reason: `no free key name for ${e.server}.env.${e.envVar}` });
      continue;
    }
    taken.add(key);
    itemValues.set(e, stored);
    items.push({ entry: e, action: 'register', key, reason: `reads service ${e.service}, account ${e.account}` });
  }
  const result: LegacyResult = { file, items, problems: read.problems, wrapped: [], leftovers: [], warnings: [], removal: removalSteps(file) };
  const moving = items.filter((i) => i.action === 'register');
  for (const i of items) {
    const type = view?.server('user', undefined, i.entry.server)?.type;
    if (i.action !== 'skip' && type !== undefined && HTTP_TYPES.has(type))
      result.warnings.push(
        `${i.entry.server} is an ${type} server: Claude Code gives it no environment, so ${i.entry.envVar} reaches nothing; give it a header with 'keyring-inject add ... --header'`,
      );
  }
  // What the older plugin's hook left in the entries (its SessionEnd hook never ran): the same
  // value under the same variable is removed, from the config and Claude Code's copies of it.
  const text = (await readConfigText(ctx.paths.configFile)) ?? '';
  let left: Finding[] = [];
  try {
    left = scanPlaintext(text).filter((f) => f.kind === 'env' && f.ref.scope === 'user');
  } catch {
    left = [];
  }
  const strip: StripItem[] = [];
  for (const i of moving) {
    const f = left.find((x) => x.ref.server === i.entry.server && x.name === i.entry.envVar);
    if (!f || f.value.startsWith('${')) continue;
    if (f.value === itemValues.get(i.entry)) strip.push({ ref: f.ref, kind: 'env', name: f.name, raw: f.raw });
    else result.warnings.push(`${i.entry.server}.env.${i.entry.envVar} in ${ctx.paths.configFile} holds another plaintext value: 'keyring-inject import' moves it, or remove it by hand`);
  }
  result.leftovers = strip.map((x) => `${x.ref.server}.env.${x.name}`);
  if (opts.dryRun || moving.length === 0) return result;

  await updateRegistry(registryFile(ctx.paths), (r) => {
    let next = r;
    for (const i of moving) {
      // Injected until wrapServer makes the server zero-disk (it switches the targets to 'wrap'):
      // a server that cannot be wrapped keeps its key by injection, as setup does.
      const target: Target = { server: i.entry.server, env: i.entry.envVar, scope: 'user' };
      const owner = ownerOf(next, target);
      if (owner && owner !== i.key) throw new KiError('key-conflict', `${i.entry.server}.env.${i.entry.envVar} was mapped to key ${owner} meanwhile: run the import again`);
      if (next.keys[i.key as string]) throw new KiError('key-conflict', `key ${i.key} was added meanwhile: run the import again`);
      next = withSource(withKey(next, i.key as string, [target], base.id, ctx.now()), i.key as string, refOf(i.entry));
    }
    return { registry: next, result: undefined };
  });
  if (strip.length > 0) {
    await editConfigForCommand(
      ctx.paths.configFile,
      (t) => ({ text: stripPlaintextText(t, strip).text, result: undefined }),
      (t) => stripPlaintextText(t, strip).stripped.length === 0,
    );
    const values = strip.map((x) => x.raw);
    await withConfigLock(ctx.paths.configFile, async () => {
      for (const copy of await configCopies(ctx.paths)) {
        const before = await readFile(copy, 'utf8').catch(() => undefined);
        if (before === undefined) continue;
        const after = replaceRaw(before, values);
        if (after.count > 0) await writeFileAtomic(copy, after.text, { mode: (await stat(copy)).mode & 0o7777 });
      }
    });
  }
  const servers = [...new Set(moving.map((i) => i.entry.server))];
  result.wrapped = await wrapAfterAdd(
    ctx,
    servers.map((server) => ({ server, scope: 'user' as const })),
    (w) => result.warnings.push(w),
  );
  const injected = servers.filter((server) => !result.wrapped.includes(describeServer({ server, scope: 'user' })));
  if (injected.length > 0) result.warnings.push(`${injected.join(', ')}: not zero-disk, so the key is injected while a session runs: start Claude Code with 'keyring-inject claude'`);
  return result;
}

/** How to remove the older plugin: its hooks would otherwise keep writing keys into ~/.claude.json. */
function removalSteps(file: string): string[] {
  return [
    'remove mcp-keyring-injector now: its SessionStart hook would keep writing these keys into ~/.claude.json',
    "  installed as a plugin: run '/plugin uninstall mcp-keyring-injector' in Claude Code (or 'claude plugin uninstall mcp-keyring-injector')",
    '  installed by hand: delete its SessionStart/SessionEnd hooks (inject-credentials.py, remove-credentials.py) from ~/.claude/settings.json',
    `  then ${file} can go; the keyring items stay: keyring-inject reads them where they are`,
  ];
}
