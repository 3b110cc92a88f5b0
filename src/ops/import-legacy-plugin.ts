// The move from the older plugin mcp-keyring-injector: each of its entries becomes a key that
// reads the plugin's own keyring item; the report is one flat row per entry (never a value).
import { importLegacyPlugin, type LegacyItem, type LegacyResult } from '../import/legacy-plugin.js';
import type { OpsContext } from './ops-context.js';

export interface LegacyRow {
  entry: string;
  server: string;
  env: string;
  service: string;
  account: string;
  action: LegacyItem['action'];
  key: string | null;
  reason: string;
}

export interface ImportLegacyReport extends Omit<LegacyResult, 'items'> {
  rows: LegacyRow[];
  /** Some entry is (or would be) registered or was already: the older plugin should go. */
  anyMoved: boolean;
}

export async function importFromLegacyPlugin(ctx: OpsContext, req: { dryRun: boolean }): Promise<ImportLegacyReport> {
  const { items, ...rest } = await importLegacyPlugin(ctx, { dryRun: req.dryRun });
  const rows = items.map((i) => ({
    entry: i.entry.name,
    server: i.entry.server,
    env: i.entry.envVar,
    service: i.entry.service,
    account: i.entry.account,
    action: i.action,
    key: i.key ?? null,
    reason: i.reason,
  }));
  return { ...rest, rows, anyMoved: items.some((i) => i.action !== 'skip') };
}
