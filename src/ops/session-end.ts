// The SessionEnd hook's work: forget the session and, when it was the last live one, strip what
// was injected. Never touches the keyring.
import { realpathSync } from 'node:fs';
import type { SessionHookInput } from '../claude/hook-input.js';
import { hasPendingScrubs } from '../claude/pending-scrub.js';
import { childProcess } from '../core/lazy-load.js';
import { isCliFileName } from '../core/paths.js';
import { endSession } from '../engine/engine.js';
import { engineContext, type OpsContext } from './ops-context.js';
import { launcherOf } from './launcher-env.js';
import { auditLabels, claudeProcess } from './session-client.js';

export interface SessionEndReport {
  /** The engine's labels of what was stripped (empty when other sessions live on, or the launcher strips). */
  stripped: string[];
}

export async function sessionEnd(ctx: OpsContext, req: { input: SessionHookInput }): Promise<SessionEndReport> {
  const { input } = req;
  scrubAfterBlock(ctx, input);
  // /clear and /resume end a session inside a process that goes on: the keys stay for it.
  if (input.reason === 'clear' || input.reason === 'resume') return { stripped: [] };
  // Under the launcher, the launcher strips once Claude Code has exited.
  if (launcherOf(ctx.env)) return { stripped: [] };
  const claude = claudeProcess(ctx, input.session_id);
  const { stripped } = await endSession(engineContext(ctx), claude);
  auditLabels(ctx, 'strip', stripped);
  return { stripped };
}

/**
 * A prompt the guard blocked for holding a stored key was written by the client to its files:
 * scrub them now that the session is over, with `scrub --pending` in a child process (the
 * matcher and the stores' code live in the main bundle, so this one, which every session pays
 * for, stays small). Waited for; its failure leaves the note for the next session end.
 */
function scrubAfterBlock(ctx: OpsContext, input: SessionHookInput): void {
  if (!hasPendingScrubs(ctx.paths)) return;
  const script = process.argv[1];
  if (!script || !isCliFileName(script)) return; // not our CLI (in-process tests): nothing to start
  childProcess().spawnSync(process.execPath, [realpathSync(script), 'scrub', '--pending'], {
    env: ctx.env as NodeJS.ProcessEnv,
    cwd: input.cwd ?? ctx.cwd,
    stdio: 'ignore',
    timeout: 8000,
  });
}
