// `keyring-inject hook session-start|session-end`: read the hook JSON, run the session op, print
// what Claude Code shows (session-start only).
import { readSessionHookInput } from '../../claude/hook-input.js';
import { UsageError } from '../../core/errors.js';
import { registryFile } from '../../core/paths.js';
import { handOff, tapFirstRead } from '../../guard-service/value-handoff.js';
import type { SecretBackend } from '../../keyring/backend.js';
import { sessionEnd } from '../../ops/session-end.js';
import { sessionStart } from '../../ops/session-start.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { ensureGuardServiceProcess } from '../guard-service-start.js';

export const hook: Command = {
  name: 'hook',
  example: 'keyring-inject hook session-end < hook-input.json   # Claude Code runs it with the hook JSON',
  help: `Usage: keyring-inject hook session-start|session-end

Run by Claude Code, with the hook JSON on stdin ('keyring-inject install' declares them).
session-start registers the session, sweeps dead ones, injects the registered keys into the
config and starts the watchdog. session-end forgets the session and, when it was the last live
one, strips what was injected; it never touches the keyring.

Exit status: 0, or 1 with one line on stderr (the session goes on either way).
Output: session-start may print {"systemMessage": "..."} for the user and, in a project with a
.claude/secrets.json, {"hookSpecificOutput": {"additionalContext": "..."}} naming that file's
secrets for the model (names and sources only); never a value.`,

  async run(argv, ctx) {
    const [event, ...rest] = argv;
    if (rest.length > 0 || (event !== 'session-start' && event !== 'session-end')) throw new UsageError('usage: keyring-inject hook session-start|session-end');
    if (event === 'session-end') {
      await sessionEnd(ctx, { input: await readSessionHookInput(ctx, 'SessionEnd') });
      return 0;
    }
    // Input first: a refused run (garbage, another event, a terminal) must not ask any secret store for a value.
    const input = await readSessionHookInput(ctx, 'SessionStart');
    // The guard service (http guards only) starts beside the injection: up before the first prompt
    // or tool call, and handed the values this hook reads, so that it need not read them again.
    const handed = handOff();
    const guardService = ctx.spawnWatchdog
      ? {
          startGuardService: () => ensureGuardServiceProcess(ctx.paths, ctx.env, true, input.session_id, handed),
          keyringRead: (backend: SecretBackend) => tapFirstRead(backend, registryFile(ctx.paths), handed.offer),
        }
      : {};
    const report = await sessionStart(ctx, { input, ...guardService }).finally(() => handed.close());
    const out: Record<string, unknown> = {};
    if (report.messages.length > 0) out.systemMessage = report.messages.join('\n');
    if (report.additionalContext) out.hookSpecificOutput = { hookEventName: 'SessionStart', additionalContext: report.additionalContext };
    if (Object.keys(out).length > 0) output(ctx).line(JSON.stringify(out));
    return 0;
  },
};
