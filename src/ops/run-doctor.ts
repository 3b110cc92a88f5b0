// `doctor`: runs every read-only probe (servers and copies, the project file, the hooks, the
// secret store, and with `values` the leak scan) and joins them into one report. Changes nothing.
import { registryFile } from '../core/paths.js';
import { checkStore, NEEDS_KEYS, type StoreCheck } from '../doctor/key-check.js';
import { projectReport, type ProjectReport } from '../doctor/team-file-report.js';
import { doctorReport, type DoctorReport } from '../doctor/report.js';
import { checkHooks, type HookReport } from '../install/hook-check.js';
import { readSettingsText } from '../install/settings-file.js';
import { loadRegistry } from '../registry/registry-file.js';
import type { LeakFinding } from '../doctor/leaks.js';
import type { OpsContext } from './ops-context.js';
import { scanForLeaks } from './scan-for-leaks.js';

export interface DoctorRequest {
  /** Also read every stored key and look for it in the config, its copies and Claude Code's files. */
  values: boolean;
}

export interface FullDoctorReport extends DoctorReport {
  project: ProjectReport | null;
  hooks: HookReport;
  store: StoreCheck;
  leaks: { findings: LeakFinding[]; problems: string[] } | null;
  /** Keys sent only to some hosts by 'run', sorted by name. */
  placeholderKeys: { name: string; hosts: string[] }[];
}

export async function runDoctor(ctx: Pick<OpsContext, 'paths' | 'cwd' | 'backend' | 'env'>, request: DoctorRequest): Promise<FullDoctorReport> {
  const reg = await loadRegistry(registryFile(ctx.paths));
  const base = await doctorReport(ctx.paths, reg, ctx.cwd, request.values ? ctx.backend() : undefined);
  const project = await projectReport(ctx.paths, reg, ctx.cwd);
  const hooks = checkHooks(ctx.paths.settingsFile, await readSettingsText(ctx.paths.settingsFile), ctx.paths.dataDir);
  // Placeholder keys (with hosts) of the registry and the approved-or-not project file alike.
  const placeholderKeys = Object.entries(reg.keys)
    .filter(([, r]) => (r.hosts?.length ?? 0) > 0)
    .map(([name, r]) => ({ name, hosts: r.hosts as string[] }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const store = await checkStore(reg, base.servers, ctx.backend(), ctx.env);
  for (const k of store.keys) for (const s of base.servers) if (NEEDS_KEYS.has(s.mode) && s.keys.includes(k.key)) s.problems.push(k.problem);
  const storeOk = store.unreachable === undefined && store.keys.length === 0;
  const leaks = request.values ? await leakFindings(ctx) : null;
  return {
    ...base,
    project,
    hooks,
    store,
    leaks,
    placeholderKeys,
    ok: base.ok && storeOk && (project?.problems.length ?? 0) === 0 && hooks.problems.length === 0 && (leaks?.findings.length ?? 0) === 0,
  };
}

async function leakFindings(ctx: Pick<OpsContext, 'paths' | 'cwd' | 'backend' | 'env'>) {
  const { findings, problems } = await scanForLeaks(ctx);
  return { findings, problems };
}
