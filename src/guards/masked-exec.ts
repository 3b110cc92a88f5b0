// Masking at the source for Bash: a failed Bash call never reaches PostToolUse, and the only
// thing a PostToolUseFailure hook may add is context (Claude Code 2.1.332 checks its output
// against {hookEventName, additionalContext}): nothing can replace what the model sees. So
// PreToolUse rewrites the call to run under `keyring-inject guard mask-exec`, which runs the
// original command in a child shell and lets its stdout and stderr through masked, as they come.
//
// Kept: the exit status (a signal is raised again on ourselves), stdin (inherited), streaming
// (a chunk goes out at once, except a tail that could still start a value), the timing. Not kept:
// shell state that outlives the command (a `cd` or `export` inside it does not carry over to the
// next Bash call; functions and aliases of the client's shell snapshot are not defined).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { shQuote } from '../core/shell.js';
import { makeStreamMasker, type Masker, type StreamMasker } from './mask.js';

/** The subcommand of `guard` that runs a command with masked output. */
export const MASK_EXEC = 'mask-exec';

/** The Bash command that runs `command` under our masking: `'NODE' 'CLI' guard mask-exec -- 'COMMAND'`. */
export function maskedBashCommand(command: string, node: string, cli: string): string {
  return `${shQuote(node)} ${shQuote(cli)} guard ${MASK_EXEC} -- ${shQuote(command)}`;
}

/** The shell the Bash tool uses: the user's bash or zsh, else bash, else sh. */
export function shellFor(env: NodeJS.ProcessEnv): string {
  const s = env.SHELL;
  if (s && /^(bash|zsh)$/.test(basename(s)) && existsSync(s)) return s;
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

export type OutputPlan = { masker: Masker; extra?: (text: string) => string } | { withhold: string };

/**
 * Run `command` in a child shell, its output masked; resolves with our exit code (or raises its
 * signal). The command starts at once; what it prints before `plan` (the keyring read) is ready
 * is held, then masked like the rest.
 */
export function runMasked(command: string, plan: Promise<OutputPlan>, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolvePromise) => {
    // In our process group, not a group of its own: Claude Code ends a Bash call by signalling the
    // group (SIGTERM, then SIGKILL), which must reach everything the command started even when we
    // are killed first. A signal to us alone goes on to the shell.
    const child = spawn(shellFor(env), ['-c', command], { stdio: ['inherit', 'pipe', 'pipe'], env });
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
    // Never a rejection: a plan that cannot be made withholds the output (fail closed).
    const ready = plan.then(
      (p): OutputPlan => p,
      (err: unknown): OutputPlan => ({ withhold: `[keyring-inject: output withheld: could not tell which values to hide (${err instanceof Error ? err.message : String(err)})]` }),
    );
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
