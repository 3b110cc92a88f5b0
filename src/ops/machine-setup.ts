// `setup`, in the three phases the command shows between: plan (the store checked, the servers
// and the older plugin's list read), apply (once the user agreed), and the outcome read back
// from disk. The 'claude' alias the command may offer lives here too.
import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describeServer } from '../claude/address.js';
import { registryFile } from '../core/paths.js';
import { doctorReport } from '../doctor/report.js';
import { importLegacyPlugin, legacyConfigFile, type LegacyResult } from '../import/legacy-plugin.js';
import { loadRegistry } from '../registry/registry-file.js';
import { applySetup, type Applied, type HooksInstaller } from '../setup/apply.js';
import { serverFacts } from '../setup/facts.js';
import { planSetup, type SetupPlan } from '../setup/plan.js';
import { checkStore, storeScreen } from '../setup/store-check.js';
import type { OpsContext } from './ops-context.js';
import { installUser } from './install-user.js';

type SetupContext = Pick<OpsContext, 'env' | 'cwd' | 'paths' | 'backend' | 'now'>;

export const CLAUDE_ALIAS = "alias claude='keyring-inject claude'";

/** Everything install does: the runtime copy, the session hooks and the guards, the 'keyring-inject mcp' server, wrapped servers pointed at the runtime. */
const installHooks: HooksInstaller<SetupContext> = async (ctx, dryRun) => {
  const r = await installUser(ctx, { dryRun, via: 'setup' });
  return { changed: r.changed, settingsFile: r.settingsFile };
};

async function currentPlan(ctx: SetupContext): Promise<SetupPlan> {
  return planSetup({ servers: (await serverFacts(ctx)) ?? [], hooksInstalled: !(await installHooks(ctx, true)).changed });
}

export type SetupStart =
  /** No secret store: the screen that explains the choices; setup stops. */
  { ok: false; screen: string } | { ok: true; storeLabel: string; configMissing: boolean; plan: SetupPlan; legacy: { file: string; count: number } | undefined };

export async function planMachineSetup(ctx: SetupContext): Promise<SetupStart> {
  const backend = ctx.backend();
  const store = await checkStore(backend);
  if (!store.ok) return { ok: false, screen: storeScreen(backend.id, store.reason, process.platform, store.fix) };
  const facts = await serverFacts(ctx);
  const plan = planSetup({ servers: facts ?? [], hooksInstalled: !(await installHooks(ctx, true)).changed });
  // The older plugin's keys, when its list is there: moved first (import --from mcp-keyring-injector).
  const legacyFile = legacyConfigFile(ctx.env);
  const legacyPlan = legacyFile && existsSync(legacyFile) && facts !== undefined ? await importLegacyPlugin(ctx, { dryRun: true }).catch(() => undefined) : undefined;
  const count = legacyPlan?.items.filter((i) => i.action === 'register').length ?? 0;
  return { ok: true, storeLabel: backend.label, configMissing: facts === undefined, plan, legacy: legacyFile && count > 0 ? { file: legacyFile, count } : undefined };
}

export interface SetupApplied {
  /** The older plugin's keys moved, when there were any: how many and its result. */
  legacy: { moved: number; result: LegacyResult } | undefined;
  applied: Applied;
}

export async function applyMachineSetup(ctx: SetupContext, start: Extract<SetupStart, { ok: true }>): Promise<SetupApplied> {
  let plan = start.plan;
  let legacy: SetupApplied['legacy'];
  if (start.legacy) {
    const result = await importLegacyPlugin(ctx, { dryRun: false });
    legacy = { moved: result.items.filter((i) => i.action === 'register').length, result };
    // What is left to do is planned again: those servers are wrapped now.
    plan = await currentPlan(ctx);
  }
  return { legacy, applied: await applySetup(ctx, plan.steps, installHooks) };
}

export interface SetupOutcome extends SetupPlan {
  /** Problems left on disk, one line each (names only). */
  left: string[];
}

/** The table and the verdict from what is on disk now, not from the plan. */
export async function machineSetupOutcome(ctx: SetupContext): Promise<SetupOutcome> {
  const now = await currentPlan(ctx);
  const report = await doctorReport(ctx.paths, await loadRegistry(registryFile(ctx.paths)), ctx.cwd);
  const left = report.servers.flatMap((s) => s.problems.map((pr) => `${s.server === '(config)' ? s.server : describeServer(s)}: ${pr}`));
  left.push(...report.copies.map((c) => `plaintext or injected values left in ${c.file}`), ...report.tempFiles.map((f) => `leftover temp file ${f}`));
  return { ...now, left };
}

/** The rc file of the user's shell (undefined for shells we do not edit) and whether it has the alias. */
export async function claudeAliasState(ctx: Pick<OpsContext, 'env'>): Promise<{ rc: string | undefined; present: boolean }> {
  const shell = basename(ctx.env.SHELL ?? '');
  const home = ctx.env.HOME;
  const rc = !home ? undefined : shell === 'bash' ? join(home, '.bashrc') : shell === 'zsh' ? join(home, '.zshrc') : undefined;
  return { rc, present: rc ? (await readFile(rc, 'utf8').catch(() => '')).includes(CLAUDE_ALIAS) : false };
}

export async function addClaudeAlias(rc: string): Promise<void> {
  await appendFile(rc, `\n# keyring-inject: start Claude Code through the launcher\n${CLAUDE_ALIAS}\n`);
}
