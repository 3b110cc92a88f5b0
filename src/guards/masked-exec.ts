// Masking at the source for Bash: a failed Bash call never reaches PostToolUse, and the only
// thing a PostToolUseFailure hook may add is context (Claude Code 2.1.332 checks its output
// against {hookEventName, additionalContext}): nothing can replace what the model sees. So
// PreToolUse rewrites the call to run under `keyring-inject guard mask-exec`, which runs the
// original command in a child shell and lets its stdout and stderr through masked, as they come.
//
// Kept: the exit status (a signal is raised again on ourselves), stdin (inherited), streaming
// (finished lines go out at once; see makeStreamMasker for the tail held back), the timing, and the
// working directory the command ends in (the Bash tool carries a `cd` over to the next call: the
// child shell writes it to a file the calling shell made with mktemp, and the calling shell cds
// there). Not kept: other shell state (an `export` inside the command does not outlive it, as in
// the Bash tool; functions and aliases of the client's shell snapshot are not defined).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { shQuote } from '../core/shell.js';
import { makeStreamMasker, type Masker, type StreamMasker } from './mask.js';

/** The subcommand of `guard` that runs a command with masked output. */
export const MASK_EXEC = 'mask-exec';

/**
 * The Bash command that runs `command` under our masking, `'NODE' 'CLI' guard mask-exec
 * --cwd-file F -- 'COMMAND'`, then moves the calling shell to where the command ended and gives
 * back its status. POSIX sh words only: the client's shell may be bash, zsh or sh.
 */
export function maskedBashCommand(command: string, node: string, cli: string): string {
  return [
    `__ki_cwd=$(mktemp "\${TMPDIR:-/tmp}/${CWD_FILE_PREFIX}XXXXXX" 2>/dev/null)`,
    `${shQuote(node)} ${shQuote(cli)} guard ${MASK_EXEC} --cwd-file "$__ki_cwd" -- ${shQuote(command)}`,
    '__ki_status=$?',
    'if [ -s "$__ki_cwd" ]; then cd -- "$(cat -- "$__ki_cwd")" 2>/dev/null; fi',
    'if [ -n "$__ki_cwd" ]; then rm -f -- "$__ki_cwd"; fi',
    'unset __ki_cwd',
    '(exit $__ki_status)',
  ].join('; ');
}

/** The name our cwd files start with (in $TMPDIR, removed by the same call). */
export const CWD_FILE_PREFIX = 'ki-cwd.';

/** The variable that tells the child shell where to write its last working directory. */
const CWD_FILE_VAR = 'KEYRING_INJECT_CWD_FILE';

/**
 * The child shell's script: `command`, with an EXIT trap that writes the directory it ends in to
 * `$KEYRING_INJECT_CWD_FILE` (taken out of the environment first, so the command never sees it).
 */
function withCwdReport(command: string): string {
  return `__ki_cwd=$${CWD_FILE_VAR}; unset ${CWD_FILE_VAR}; trap 'pwd -P >| "$__ki_cwd" 2>/dev/null' EXIT\n${command}`;
}

/** The shell the Bash tool uses: the user's bash or zsh, else bash, else sh. */
export function shellFor(env: NodeJS.ProcessEnv): string {
  const s = env.SHELL;
  if (s && /^(bash|zsh)$/.test(basename(s)) && existsSync(s)) return s;
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

export type OutputPlan = { masker: Masker; extra?: (text: string) => string } | { withhold: string };

/** `plan`, never rejected: a plan that cannot be made withholds the output (fail closed). */
export function settledPlan(plan: Promise<OutputPlan>): Promise<OutputPlan> {
  return plan.catch((err: unknown): OutputPlan => ({ withhold: `[keyring-inject: output withheld: could not tell which values to hide (${err instanceof Error ? err.message : String(err)})]` }));
}

/**
 * Run `command` in a child shell, its output masked; resolves with our exit code (or raises its
 * signal). The command starts at once; what it prints before `plan` (the keyring read) is ready
 * is held, then masked like the rest.
 */
export function runMasked(command: string, plan: Promise<OutputPlan>, env: NodeJS.ProcessEnv = process.env, cwdFile = ''): Promise<number> {
  return new Promise((resolvePromise) => {
    // In our process group, not a group of its own: Claude Code ends a Bash call by signalling the
    // group (SIGTERM, then SIGKILL), which must reach everything the command started even when we
    // are killed first. A signal to us alone goes on to the shell.
    const script = cwdFile === '' ? command : withCwdReport(command);
    const childEnv = cwdFile === '' ? env : { ...env, [CWD_FILE_VAR]: cwdFile };
    const child = spawn(shellFor(env), ['-c', script], { stdio: ['inherit', 'pipe', 'pipe'], env: childEnv });
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const forward = (s: NodeJS.Signals) => child.kill(s);
    const handlers = signals.map((s) => [s, () => forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    let open = 2;
    let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let withhold: string | undefined;
    const finish = () => {
      if (open > 0 || !status) return;
      for (const [s, h] of handlers) process.off(s, h);
      if (withhold) process.stderr.write(`${withhold}\n`);
      const { code, signal } = status;
      if (signal) {
        // Die of the same signal, as the shell would report it; exit 128+n if something catches it.
        process.kill(process.pid, signal);
        resolvePromise(128 + (osConstants.signals[signal] ?? 15));
      } else resolvePromise(code ?? 1);
    };
    const ready = settledPlan(plan);
    void ready.then((p) => {
      if ('withhold' in p) withhold = p.withhold;
    });
    // What both streams print before the plan is ready, in the order it came: stdout and stderr
    // often go to one file, and their interleaving is kept.
    const early: { push: (text: string) => void; text: string }[] = [];
    let planned = false;
    const pipe = (from: NodeJS.ReadableStream, to: NodeJS.WriteStream) => {
      const decoder = new StringDecoder('utf8');
      let stream: StreamMasker | null = null; // null until the plan is ready, or when withheld
      const write = (text: string) => {
        if (text !== '' && !to.write(text)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      };
      const push = (text: string) => {
        if (stream) write(stream.push(text));
      };
      void ready.then((p) => {
        if (!('withhold' in p)) stream = makeStreamMasker(p.masker, p.extra);
      });
      from.on('data', (chunk: Buffer) => {
        const text = decoder.write(chunk);
        if (planned) push(text);
        else early.push({ push, text });
      });
      from.on('end', () => {
        const rest = decoder.end();
        void ready.then(() => {
          push(rest);
          if (stream) write(stream.end());
          open--;
          finish();
        });
      });
    };
    pipe(child.stdout, process.stdout);
    pipe(child.stderr, process.stderr);
    void ready.then(() => {
      planned = true;
      for (const e of early.splice(0)) e.push(e.text);
    });
    child.on('error', (err) => {
      process.stderr.write(`keyring-inject: could not start ${shellFor(env)}: ${err.message}\n`);
      status = { code: 127, signal: null };
      open = 0;
      finish();
    });
    child.on('exit', (code, signal) => {
      status = { code, signal };
      finish();
    });
  });
}
