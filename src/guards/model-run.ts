// Which `keyring-inject run` commands the model may start, so that Claude can use keys without
// seeing them. Pure: the Bash command text in, a verdict out.
//
// Allowed: ONE plain command, `keyring-inject run [--only NAMES] [--no-project] -- COMMAND ARGS`,
// where COMMAND is a program or a script path and ARGS are plain arguments:
//   - COMMAND is not a shell, a printer (env, cat, base64...), a wrapper that runs another command
//     (xargs, timeout, taskset, flock, dbus-run-session...), nor keyring-inject;
//   - an interpreter (node, python, perl, ruby...) gets a script file first: no option before it
//     (-c, -e, -m, --import carry code), no inline code after it;
//   - no argument is a shell, interpreter, printer or wrapper word of its own (unless it is the
//     value of the option before it: `--grep env`), a flag that runs a command (-exec, --execute)
//     or loads configuration (-c, -K, --config...), a configuration assignment (core.x=...), a
//     path into /proc or /dev/fd or to an environ file, nor a package manager's exec subcommand
//     (npm exec, pnpm dlx...);
//   - --only names that neither the registry nor the project file holds are refused.
// Its output reaches the model through the masking of every tool output.
//
// Denied besides: anything around it: pipes, lists, redirections, subshells, command
// substitution, env assignments (`run -- node x.js | base64` would encode before masking sees it;
// `LD_PRELOAD=... keyring-inject run` would load code into it).
//
// What stays possible (SECURITY.md): a script that encodes the key before printing it. This is
// a tripwire against a model that goes looking, not a sandbox.
import { basename } from 'node:path';
import { escapeRegExp } from './mask.js';

// biome-ignore format: one variant a line
export type ModelRun =
  /** Not a `keyring-inject run|exec|headers` command: the other rules decide. */
  | { kind: 'none' }
  | { kind: 'allowed'; only: string[] }
  | { kind: 'denied'; reason: string };

const SHAPE = 'Run the command alone, exactly as: keyring-inject run [--only NAME,...] -- COMMAND ARGS (COMMAND gets the keys in its environment; its output is masked before you see it)';

/** Programs whose only job in `run -- X` would be to show the keys. */
// biome-ignore format: a word list, kept as a block
const PRINTERS = new Set([
  'env', 'printenv', 'set', 'export', 'declare', 'typeset', 'echo', 'printf', 'cat', 'tac', 'nl', 'head', 'tail', 'less', 'more',
  'od', 'xxd', 'hexdump', 'base64', 'base32', 'basenc', 'strings', 'tee', 'rev', 'tr', 'fold', 'sed', 'awk', 'gawk', 'mawk', 'cut',
  'paste', 'column', 'sort', 'uniq', 'grep', 'egrep', 'fgrep', 'rg', 'jq', 'yq', 'dd', 'cp', 'mv', 'install', 'ln', 'gzip', 'openssl', 'gpg',
]);
/** Programs that run another command or inline code: the real COMMAND would be hidden in their arguments. */
// biome-ignore format: a word list, kept as a block
const RUNNERS = new Set([
  'sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'busybox', 'sudo', 'su', 'doas', 'nohup', 'exec', 'eval', 'command',
  'builtin', 'xargs', 'time', 'timeout', 'nice', 'ionice', 'stdbuf', 'script', 'setsid', 'chroot', 'unshare', 'nsenter', 'watch', 'parallel',
  'strace', 'ltrace', 'gdb', 'expect', 'keyring-inject', 'npx', 'make', 'tmux', 'screen', 'ssh',
  'taskset', 'setarch', 'prlimit', 'flock', 'dbus-run-session', 'dbus-launch', 'chrt', 'numactl', 'systemd-run', 'firejail', 'bwrap',
  'catchsegv', 'valgrind', 'faketime', 'fakeroot', 'proot', 'linux32', 'linux64', 'runuser', 'pkexec', 'xvfb-run', 'unbuffer', 'rlwrap',
  'torsocks', 'proxychains', 'proxychains4', 'sg', 'newgrp', 'capsh', 'setpriv', 'cgexec', 'toybox', 'ld.so', 'trickle', 'nocache', 'eatmydata',
  'pnpx', 'bunx', 'uvx', 'pipx',
]);
/** Shells: as an argument of another program (`find -exec sh -c`, `flock F sh -c`) they run the code that follows. */
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'busybox']);
/** A git alias that runs a shell command: `git -c 'alias.x=!printenv | base64' x`. */
const GIT_SHELL_ALIAS = /^alias\.[^=]*=\s*!/;
/** Interpreters, and the options that make them run code from the command line. */
const INLINE: Record<string, RegExp> = {
  node: /^(-e|-p|--eval|--print|-pe|-ep|-i|--interactive|-r|--require|--import|--loader|--experimental-loader)(=|$)/,
  deno: /^(eval|repl)$/,
  bun: /^(-e|--eval|-p|--print)(=|$)/,
  python: /^-[a-zA-Z]*c/,
  perl: /^-[a-zA-Z]*[eE]/,
  ruby: /^-[a-zA-Z]*e/,
  php: /^-[a-zA-Z]*[rR]/,
  lua: /^-[a-zA-Z]*e/,
  osascript: /^-e$/,
  pwsh: /^-(c|command|e|encodedcommand)$/i,
  powershell: /^-(c|command|e|encodedcommand)$/i,
};

