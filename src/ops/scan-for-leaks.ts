// `scan`: every stored key looked for in the files Claude Code keeps. Names only in the report;
// the values are read into memory for the search and dropped.
import { scanStores, storedSecrets, type ScanReport } from '../doctor/leaks.js';
import type { OpsContext } from './ops-context.js';

export interface LeakScanReport extends ScanReport {
  /** The names of the keys looked for. */
  keys: string[];
  /** Sources that could not be read (the scan went on without their keys). */
  problems: string[];
  /** The keys found somewhere, each once, in order of first finding. */
  found: string[];
}

export async function scanForLeaks(ctx: Pick<OpsContext, 'paths' | 'cwd' | 'backend' | 'env'>): Promise<LeakScanReport> {
  const { secrets, problems } = await storedSecrets(ctx.paths, ctx.cwd, ctx.backend, ctx.env);
  const report = scanStores(ctx.paths, ctx.env, secrets);
  return { keys: secrets.map((s) => s.name), ...report, problems, found: [...new Set(report.findings.map((f) => f.key))] };
}
