import { realpathSync } from 'node:fs';
import { lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { KiError, oneLine } from '../../core/errors.js';
import { HOOK_MATCHERS, HOOK_TIMEOUTS, SettingsFormatError, addHooks, markCommand, type HookCommands } from '../../install/settings-hooks.js';
import { MCP_SERVER_NAME, mcpServerEntry, registerMcpServer } from '../../install/mcp-registration.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { shQuote } from '../../core/shell.js';

export interface HookCommandOptions {
  /** The node binary the hooks run; default process.execPath. */
  execPath?: string;
  /** The CLI bundle the hooks run; default process.argv[1] (resolved to its real path). */
  cliPath?: string;
}

/** The hook commands: `'<node>' '<real path of the CLI>' hook session-start # keyring-inject`, `... hook session-end ...`,
 * and the guards `... guard user-prompt-submit|pre-tool-use|post-tool-use ...`. */
export function hookCommands(opts: HookCommandOptions = {}): HookCommands {
  const { exec, cli } = cliLocation(opts);
  // Hooks do no network I/O: starting Node without NODE_EXTRA_CA_CERTS saves ~40-65 ms per hook.
  const run = `${process.platform === 'win32' ? '' : 'env -u NODE_EXTRA_CA_CERTS '}${shQuote(exec)} ${shQuote(cli)}`;
  return {
    sessionStart: markCommand(`${run} hook session-start`),
    sessionEnd: markCommand(`${run} hook session-end`),
    userPromptSubmit: markCommand(`${run} guard user-prompt-submit`),
    preToolUse: markCommand(`${run} guard pre-tool-use`),
    postToolUse: markCommand(`${run} guard post-tool-use`),
  };
}

/** The node binary and the real path of the CLI that hooks and the MCP server run. */
export function cliLocation(opts: HookCommandOptions = {}): { exec: string; cli: string } {
  const exec = resolve(opts.execPath ?? process.execPath);
  const cliArg = opts.cliPath ?? process.argv[1];
  if (!cliArg) throw new KiError('cannot tell where the keyring-inject CLI is: run install through the keyring-inject command');
  let cli: string;
  try {
    cli = realpathSync(resolve(cliArg));
  } catch (err) {
    throw new KiError(`cannot resolve the path of the keyring-inject CLI (${(err as NodeJS.ErrnoException).code ?? 'error'}): run install through the keyring-inject command`);
  }
  return { exec, cli };
}

/** settings.json as text, or undefined when it does not exist. */
export async function readSettingsText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new KiError(`cannot read ${file} (${code ?? oneLine((err as Error).message)})`);
  }
}

/**
 * Write settings.json atomically. Through a symlink to its target (the link stays a link);
 * an existing file keeps its mode, a new one is 0600; a missing config dir is created (0700).
 */
export async function writeSettingsText(file: string, text: string): Promise<void> {
  let target = file;
  let mode = 0o600;
  try {
    target = await realpath(file);
    mode = (await stat(target)).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new KiError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    const link = await lstat(file).catch(() => undefined);
    if (link?.isSymbolicLink()) throw new KiError(`${file} is a symbolic link to a missing file: fix or remove the link and retry`);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  }
  try {
    await writeFileAtomic(target, text, { mode });
  } catch (err) {
    throw new KiError(`cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? oneLine((err as Error).message)})`);
  }
}

/** Turn a SettingsFormatError (position only, never content) into a user-facing error naming the file. */
export function settingsError(file: string, err: unknown): unknown {
  return err instanceof SettingsFormatError ? new KiError(`${file}: ${oneLine(err.message)}`) : err;
}

