// `keyring-inject guard EVENT`: the hooks that keep API keys out of the model's context.
import { UsageError } from '../../core/errors.js';
import { maskExecPlan } from '../../guards/guards.js';
import { MASK_EXEC, runMasked } from '../../guards/masked-exec.js';
import { readGuardInput } from '../../guards/input.js';
import { GUARD_EVENTS, guardDeps } from '../../ops/guard-event.js';
import type { Command } from '../command.js';
import { ownCliPaths } from '../own-paths.js';

export const guard: Command = {
  name: 'guard',
  example: 'keyring-inject guard pre-tool-use < hook-input.json   # Claude Code runs it with the hook JSON',
  help: `Usage: keyring-inject guard user-prompt-submit|post-tool-use|pre-tool-use

Run by Claude Code with the hook JSON on stdin ('keyring-inject install' declares them). They
keep API keys out of what the model sees:

  user-prompt-submit  blocks a prompt that contains the value of a stored key, or something
                      shaped like a well-known API key (GitHub, Stripe live, AWS, Slack,
                      Anthropic, OpenAI, Google, GitLab, npm tokens, PEM private keys); the
                      message says how to store it with 'keyring-inject add' instead
  post-tool-use       replaces every stored key's value in a tool's output (as is, JSON-escaped
                      or percent-encoded) with [keyring-inject:NAME] before the model sees it;
                      withholds the output when keys are injected and neither the keyring nor
                      the config can tell which values to hide
  pre-tool-use        runs a Bash command (while keys are stored) under 'guard mask-exec', which
                      masks its output as it comes, so that a command that fails is masked too;
                      denies tool calls (files, commands, MCP tools) that touch Claude Code's
                      config file, its backups and keyring-inject's state while keys are
                      injected, and 'claude mcp get|list'; while keys are stored, reading other
                      processes' environment, printing stored keys, or locking, replacing or
                      stopping the keyring; always, writing keyring-inject's data directory and
                      'keyring-inject allow'

Values are read in memory only, by the first two: from the keyring (one round trip, only when a
key is registered) and, while keys are injected, from the config. Never prints a value.

Exit status: 0 (the JSON decision, if any, on stdout), or 1 with one line on stderr when the
input is not what Claude Code sends (Claude Code then goes on without the guard).`,

  async run(argv, ctx) {
    const [name, ...rest] = argv;
    if (name === MASK_EXEC) {
      // What PreToolUse turns a Bash call into: `guard mask-exec [--cwd-file FILE] -- COMMAND`.
      const withFile = rest[0] === '--cwd-file';
      const [sep, command, ...extra] = withFile ? rest.slice(2) : rest;
      if (sep !== '--' || command === undefined || extra.length > 0 || (withFile && rest.length < 2)) throw new UsageError(`usage: keyring-inject guard ${MASK_EXEC} [--cwd-file FILE] -- COMMAND`);
      return runMasked(command, maskExecPlan(guardDeps(ctx, ownCliPaths(), process.execPath), ctx.cwd), ctx.env, withFile ? (rest[1] as string) : '');
    }
    const entry = name === undefined ? undefined : GUARD_EVENTS[name];
    if (!entry || rest.length > 0) throw new UsageError('usage: keyring-inject guard user-prompt-submit|post-tool-use|pre-tool-use');
    const input = await readGuardInput(ctx, entry.event);
    const out = await entry.run(input, guardDeps(ctx, ownCliPaths(), process.execPath));
    // The process flushes stdout, with a deadline, before it exits (runAsProcess).
    if (out !== undefined) ctx.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  },
};
