// Move the plaintext values of ~/.claude.json into the keyring (or only plan it): the plan's
// rows, never a value.
import type { TargetMode } from '../registry/registry.js';
import { planRow, runImport, type ImportResult, type PlanRow } from '../import/import-keys.js';
import type { OpsContext } from './ops-context.js';

export interface ImportPlaintextRequest {
  dryRun: boolean;
  mode: TargetMode;
  /** SERVER.NAME values to move although the rules skip them, and to leave alone. */
  include: ReadonlySet<string>;
  exclude: ReadonlySet<string>;
}

export interface ImportPlaintextReport extends Omit<ImportResult, 'items'> {
  rows: PlanRow[];
  /** Values moved (or that would be): imported or stripped. */
  moved: number;
}

export async function importPlaintext(ctx: OpsContext, req: ImportPlaintextRequest): Promise<ImportPlaintextReport> {
  const { items, ...rest } = await runImport(ctx, { dryRun: req.dryRun, mode: req.mode, include: new Set(req.include), exclude: new Set(req.exclude) });
  const rows = items.map(planRow);
  return { ...rest, rows, moved: rows.filter((x) => x.action !== 'skip').length };
}
