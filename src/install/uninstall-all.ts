// `uninstall --all`: everything we ever changed, undone, in an order that keeps every server
// working at each step: unwrap (the original entries come back), strip injected values, remove
// the hooks, the guards and our MCP server, then the files we created, the runtime and our data
// dir. Keys stay in the keyring unless purgeKeys.
import { CA_ITEM } from '../proxy/ca.js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { JsonScanner } from '../claude/json/scanner.js';
import type { ZeroDiskContext } from '../wrap/context.js';
import { registryFile } from '../core/paths.js';
import { loadRegistry } from '../registry/store.js';
import { unwrapServer } from '../wrap/wrap-server.js';
import { wrappedServersIn } from '../wrap/patch.js';
import { editConfigForCommand } from '../claude/config-edit.js';
import { readConfigText } from '../claude/config-file.js';
import { installRecordFile, type InstallRecord } from './install-ops.js';
import { unregisterMcpServer, withoutEmptyMcpServers } from './mcp-registration.js';
import { readSettingsText, settingsError, writeSettingsText } from './settings-file.js';
import { removeHooks } from './settings-hooks.js';
import { describeServer, type ServerAddress } from '../claude/address.js';

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
  const s = new JsonScanner(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  try {
    const start = s.skipWs(0);
    const obj = s.isObjectAt(start) ? s.readObject(start) : undefined;
    return obj !== undefined && obj.members.length === 0 && s.skipWs(obj.end) === s.text.length;
  } catch {
    return false;
  }
}

export async function uninstallAll(ctx: ZeroDiskContext, opts: { dryRun: boolean; purgeKeys: boolean }, deps: UninstallAllDeps): Promise<UninstallAllReport> {
  const { dryRun } = opts;
  const paths = ctx.paths;
  const record = readRecord(paths.dataDir);
  const report: UninstallAllReport = { dryRun, unwrapped: [], stripped: [], hooksRemoved: 0, mcpServerRemoved: false, filesRemoved: [], dataDirRemoved: false, keysPurged: [], keysKept: [] };

  // 1. Wrapped servers get their original entries back.
  const configText = await readConfigText(paths.configFile);
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

  // 5. Keys: kept in the keyring unless asked; the registry goes with the data dir.
  const registry = await loadRegistry(registryFile(paths));
  for (const [name, rec] of Object.entries(registry.keys)) {
    const inKeyring = rec.source === undefined || rec.source.source === 'keyring';
    if (!opts.purgeKeys || !inKeyring) {
      report.keysKept.push(name);
      continue;
    }
    if (!dryRun) await ctx.backend().delete(rec.source?.id ?? name);
    report.keysPurged.push(name);
  }
  // The placeholder proxy's CA: its private key is a keyring item of ours too.
  if (opts.purgeKeys && (await ctx.backend().get(CA_ITEM)) !== undefined) {
    if (!dryRun) await ctx.backend().delete(CA_ITEM);
    report.keysPurged.push(CA_ITEM);
  }

  // 6. The runtime copy, the registry, the state: our whole data dir.
  if (existsSync(paths.dataDir)) {
    report.dataDirRemoved = true;
    if (!dryRun) rmSync(paths.dataDir, { recursive: true, force: true });
  }
  return report;
}
