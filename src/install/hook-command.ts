// The shell command of a hook, portable to every shell Claude Code runs hooks in: /bin/sh on
// Linux and macOS, Git Bash on Windows (PowerShell when Git Bash is missing). Pure: no disk.
//
// `node missing.js` prints a MODULE_NOT_FOUND stack trace and exits 1, into every session. So a
// hook never names the script directly: `node -e GUARD SCRIPT ARGS...` runs GUARD with
// process.argv = [node, SCRIPT, ARGS...], exactly as `node SCRIPT ARGS...` would have it. GUARD
// requires SCRIPT when it exists and otherwise prints one line and exits 1, which Claude Code
// reports as a non-blocking hook error: the session continues. GUARD holds no `"`, `$`, backtick,
// backslash, `!` or `%`, so one pair of double quotes keeps it intact in sh, bash and PowerShell.
//
// NODE_EXTRA_CA_CERTS: Node reads that file at start-up, before any code of ours runs (measured
// here with a 215 KB bundle: `node -e 0` 76 ms unset, 216 ms set). A hook does no network I/O, so
// where the shell is POSIX we start node with the variable empty (`NAME= cmd`, POSIX syntax;
// Node ignores an empty value). On Windows the command may run in PowerShell, which has no such
// syntax: there the variable is left alone.
import { shQuote } from '../core/shell.js';
import { markCommand, type HookCommands } from './settings-hooks.js';

/** Where to point users when the script is gone. */
export type MissingHint = 'install' | 'plugin';

const HINTS: Record<MissingHint, string> = {
  install: 'run: keyring-inject install',
  plugin: 'reinstall the keyring-inject plugin',
};

/** The `-e` program: run argv[1] if it exists, else say so in one line and exit 1. */
export function guardProgram(hint: MissingHint): string {
  const program = `const f=process.argv[1];require('fs').existsSync(f)?require(f):(console.error('keyring-inject: '+f+' is missing; ${HINTS[hint]}'),process.exitCode=1)`;
  if (/["$`\\!%]/.test(program)) throw new Error('internal error: hook guard program needs quoting');
  return program;
}

export interface HookRunner {
  /** The node binary (absolute) on POSIX; on Windows `node` from PATH is used. */
  node: string;
  /** The script to run (absolute): the runtime launcher. */
  script: string;
  platform: NodeJS.Platform;
  hint?: MissingHint;
}

/** `<node> -e "<guard>" <script>`, ready for the hook's own arguments (e.g. `hook session-start`). */
export function hookRunPrefix(r: HookRunner): string {
  const guard = `"${guardProgram(r.hint ?? 'install')}"`;
  if (r.platform === 'win32') {
    // Forward slashes: Git Bash would eat backslashes outside quotes, and node takes either.
    const script = r.script.replace(/\\/g, '/');
    if (/["$`%]/.test(script)) throw new Error(`cannot quote ${script} for a hook command`);
    return `node -e ${guard} "${script}"`;
  }
  return `NODE_EXTRA_CA_CERTS= ${shQuote(r.node)} -e ${guard} ${shQuote(r.script)}`;
}

/** The script a hook command of ours runs (the word after the guard), or undefined. */
export function hookScriptOf(command: string): string | undefined {
  const m = /\s-e\s+"[^"]*"\s+(?:'((?:[^']|'\\'')*)'|"([^"]*)")/.exec(command);
  if (m) return m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2];
  // Older installs: `'<node>' '<cli.js>' hook ...` (optionally after `env -u NODE_EXTRA_CA_CERTS`).
  const old = /'((?:[^']|'\\'')*)'\s+'((?:[^']|'\\'')*)'\s+(?:hook|guard)\s/.exec(command);
  return old?.[2]?.replace(/'\\''/g, "'");
}

export interface HookCommandOptions {
  /** The node binary the hooks run; default process.execPath. */
  node?: string;
  /** The script the hooks run: the runtime launcher. */
  script: string;
  platform?: NodeJS.Platform;
}

/** Every hook as a command. */
export type CommandHooks = { [K in keyof HookCommands]-?: string };

/** The five hook commands, each `<run prefix> hook|guard <event> # keyring-inject`. */
export function hookCommands(opts: HookCommandOptions): CommandHooks {
  const run = hookRunPrefix({ node: opts.node ?? process.execPath, script: opts.script, platform: opts.platform ?? process.platform });
  return {
    sessionStart: markCommand(`${run} hook session-start`),
    sessionEnd: markCommand(`${run} hook session-end`),
    userPromptSubmit: markCommand(`${run} guard user-prompt-submit`),
    preToolUse: markCommand(`${run} guard pre-tool-use`),
    postToolUse: markCommand(`${run} guard post-tool-use`),
  };
}
