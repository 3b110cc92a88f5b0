// Approve a project's .claude/secrets.json as it is now (and make the servers it maps keys to
// read them at spawn), or forget that approval.
import { resolve } from 'node:path';
import { audit } from '../core/audit-trail.js';
import { KiError } from '../core/errors.js';
import { registryFile } from '../core/paths.js';
import { loadRegistry } from '../registry/registry-file.js';
import { pinFromEnv, samePin, type VaultPin } from '../registry/vault-pin.js';
import { allowCommand, approvalState, approve, diffEntries, revoke, summarizeAll, variablesOf, type ApprovalState, type EntrySummary } from '../sources/approval.js';
import { plainlySecretName } from '../sources/team-file-policy.js';
import { findProjectFile, mergeProject } from '../sources/team-file.js';
import { wrapProjectServers } from '../wrap/team-servers.js';
import type { WrapReport } from '../wrap/wrap-server.js';
import type { OpsContext } from './ops-context.js';

export interface AllowProjectReport {
  file: string;
  root: string;
  sha256: string | undefined;
  /** The approval before: approved already, changed since, or never approved. */
  before: 'approved' | 'changed' | 'unapproved';
  /** With `before: 'changed'`: what changed since the last approval, one line each. */
  changes: string[];
  entries: Record<string, EntrySummary>;
  servers: Pick<WrapReport, 'server' | 'outcome' | 'mcpJson'>[];
  warnings: string[];
  /** Variables the file sets that are not plainly a secret's name (a *_URL can point a program at another server). */
  notSecretNames: string[];
  /** The file has vault entries: the address their token goes to (VAULT_ADDR here, or the one approved before); null: none yet. */
  vault?: string | null;
}

/** The project file from `dir` up to the top of the git work tree, or one line saying there is none. */
function projectFileAt(ctx: Pick<OpsContext, 'cwd' | 'paths'>, dir: string | undefined): { root: string; file: string } {
  const where = findProjectFile(resolve(ctx.cwd, dir ?? '.'), ctx.paths.configDir);
  if (!where) throw new KiError('project-missing', `no .claude/secrets.json in ${resolve(ctx.cwd, dir ?? '.')} or above it (up to the top of the git work tree): nothing to approve`);
  return where;
}

export async function allowProject(ctx: OpsContext, req: { dir?: string | undefined }): Promise<AllowProjectReport> {
  const where = projectFileAt(ctx, req.dir);
  const st = await approvalState(ctx.paths, where);
  if (st.state === 'none') throw new KiError('project-missing', `${where.file} disappeared: nothing to approve`);
  // The checks that do not depend on approval are made now, so that a file no command would use is not approved.
  mergeProject(await loadRegistry(registryFile(ctx.paths)), st.project, ctx.backend().id);
  const entries = summarizeAll(st.project);
  const { vault, before: approvedVault, problem } = vaultPinFor(ctx, st);
  if (st.state !== 'approved' || (vault !== undefined && !samePin(vault, approvedVault))) {
    await approve(ctx.paths, st.project, ctx.now(), vault);
    audit(ctx.paths, { event: 'approval', keys: Object.keys(entries), where: st.project.root }, ctx.env);
  }
  // The servers the file maps keys to read them at spawn from now on, also under plain 'claude'.
  const { reports, warnings } = await wrapProjectServers(ctx, st.project);
  const hasVault = Object.values(entries).some((e) => e.source === 'vault');
  const recorded = vault ?? approvedVault;
  if (hasVault && problem) warnings.push(`${problem}; the vault entries ${recorded ? `keep ${recorded.addr}` : 'have no Vault address'}`);
  else if (hasVault && !recorded) warnings.push(`the vault entries have no Vault address to send your token to: run '${allowCommand(where.root)}' again with VAULT_ADDR set to your Vault's address`);
  return {
    file: where.file,
    root: where.root,
    sha256: st.project.sha256,
    before: st.state,
    changes: st.state === 'changed' ? diffEntries(st.previous.entries, entries) : [],
    entries,
    servers: reports.map((r) => ({ server: r.server, outcome: r.outcome, mcpJson: r.mcpJson })),
    warnings,
    notSecretNames: [...new Set(Object.entries(entries).flatMap(([name, e]) => variablesOf(name, e)))].filter((v) => !plainlySecretName(v)).sort(),
    ...(hasVault ? { vault: recorded?.addr ?? null } : {}),
  };
}

/**
 * The Vault address a file with vault entries is approved with: VAULT_ADDR (and VAULT_CACERT)
 * here, the user's own environment, since the file may not name one. Without VAULT_ADDR the
 * one approved before stays.
 */
function vaultPinFor(ctx: Pick<OpsContext, 'env' | 'cwd'>, st: ApprovalState): { vault?: VaultPin; before?: VaultPin; problem?: string } {
  if (st.state === 'none') return {};
  const before = st.state === 'approved' ? st.project.vault : st.state === 'changed' ? st.previous.vault : undefined;
  const old = before ? { before } : {};
  if (![...st.project.entries.values()].some((e) => e.ref.source === 'vault')) return old;
  const pin = pinFromEnv(ctx.env, ctx.cwd);
  if (pin === undefined) return old;
  if ('problem' in pin) return { ...old, problem: pin.problem };
  return { ...old, vault: pin };
}

/** Forget the approval of the project file: whether there was one. */
export async function revokeProject(ctx: Pick<OpsContext, 'cwd' | 'paths'>, req: { dir?: string | undefined }): Promise<{ file: string; root: string; hadApproval: boolean }> {
  const where = projectFileAt(ctx, req.dir);
  return { file: where.file, root: where.root, hadApproval: await revoke(ctx.paths, where.file) };
}
