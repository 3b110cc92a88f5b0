// `scrub`: every stored key found in Claude Code's files replaced by its placeholder, in the
// occurrence's own encoding; and the narrow pass the SessionEnd hook runs over the files a
// blocked prompt was written to.
import { audit } from '../core/audit-trail.js';
import { returnPendingScrubs, takePendingScrubs } from '../claude/pending-scrub.js';
import { scrubBlockedPrompts, scrubStores, storedSecrets, type ScrubFileReport } from '../doctor/leaks.js';
import type { OpsContext } from './ops-context.js';

export interface ScrubRequest {
  dryRun: boolean;
}

export interface ScrubReport {
  dryRun: boolean;
  files: ScrubFileReport[];
  /** The keys found (and, unless a dry run, removed), sorted: each should be rotated. */
  exposed: string[];
  /** Sources that could not be read (the scrub went on without their keys). */
  problems: string[];
  /** How many keys were looked for. */
  looked: number;
}

export async function scrubLeaks(ctx: Pick<OpsContext, 'paths' | 'cwd' | 'backend' | 'env'>, request: ScrubRequest): Promise<ScrubReport> {
  const { dryRun } = request;
  const { secrets, problems } = await storedSecrets(ctx.paths, ctx.cwd, ctx.backend, ctx.env);
  const { files } = scrubStores(ctx.paths, ctx.env, secrets, dryRun);
  const exposed = [...new Set(files.flatMap((f) => f.keys))].sort();
  if (!dryRun && exposed.length > 0) audit(ctx.paths, { event: 'scrub', keys: exposed, outcome: `${files.filter((f) => f.written).length}-files` }, ctx.env);
  return { dryRun, files, exposed, problems, looked: secrets.length };
}

/** The files blocked prompts were written to: scrubbed now; what could not be done is kept for the next pass. */
export async function scrubPendingPrompts(ctx: Pick<OpsContext, 'paths' | 'cwd' | 'backend' | 'env'>): Promise<void> {
  const taken = takePendingScrubs(ctx.paths);
  let left = taken.notes;
  try {
    if (left.length > 0) left = await scrubBlockedPrompts(ctx.paths, ctx.env, ctx.cwd, ctx.backend, left);
  } finally {
    if (left.length > 0) returnPendingScrubs(ctx.paths, left);
    taken.release();
  }
}
