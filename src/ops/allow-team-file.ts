// Approve a project's .claude/secrets.json as it is now (and make the servers it maps keys to
// read them at spawn), or forget that approval.
import { resolve } from 'node:path';
import { audit } from '../core/audit-trail.js';
import { KiError } from '../core/errors.js';
import { registryFile } from '../core/paths.js';
import { loadRegistry } from '../registry/registry-file.js';
import { approvalState, approve, diffEntries, revoke, summarizeAll, variablesOf, type EntrySummary } from '../sources/approval.js';
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
  if (st.state !== 'approved') {
    await approve(ctx.paths, st.project, ctx.now());
    audit(ctx.paths, { event: 'approval', keys: Object.keys(entries), where: st.project.root }, ctx.env);
  }
  // The servers the file maps keys to read them at spawn from now on, also under plain 'claude'.
  const { reports, warnings } = await wrapProjectServers(ctx, st.project);
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
  };
}

/** Forget the approval of the project file: whether there was one. */
export async function revokeProject(ctx: Pick<OpsContext, 'cwd' | 'paths'>, req: { dir?: string | undefined }): Promise<{ file: string; root: string; hadApproval: boolean }> {
  const where = projectFileAt(ctx, req.dir);
  return { file: where.file, root: where.root, hadApproval: await revoke(ctx.paths, where.file) };
}
