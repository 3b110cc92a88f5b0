// The shape of a wrapped server entry, in one place: what `wrap` writes and what `exec`,
// `headers`, `unwrap` and `doctor` recognise.
//
// stdio:  "command": "<node>", "args": ["<cli.js>", "exec", "--server", S,
//            ["--scope", "local", "--project", P,] ["--no-args-key",] ["--mcp-json",]
//            "--", <original command>, <original args>...]
// http:   "headersHelper": "<node> <cli.js> headers S [--scope local --project P]" (shell-quoted)
//
// The original command and arguments stay in the config itself (after `--`), so unwrapping
// needs no other state and no copy of anything (args may hold things the user wants nowhere
// else). `--no-args-key` records that the entry had no `args` at all; `--mcp-json` that the
// entry is a local-scope copy of a project `.mcp.json` server made by `wrap` (unwrap deletes it).
import { existsSync, realpathSync } from 'node:fs';
import { KiError } from '../core/errors.js';
import { claudePaths, isCliFileName, runtimeLauncher, type Env } from '../core/paths.js';
import type { Scope } from '../claude/scope.js';
import { shellQuote } from '../core/shell.js';
import { scopeArgs, type ServerAddress } from '../claude/address.js';

/** exec options that describe the server, as written after `exec`. */
export function serverArgs(ref: ServerAddress): string[] {
  return ['--server', ref.server, ...scopeArgs(ref)];
}

export interface WrapFlags {
  /** The original entry had no `args`. */
  noArgsKey: boolean;
  /** The entry is a local-scope copy of a `.mcp.json` server, made by wrap. */
  mcpJson: boolean;
}

/** The wrapped `args` up to and including `--` (the original command and args follow). */
export function execPrefix(cli: string, ref: ServerAddress, flags: WrapFlags): string[] {
  return [cli, 'exec', ...serverArgs(ref), ...(flags.noArgsKey ? ['--no-args-key'] : []), ...(flags.mcpJson ? ['--mcp-json'] : []), '--'];
}

export interface ParsedWrap extends WrapFlags, ServerAddress {
  /** Index (in args) of the original command, right after `--`. */
  commandIndex: number;
  /** The cli path in the wrapped args (for doctor: does it still exist?). */
  cli: string;
}

/**
 * Recognise a wrapped stdio entry from its command and (decoded) args. Returns undefined for
 * anything else, including a malformed wrap (which is then treated as a user's own command).
 */
export function parseWrappedArgs(command: string, args: readonly string[]): ParsedWrap | undefined {
  let i: number;
  let cli: string;
  if (args[1] === 'exec' && args[0] !== undefined && isCliFileName(args[0])) {
    i = 2;
    cli = args[0];
  } else if (args[0] === 'exec' && isCliFileName(command)) {
    i = 1;
    cli = command;
  } else {
    return undefined;
  }
  const opts = parseExecOptions(args.slice(i));
  if (!opts) return undefined;
  return { ...opts, cli, commandIndex: i + opts.consumed };
}

export interface ExecOptions extends WrapFlags, ServerAddress {
  /** Number of args consumed, `--` included. */
  consumed: number;
}