/** Flags that run a command or code given in the arguments (find -exec, wget --execute). */
const EXEC_FLAG = /^(?:-(?:exec|execdir|ok|okdir)|--?(?:exec|execute|eval)(?:=.*)?)$/;
/** Flags that load a configuration given on the command line or from a file (git -c, curl -K, npm --userconfig). */
const CONFIG_FLAG = /^(?:-c|-K|--config(?:-env|-file)?|--userconfig|--globalconfig|--init-file|--rcfile|--rc|--settings|--options)(?:=.*)?$|^-[cK]./;
/** A configuration assignment as an argument (`core.fsmonitor=...`, `alias.x=!...`). */
const CONFIG_ASSIGNMENT = /^[A-Za-z][A-Za-z0-9-]*\.[A-Za-z0-9.-]+=/;
/** Another process's or our own environment, by any path (/proc/self/environ, /dev/fd/../environ). */
const ENVIRON_PATH = /\/proc\/|\/dev\/fd|environ/;
/** Package managers whose subcommand runs a package's binary or inline code. */
const PACKAGE_RUNNERS = new Set(['npm', 'pnpm', 'yarn', 'bun', 'deno', 'uv', 'poetry', 'pipenv', 'cargo', 'go', 'dotnet']);
const PACKAGE_EXEC = new Set(['exec', 'x', 'dlx', 'run-script-shell', 'eval', 'repl', 'shell']);

/** The interpreter family of a program name: python3.12 -> python. */
function family(name: string): string {
  const m = /^(node|nodejs|deno|bun|python|pypy|perl|ruby|php|lua|luajit|osascript|pwsh|powershell)(?:[0-9.]*)(?:\.exe)?$/i.exec(name);
  if (!m) return name;
  const f = (m[1] as string).toLowerCase();
  return f === 'nodejs' ? 'node' : f === 'luajit' ? 'lua' : f === 'pypy' ? 'python' : f;
}

/**
 * Shell words of a simple command, or why it is not one. Quotes and backslashes are removed as
 * the shell would; `$(`, backquotes and any unquoted operator make it something else.
 */
export function simpleWords(command: string): { words: string[] } | { problem: string } {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return { problem: 'an unterminated quote' };
      cur += command.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        const d = command[j] as string;
        if (d === '`' || (d === '$' && command[j + 1] === '(')) return { problem: 'command substitution' };
        if (d === '\\' && j + 1 < command.length) cur += command[++j] as string;
        else cur += d;
      }
      if (j >= command.length) return { problem: 'an unterminated quote' };
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (command[i + 1] === '\n') {
        i++;
        continue;
      }
      cur += command[i + 1] ?? '';
      inWord = true;
      i++;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '`' || (c === '$' && command[i + 1] === '(')) {
      return { problem: 'command substitution' };
    } else if (';&|<>()\n\r{}'.includes(c)) {
      return { problem: `the shell operator ${JSON.stringify(c)}` };
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return { words };
}

/** Does this word start our CLI? `keyring-inject`, a path to it, or `node <our bundle>`. */
function ourCli(words: readonly string[], cliPaths: readonly string[]): number {
  const w0 = words[0] ?? '';
  if (w0 === 'keyring-inject' || basename(w0) === 'keyring-inject') return 1;
  if (cliPaths.includes(w0)) return 1;
  if (family(basename(w0)) === 'node' && cliPaths.includes(words[1] ?? '')) return 2;
  return 0;
}

