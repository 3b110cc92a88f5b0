// `uninstall --all`: everything we ever changed, undone, in an order that keeps every server
// working at each step: unwrap (the original entries come back), strip injected values, remove
// the hooks, the guards and our MCP server, then the files we created, the runtime and our data
// dir. Keys stay in the keyring unless purgeKeys.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { JsonScanner } from '../claude/json/scanner.js';
import { withoutBom } from '../core/bom.js';
import type { ZeroDiskContext } from '../wrap/zero-disk-context.js';
import { registryFile } from '../core/paths.js';
import { loadRegistry } from '../registry/registry-file.js';
import { unwrapServer } from '../wrap/wrap-server.js';
import { wrappedServersIn } from '../wrap/patch.js';
import { editConfigForCommand } from '../claude/config-edit.js';
import { readConfigText } from '../claude/config-file.js';
import { installRecordFile, type InstallRecord } from './install-ops.js';
import { unregisterMcpServer, withoutEmptyMcpServers } from './mcp-registration.js';
import { readSettingsText, settingsError, writeSettingsText } from './settings-file.js';
import { removeHooks } from './settings-hooks.js';
import { describeServer, sameServer, type ServerAddress } from '../claude/address.js';
import { allServers } from '../claude/config-servers.js';
import { layoutOf } from '../claude/json/locate.js';
import type { Registry } from '../registry/registry.js';

export interface UninstallAllReport {
  dryRun: boolean;
  unwrapped: string[];
  stripped: string[];
  hooksRemoved: number;
  mcpServerRemoved: boolean;
  /** Files we had created and now removed again (settings.json, ~/.claude.json). */
  filesRemoved: string[];
  dataDirRemoved: boolean;
  /** Keys deleted from the keyring (purgeKeys), by name. */
  keysPurged: string[];
  /** Keys left in the keyring, by name. */
  keysKept: string[];
  /** Servers still configured that had keys mapped: they start without them now. */
  keyless: { server: string; vars: string[]; keys: string[] }[];
}

export interface UninstallAllDeps {
  /** Strip every injected value from the config and its copies ('cleanup'). */
  strip: (dryRun: boolean) => Promise<{ stripped: string[] }>;
}

function readRecord(dataDir: string): InstallRecord | undefined {
  try {
    return JSON.parse(readFileSync(installRecordFile(dataDir), 'utf8')) as InstallRecord;
  } catch {
    return undefined;
  }
}

/**
 * The text is an empty JSON object (a byte-order mark and whitespace allowed). Strict JSON, as
 * Claude Code reads it: `{,}` or a comment is not "empty", so such a file is never deleted.
 */
function isEmptyObjectText(text: string): boolean {
  const s = new JsonScanner(withoutBom(text));
  try {
    const start = s.skipWs(0);
    const obj = s.isObjectAt(start) ? s.readObject(start) : undefined;
    return obj !== undefined && obj.members.length === 0 && s.skipWs(obj.end) === s.text.length;
  } catch {
    return false;
  }
}

/** The configured servers that have keys mapped to them (variables or headers), per server. */
function keylessServers(configText: string | undefined, reg: Registry): UninstallAllReport['keyless'] {
  if (configText === undefined) return [];
  let configured: ServerAddress[];
  try {
    configured = allServers(layoutOf(configText, 'all')).map((s) => s.ref);
  } catch {
    return [];
  }
  const out: UninstallAllReport['keyless'] = [];
  for (const ref of configured) {
    const vars: string[] = [];
    const keys: string[] = [];
    for (const [name, rec] of Object.entries(reg.keys)) {
      const mine = [...rec.targets.filter((t) => sameServer(t, ref)).map((t) => t.env), ...(rec.headers ?? []).filter((h) => sameServer(h, ref)).map((h) => `header ${h.header}`)];
      if (mine.length === 0) continue;
      vars.push(...mine);
      keys.push(rec.source?.source === 'keyring' || rec.source === undefined ? (rec.source?.id ?? name) : name);
    }
    if (vars.length > 0) out.push({ server: describeServer(ref), vars, keys });
  }
  return out;
}