/** Parse `--server S [--scope user|local] [--project P] [--no-args-key] [--mcp-json] --`, strictly. */
export function parseExecOptions(argv: readonly string[]): ExecOptions | undefined {
  let server: string | undefined;
  let scope: Scope = 'user';
  let project: string | undefined;
  let noArgsKey = false;
  let mcpJson = false;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const next = argv[k + 1];
    if (a === '--') {
      if (server === undefined || (scope === 'local') !== (project !== undefined)) return undefined;
      if (argv[k + 1] === undefined) return undefined; // no command
      return { server, scope, ...(scope === 'local' ? { project } : {}), noArgsKey, mcpJson, consumed: k + 1 };
    }
    if (a === '--server' && next !== undefined && server === undefined) {
      server = next;
      k++;
    } else if (a === '--scope' && (next === 'user' || next === 'local')) {
      scope = next;
      k++;
    } else if (a === '--project' && next !== undefined) {
      project = next;
      k++;
    } else if (a === '--no-args-key') {
      noArgsKey = true;
    } else if (a === '--mcp-json') {
      mcpJson = true;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** `<node> <cli> headers S [--scope local --project P] [--mcp-json]`, shell-quoted. */
export function headersHelperCommand(node: string, cli: string, ref: ServerAddress, mcpJson = false): string {
  const scope = scopeArgs(ref);
  return [node, cli, 'headers', ref.server, ...scope, ...(mcpJson ? ['--mcp-json'] : [])].map(shellQuote).join(' ');
}

/** Split a POSIX shell command made of plain words and quoted strings; undefined if it uses anything else. */
export function shellWords(cmd: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < cmd.length) {
    while (cmd[i] === ' ' || cmd[i] === '\t') i++;
    if (i >= cmd.length) break;
    let word = '';
    while (i < cmd.length && cmd[i] !== ' ' && cmd[i] !== '\t') {
      const c = cmd[i] as string;
      if (c === "'") {
        const end = cmd.indexOf("'", i + 1);
        if (end === -1) return undefined;
        word += cmd.slice(i + 1, end);
        i = end + 1;
      } else if (c === '\\' && i + 1 < cmd.length) {
        word += cmd[i + 1];
        i += 2;
      } else if (/[A-Za-z0-9_./:@%+=,-]/.test(c)) {
        word += c;
        i++;
      } else {
        return undefined; // ; | & $ ` " ( ) < > ...: not a helper of ours
      }
    }
    words.push(word);
  }
  return words;
}

/** Recognise our headersHelper; returns the server it names. */
export function parseHeadersHelper(cmd: string): (ServerAddress & { cli: string; mcpJson: boolean }) | undefined {
  const w = shellWords(cmd);
  if (!w) return undefined;
  let i: number;
  let cli: string;
  if (w[2] === 'headers' && w[1] !== undefined && isCliFileName(w[1])) {
    i = 3;
    cli = w[1];
  } else if (w[1] === 'headers' && w[0] !== undefined && isCliFileName(w[0])) {
    i = 2;
    cli = w[0];
  } else {
    return undefined;
  }
  const server = w[i];
  if (server === undefined || server.startsWith('-')) return undefined;
  const opts = parseExecOptions(['--server', server, ...w.slice(i + 1), '--', 'x']);
  if (!opts || opts.noArgsKey) return undefined;
  return { server: opts.server, scope: opts.scope, ...(opts.project !== undefined ? { project: opts.project } : {}), cli, mcpJson: opts.mcpJson };
}

export interface SelfPaths {
  /** Absolute path of the node binary that runs the wrapper. */
  node: string;
  /** Absolute path of our bundle, dist/cli.js. */
  cli: string;
}

/**
 * The node binary and bundle that wrapped entries will run. KEYRING_INJECT_NODE and
 * KEYRING_INJECT_CLI override them (tests; unusual installs); otherwise the installed runtime's
 * launcher (see 'install'), else this very process.
 */
export function selfPaths(env: Env): SelfPaths {
  const node = env.KEYRING_INJECT_NODE || process.execPath;
  let cli = env.KEYRING_INJECT_CLI;
  // The installed runtime's stable launcher, when there is one: it outlives the clone or package.
  const launcher = runtimeLauncher(claudePaths(env).dataDir);
  if (!cli && existsSync(launcher)) cli = launcher;
  if (!cli) {
    const script = process.argv[1];
    if (!script) throw new KiError('install-broken', 'cannot tell where keyring-inject is installed: set KEYRING_INJECT_CLI to the absolute path of dist/cli.js');
    try {
      cli = realpathSync(script);
    } catch {
      cli = script;
    }
  }
  if (!existsSync(cli)) throw new KiError('install-broken', `${cli} does not exist: build keyring-inject (npm run build) or set KEYRING_INJECT_CLI to the absolute path of dist/cli.js`);
  if (!isCliFileName(cli)) throw new KiError('install-broken', `${cli} is not keyring-inject's dist/cli.js: set KEYRING_INJECT_CLI to the absolute path of dist/cli.js`);
  return { node, cli };
}