const MENTIONS_RUN = /(?:^|[^A-Za-z0-9_.-])keyring-inject(?:\.js)?['"]?\s+['"]?run(?![A-Za-z0-9_-])/;

/**
 * Why the arguments of COMMAND are not plain, or undefined. Plain: no shell, interpreter, wrapper or
 * printer as a word of its own (unless it is the value of the option before it: `--grep env`), no
 * flag that runs a command or loads configuration, no configuration assignment, no path to an
 * environment, no package-manager subcommand that runs code.
 */
function argumentProblem(name: string, cmd: readonly string[]): string | undefined {
  if (PACKAGE_RUNNERS.has(name) && PACKAGE_EXEC.has(cmd[1] ?? '')) return `'${name} ${cmd[1]}' runs another program or code`;
  for (let j = 1; j < cmd.length; j++) {
    const w = cmd[j] as string;
    if (EXEC_FLAG.test(w)) return `'${w}' runs a command given in the arguments`;
    if (CONFIG_FLAG.test(w)) return `'${w.slice(0, 16)}' loads configuration given on the command line`;
    if (CONFIG_ASSIGNMENT.test(w) || GIT_SHELL_ALIAS.test(w)) return 'an argument sets a configuration value';
    if (ENVIRON_PATH.test(w)) return 'an argument names a process environment';
    const n = basename(w).replace(/\.exe$/i, '');
    const prev = cmd[j - 1] as string;
    const isOptionValue = j > 1 && prev.startsWith('-') && prev !== '--' && !prev.includes('=');
    const inl = INLINE[family(n)];
    if (SHELLS.has(n) || (inl && cmd.slice(j + 1).some((a) => inl.test(a)))) return `'${n}' would run a shell or inline code`;
    if (!isOptionValue && (RUNNERS.has(n) || PRINTERS.has(n) || inl)) return `'${n}' is a program of its own in the arguments`;
  }
  return undefined;
}

/** Is `command` the model asking to run something with keys? And may it? `known`: the names it may pass to --only. */
export function checkModelRun(command: string, cliPaths: readonly string[], known: (name: string) => boolean): ModelRun {
  const viaBundle = cliPaths.some((p) => new RegExp(`${escapeRegExp(p)}['"]?\\s+['"]?run(?![A-Za-z0-9_-])`).test(command));
  if (!MENTIONS_RUN.test(command) && !viaBundle) return { kind: 'none' };
  const parsed = simpleWords(command.trim());
  if ('problem' in parsed)
    return { kind: 'denied', reason: `Blocked by keyring-inject: a command that runs with your keys must be a single plain command, and this one has ${parsed.problem}. ${SHAPE}.` };
  const words = parsed.words;
  const at = ourCli(words, cliPaths);
  if (at === 0) {
    if (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) {
      return { kind: 'denied', reason: `Blocked by keyring-inject: no environment assignments before a command that runs with your keys. ${SHAPE}.` };
    }
    return { kind: 'denied', reason: `Blocked by keyring-inject: keyring-inject run must be the command itself, not an argument of another program. ${SHAPE}.` };
  }
  if (words[at] !== 'run') return { kind: 'denied', reason: `Blocked by keyring-inject: keyring-inject run must be the command itself. ${SHAPE}.` };
  const only: string[] = [];
  let i = at + 1;
  for (; i < words.length && words[i] !== '--'; i++) {
    const w = words[i] as string;
    if (w === '--no-project') continue;
    if (w === '--only' || w.startsWith('--only=')) {
      const v = w === '--only' ? words[++i] : w.slice('--only='.length);
      if (v === undefined) break;
      only.push(
        ...v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );
      continue;
    }
    return { kind: 'denied', reason: `Blocked by keyring-inject: run takes only --only NAMES and --no-project before '--'. ${SHAPE}.` };
  }
  const cmd = words.slice(i + 1);
  if (words[i] !== '--' || cmd.length === 0) return { kind: 'denied', reason: `Blocked by keyring-inject: put the command after '--'. ${SHAPE}.` };
  const unknown = only.filter((n) => !known(n));
  if (unknown.length > 0) {
    return {
      kind: 'denied',
      reason: `Blocked by keyring-inject: no secret named ${unknown.join(', ')} here (neither this project's .claude/secrets.json nor the user's registry has it). Call list_secrets to see the names, or request_secret to ask the user for it.`,
    };
  }
  const name = basename(cmd[0] as string).replace(/\.exe$/i, '');
  const fam = family(name);
  if (PRINTERS.has(name) || RUNNERS.has(name)) {
    return {
      kind: 'denied',
      reason: `Blocked by keyring-inject: '${name}' under keyring-inject run would only show the keys (or run a command hidden in its arguments). Run the program that needs the key directly: keyring-inject run -- node fetch.js, npm test, curl ... The key stays in its environment; you never need its value.`,
    };
  }
  const inline = INLINE[fam];
  if (inline) {
    const args = cmd.slice(1);
    // An interpreter runs a script file: its first argument is the script. With no script it reads
    // its program from stdin; any option before the script may carry code (-c, -e, -m, --import).
    if (args.length === 0 || (args[0] as string).startsWith('-') || args.some((a) => inline.test(a))) {
      return {
        kind: 'denied',
        reason: `Blocked by keyring-inject: '${name}' under keyring-inject run must be given a script file first (no options before it, no inline code): put the code in a file of the project and run that file: keyring-inject run -- ${name} fetch.js.`,
      };
    }
  }
  const plainArgs = argumentProblem(name, cmd);
  if (plainArgs) {
    return {
      kind: 'denied',
      reason: `Blocked by keyring-inject: under keyring-inject run, '${name}' may take only plain arguments, and ${plainArgs}, which could run code or print the keys. Run a program or a script file of the project with plain arguments: keyring-inject run -- node fetch.js, npm test, curl -s URL.`,
    };
  }
  return { kind: 'allowed', only };
}
