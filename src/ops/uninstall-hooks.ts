// `uninstall`: our hooks out of settings.json, the guard service's record and our MCP server out
// of the config; with `--all`, everything keyring-inject ever changed (install/uninstall-all.ts),
// stripping through cleanup.
import { rmSync } from 'node:fs';
import { guardServiceFile } from '../guard-service/config.js';
import { unregisterMcpServer } from '../install/mcp-registration.js';
import { readSettingsText, settingsError, writeSettingsText } from '../install/settings-file.js';
import { removeHooks } from '../install/settings-hooks.js';
import { uninstallAll, type UninstallAllReport } from '../install/uninstall-all.js';
import { cleanupAll } from './cleanup-all.js';
import type { OpsContext } from './ops-context.js';

export interface UninstallHooksReport {
  settingsFile: string;
  changed: boolean;
  dryRun: boolean;
  removed: number;
  mcpServerRemoved: boolean;
}

export async function uninstallHooks(ctx: Pick<OpsContext, 'paths'>, dryRun: boolean): Promise<UninstallHooksReport> {
  const file = ctx.paths.settingsFile;
  const before = await readSettingsText(file);
  let result = { text: before ?? '', changed: false, removed: 0 };
  if (before !== undefined) {
    try {
      result = removeHooks(before);
    } catch (err) {
      throw settingsError(file, err);
    }
  }
  if (result.changed && !dryRun) await writeSettingsText(file, result.text);
  // The guard service's record (its token) goes with its hooks; a running service sees it gone and exits.
  if (!dryRun) rmSync(guardServiceFile(ctx.paths), { force: true });
  const mcpServerRemoved = await unregisterMcpServer(ctx.paths.configFile, dryRun);
  return { settingsFile: file, changed: result.changed, dryRun, removed: result.removed, mcpServerRemoved };
}

/** `uninstall --all`; `warnings` are cleanup's (a keyring it could not read). */
export async function uninstallEverything(ctx: OpsContext, options: { dryRun: boolean; purgeKeys: boolean }): Promise<{ report: UninstallAllReport; warnings: string[] }> {
  const warnings: string[] = [];
  const report = await uninstallAll(ctx, options, {
    strip: async (dryRun) => {
      const cleaned = await cleanupAll(ctx, dryRun);
      warnings.push(...cleaned.warnings);
      return cleaned.report;
    },
  });
  return { report, warnings };
}
