// What both session hooks share: the Claude Code process a hook runs for, and the audit line of
// what the hook put in or took out.
import { audit } from '../core/audit-trail.js';
import { KiError } from '../core/errors.js';
import { findClaudeProcess, type ProcessId } from '../core/process-info.js';
import type { OpsContext } from './ops-context.js';

export function claudeProcess(ctx: Pick<OpsContext, 'paths'>, sessionId: string): ProcessId {
  const found = findClaudeProcess(ctx.paths.sessionsDir, sessionId);
  if (!found) throw new KiError('claude-not-found', 'hook: cannot find the Claude Code process that ran this hook; nothing was changed');
  return found;
}

/** Audits the keys of the engine's labels: "KEY -> server.env.VAR" (inject), "KEY: server.env.VAR" (strip). */
export function auditLabels(ctx: Pick<OpsContext, 'paths' | 'env'>, event: 'inject' | 'strip', labels: readonly string[]): void {
  if (labels.length === 0) return;
  audit(ctx.paths, { event, keys: [...new Set(labels.map((l) => l.split(/ -> |: /)[0] as string))] }, ctx.env);
}
