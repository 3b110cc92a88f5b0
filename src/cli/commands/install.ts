import { UsageError } from '../../core/errors.js';
import { shQuote } from '../../core/shell.js';
import { MCP_SERVER_NAME } from '../../install/mcp-registration.js';
import { HOOK_MATCHERS, HOOK_TIMEOUTS } from '../../install/settings-hooks.js';
import { installUser, type InstallRequest } from '../../ops/install-user.js';
import { bool, parseArgs, positionals, str } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';

export { hookCommands } from '../../install/install-ops.js';

export function makeInstallCommand(opts: Pick<InstallRequest, 'sourceDir' | 'node'> = {}): Command {
  return {
    name: 'install',
    example: 'keyring-inject install --dry-run   # the hooks it would add to ~/.claude/settings.json',
    help: `Usage: keyring-inject install [--dry-run] [--json]

Copies what the hooks, guards and wrapped servers run (the bundles and this platform's keyring
binding) to <data dir>/runtime/<version>-<hash>/ and points one stable launcher,
<data dir>/runtime/cli.js, at it (<data dir> is $KEYRING_INJECT_HOME, else
<config dir>/keyring-inject). Running install from a newer keyring-inject switches the launcher in
one rename. Servers wrapped earlier (see 'wrap') are pointed at the launcher too. Deleting the
clone, the global install or the npx cache afterwards breaks nothing.

Then adds two session hooks to <config dir>/settings.json (<config dir> is $CLAUDE_CONFIG_DIR,
else ~/.claude): SessionStart runs 'keyring-inject hook session-start' (timeout ${HOOK_TIMEOUTS.SessionStart} s) and
SessionEnd runs 'keyring-inject hook session-end' (timeout ${HOOK_TIMEOUTS.SessionEnd} s; without its own timeout Claude Code
gives a SessionEnd hook 1.5 s). Each command runs the launcher through a one-line guard (a
runtime that is gone gives one line, not a stack trace, and the session goes on) and ends with
the shell comment '# keyring-inject', which is how install and uninstall recognise them. Running
install again changes nothing, or updates the commands in place. Your other settings and hooks
are kept byte for byte. The file is written atomically (through a symlink, keeping its mode; a
new file is 0600). Claude Code reads settings.json as plain JSON only: a file with comments is
refused, with its position.

It also adds the three guards, which keep API keys out of the model's context (see 'keyring-inject
guard --help'): UserPromptSubmit runs 'guard user-prompt-submit' (timeout ${HOOK_TIMEOUTS.UserPromptSubmit} s), PreToolUse
(matcher '${HOOK_MATCHERS.PreToolUse}') runs 'guard pre-tool-use' (timeout ${HOOK_TIMEOUTS.PreToolUse} s) and PostToolUse (matcher
'${HOOK_MATCHERS.PostToolUse}') runs 'guard post-tool-use' (timeout ${HOOK_TIMEOUTS.PostToolUse} s).

Alternative to install: the Claude Code plugin shipped in this package (.claude-plugin/ and
hooks/hooks.json declare the same hooks), e.g. 'claude --plugin-dir <package dir>'. Use one
or the other, not both, or every hook runs twice.

It registers the MCP server 'keyring-inject' (user scope, in ~/.claude.json, like 'claude mcp
add --scope user'): its tools let Claude ask you for a key on a one-time local page and list the
keys it may use, never their values ('keyring-inject mcp --help'). --no-mcp leaves it out.

Where the Claude Code you run is 2.1.332 or later (read from its install on disk: the 'claude' on
PATH, or $KEYRING_INJECT_CLAUDE_BIN), the three guards are http hooks: Claude Code POSTs each
prompt and tool call to the guard service, one process per user on 127.0.0.1 (a port chosen now,
a token in a header; both kept in <data dir>/guard-service.json), started by SessionStart and
gone with the last session. A failed request blocks the prompt or tool call (onFailure "block");
see docs/guards.md. Elsewhere (an older or unknown client) they are command hooks, a process per
call; --guards command|http forces one or the other.

Options:
  --no-mcp   do not register the MCP server
  --guards command|http  how the guards run (default: http where the client supports it, else command)
  --dry-run  show what would change; write nothing
  --json     machine-readable output on stdout

JSON shape (stable): {"settingsFile", "changed": boolean, "dryRun": boolean, "runtime": launcher path,
  "rewrapped": [server],
  "hooks": {"SessionStart": command, "SessionEnd": command, "UserPromptSubmit": command,
  "PreToolUse": command, "PostToolUse": command}, "mcpServer": {"configFile", "name", "changed",
  "command": [argv...]}}`,

    async run(argv, ctx) {
      const p = parseArgs(argv, { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'no-mcp': { type: 'boolean' }, guards: { type: 'string' } });
      positionals(p, []);
      const dryRun = bool(p, 'dry-run');
      const guards = str(p, 'guards');
      if (guards !== undefined && guards !== 'command' && guards !== 'http') throw new UsageError("--guards takes 'command' or 'http'");
      const r = await installUser(ctx, { ...opts, dryRun, ...(guards ? { guards } : {}), mcp: !bool(p, 'no-mcp'), via: 'install' });
      const { hooks, settingsFile: file } = r;

      const out = output(ctx);
      if (bool(p, 'json')) {
        out.json({
          settingsFile: file,
          changed: r.changed,
          dryRun,
          runtime: r.launcher,
          rewrapped: r.rewrapped,
          hooks,
          ...(r.mcpServer ? { mcpServer: r.mcpServer } : {}),
        });
        return 0;
      }
      if (r.mcpServer?.changed)
        out.line(`${dryRun ? 'would register' : 'registered'} the MCP server '${MCP_SERVER_NAME}' (user scope, ${r.mcpServer.configFile}): ${r.mcpServer.command.map(shQuote).join(' ')}`);
      if (!r.changed) {
        out.line(`runtime and hooks already installed in ${file}; nothing ${dryRun ? 'would change' : 'changed'}`);
        return 0;
      }
      out.line(dryRun ? `would install the runtime at ${r.launcher}` : `installed the runtime ${r.runtime?.id ?? ''} at ${r.launcher}`);
      out.line(dryRun ? `would write these hooks to ${file} (dry run, nothing written):` : `installed hooks in ${file}:`);
      out.line(`  SessionStart: ${hooks.SessionStart}`);
      out.line(`  SessionEnd:   ${hooks.SessionEnd}`);
      out.line(`  UserPromptSubmit: ${hooks.UserPromptSubmit}`);
      out.line(`  PreToolUse (${HOOK_MATCHERS.PreToolUse ?? ''}): ${hooks.PreToolUse}`);
      out.line(`  PostToolUse (${HOOK_MATCHERS.PostToolUse ?? ''}): ${hooks.PostToolUse}`);
      if (r.rewrapped.length > 0) out.line(`wrapped servers now run the runtime: ${r.rewrapped.join(', ')}`);
      if (!dryRun) out.line('They take effect in Claude Code sessions started from now on.');
      return 0;
    },
  };
}

export const install: Command = makeInstallCommand();