export function makeInstallCommand(opts: HookCommandOptions = {}): Command {
  return {
    name: 'install',
    example: 'keyring-inject install --dry-run   # the hooks it would add to ~/.claude/settings.json',
    help: `Usage: keyring-inject install [--dry-run] [--json]

Adds two session hooks to <config dir>/settings.json (<config dir> is $CLAUDE_CONFIG_DIR, else
~/.claude): SessionStart runs 'keyring-inject hook session-start' (timeout ${HOOK_TIMEOUTS.SessionStart} s) and SessionEnd
runs 'keyring-inject hook session-end' (timeout ${HOOK_TIMEOUTS.SessionEnd} s; without its own timeout Claude Code gives a
SessionEnd hook 1.5 s). Each command names this node binary and this CLI by absolute path and
ends with the shell comment '# keyring-inject', which is how install and uninstall recognise
them. Running install again changes nothing, or updates the paths in place after node or
keyring-inject moved. Your other settings and hooks are kept byte for byte. The file is written
atomically (through a symlink, keeping its mode; a new file is 0600). Claude Code reads
settings.json as plain JSON only: a file with comments is refused, with its position.

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

Options:
  --no-mcp   do not register the MCP server
  --dry-run  show what would change; write nothing
  --json     machine-readable output on stdout

JSON shape (stable): {"settingsFile", "changed": boolean, "dryRun": boolean,
  "hooks": {"SessionStart": command, "SessionEnd": command, "UserPromptSubmit": command,
  "PreToolUse": command, "PostToolUse": command}, "mcpServer": {"configFile", "name", "changed",
  "command": [argv...]}}`,

    async run(argv, ctx) {
      const p = parseArgs(argv, { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'no-mcp': { type: 'boolean' } });
      positionals(p, []);
      const dryRun = bool(p, 'dry-run');
      const file = ctx.paths.settingsFile;
      const commands = hookCommands(opts);
      const location = cliLocation(opts);
      const mcpEntry = bool(p, 'no-mcp') ? undefined : mcpServerEntry(location.exec, location.cli);
      const before = await readSettingsText(file);
      let result: { text: string; changed: boolean };
      try {
        result = addHooks(before ?? '', commands);
      } catch (err) {
        throw settingsError(file, err);
      }
      if (result.changed && !dryRun) await writeSettingsText(file, result.text);
      const mcpChanged = mcpEntry ? await registerMcpServer(ctx.paths.configFile, mcpEntry, dryRun) : false;

      const out = output(ctx);
      if (/[\\/]_npx[\\/]/.test(commands.sessionStart)) {
        out.warn("keyring-inject runs from npx's cache, which npm may clean at any time: install it for good (npm install -g keyring-inject) or use the plugin, then run install again");
      }
      if (bool(p, 'json')) {
        out.json({
          settingsFile: file,
          changed: result.changed,
          dryRun,
          hooks: {
            SessionStart: commands.sessionStart,
            SessionEnd: commands.sessionEnd,
            UserPromptSubmit: commands.userPromptSubmit,
            PreToolUse: commands.preToolUse,
            PostToolUse: commands.postToolUse,
          },
          ...(mcpEntry ? { mcpServer: { configFile: ctx.paths.configFile, name: MCP_SERVER_NAME, changed: mcpChanged, command: [mcpEntry.command, ...mcpEntry.args] } } : {}),
        });
        return 0;
      }
      if (mcpChanged) out.line(`${dryRun ? 'would register' : 'registered'} the MCP server '${MCP_SERVER_NAME}' (user scope, ${ctx.paths.configFile}): ${shQuote(location.exec)} ${shQuote(location.cli)} mcp`);
      if (!result.changed) {
        out.line(`hooks already installed in ${file}; nothing ${dryRun ? 'would change' : 'changed'}`);
        return 0;
      }
      out.line(dryRun ? `would write these hooks to ${file} (dry run, nothing written):` : `installed hooks in ${file}:`);
      out.line(`  SessionStart: ${commands.sessionStart}`);
      out.line(`  SessionEnd:   ${commands.sessionEnd}`);
      out.line(`  UserPromptSubmit: ${commands.userPromptSubmit ?? ''}`);
      out.line(`  PreToolUse (${HOOK_MATCHERS.PreToolUse ?? ''}): ${commands.preToolUse ?? ''}`);
      out.line(`  PostToolUse (${HOOK_MATCHERS.PostToolUse ?? ''}): ${commands.postToolUse ?? ''}`);
      if (!dryRun) out.line('They take effect in Claude Code sessions started from now on.');
      return 0;
    },
  };
}

export const install: Command = makeInstallCommand();