export async function uninstallAll(ctx: ZeroDiskContext, opts: { dryRun: boolean; purgeKeys: boolean }, deps: UninstallAllDeps): Promise<UninstallAllReport> {
  const { dryRun } = opts;
  const paths = ctx.paths;
  const record = readRecord(paths.dataDir);
  const report: UninstallAllReport = {
    dryRun,
    unwrapped: [],
    stripped: [],
    hooksRemoved: 0,
    mcpServerRemoved: false,
    filesRemoved: [],
    dataDirRemoved: false,
    keysPurged: [],
    keysKept: [],
    keyless: [],
  };
  // Our own steps may create lock or state files in it: only a data dir that was there is reported.
  const hadDataDir = existsSync(paths.dataDir);
  const registry = await loadRegistry(registryFile(paths));

  // 1. Wrapped servers get their original entries back.
  const configText = await readConfigText(paths.configFile);
  report.keyless = keylessServers(configText, registry);
  const wrapped: ServerAddress[] = configText === undefined ? [] : wrappedServersIn(configText).map((w) => w.ref);
  for (const ref of wrapped) {
    await unwrapServer(ctx, ref, { dryRun });
    report.unwrapped.push(describeServer(ref));
  }

  // 2. Injected values out of the config and its backups.
  report.stripped = (await deps.strip(dryRun)).stripped;

  // 3. Hooks and guards out of settings.json; our MCP server out of ~/.claude.json.
  const settings = await readSettingsText(paths.settingsFile);
  if (settings !== undefined) {
    let r: ReturnType<typeof removeHooks>;
    try {
      r = removeHooks(settings);
    } catch (err) {
      throw settingsError(paths.settingsFile, err);
    }
    report.hooksRemoved = r.removed;
    if (record?.createdSettings && isEmptyObjectText(r.text)) {
      report.filesRemoved.push(paths.settingsFile);
      if (!dryRun) rmSync(paths.settingsFile, { force: true });
    } else if (r.changed && !dryRun) {
      await writeSettingsText(paths.settingsFile, r.text);
    }
  }
  report.mcpServerRemoved = await unregisterMcpServer(paths.configFile, dryRun);

  // 4. What install created in ~/.claude.json: an "mcpServers" object, or the whole file.
  if (!dryRun && record?.createdMcpServers) {
    await editConfigForCommand(
      paths.configFile,
      (text) => ({ text: withoutEmptyMcpServers(text) ?? text, result: undefined }),
      (text) => withoutEmptyMcpServers(text) === undefined,
    );
  }
  const configAfter = await readConfigText(paths.configFile);
  if (record?.createdConfig && configAfter !== undefined && isEmptyObjectText(configAfter)) {
    report.filesRemoved.push(paths.configFile);
    if (!dryRun) rmSync(paths.configFile, { force: true });
  }

  // 5. Keys: kept in the keyring unless asked; the registry goes with the data dir. Purging also
  // takes every other value under our keyring service (kept by an earlier 'uninstall --all',
  // whose registry is gone, or stored for a project file): all of them are ours.
  const purged = new Set<string>();
  for (const [name, rec] of Object.entries(registry.keys)) {
    const inKeyring = rec.source === undefined || rec.source.source === 'keyring';
    if (!opts.purgeKeys || !inKeyring) {
      report.keysKept.push(name);
      continue;
    }
    const id = rec.source?.id ?? name;
    if (!dryRun) await ctx.backend().delete(id);
    purged.add(id);
    report.keysPurged.push(name);
  }
  if (opts.purgeKeys) {
    for (const id of await ctx.backend().list()) {
      if (purged.has(id)) continue;
      if (!dryRun) await ctx.backend().delete(id);
      report.keysPurged.push(id);
    }
    report.keysPurged.sort();
  }

  // 6. The runtime copy, the registry, the state: our whole data dir.
  if (existsSync(paths.dataDir)) {
    report.dataDirRemoved = hadDataDir;
    if (!dryRun) rmSync(paths.dataDir, { recursive: true, force: true });
  }
  return report;
}
