// `audit`: the lines of the audit trail, from a point in time on. Names only, as written.
import { auditFile, readAudit, type AuditLine } from '../core/audit-trail.js';
import type { OpsContext } from './ops-context.js';

export interface AuditTrailReport {
  file: string;
  lines: AuditLine[];
}

export function readAuditTrail(ctx: Pick<OpsContext, 'paths'>, request: { since?: Date }): AuditTrailReport {
  return { file: auditFile(ctx.paths), lines: readAudit(ctx.paths, request.since) };
}
