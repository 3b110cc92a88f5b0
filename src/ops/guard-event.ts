// The guard hooks' use case: which guard an event name runs, and what it is given. A table and
// one function, no more: dist/guard.js runs on every prompt and tool call.
import { postToolUse, preToolUse, userPromptSubmit, type GuardDeps, type HookOutput } from '../guards/guards.js';
import type { GuardEvent, GuardInput } from '../guards/input.js';
import type { OpsContext } from './ops-context.js';

/** Per command-line name: the hook event it reads and the guard that decides. */
export const GUARD_EVENTS: Record<string, { event: GuardEvent; run: (input: GuardInput, deps: GuardDeps) => Promise<HookOutput | undefined> }> = {
  'user-prompt-submit': { event: 'UserPromptSubmit', run: userPromptSubmit },
  'post-tool-use': { event: 'PostToolUse', run: postToolUse },
  'pre-tool-use': { event: 'PreToolUse', run: preToolUse },
};

/** What a guard is given: the context, and our own CLI with the node that runs it (the Bash rewrite needs both). */
export function guardDeps(ctx: Pick<OpsContext, 'paths' | 'env' | 'cwd' | 'backend'>, cliPaths: readonly string[], node: string): GuardDeps {
  return { paths: ctx.paths, env: ctx.env, cwd: ctx.cwd, backend: ctx.backend, cliPaths, node };
}
