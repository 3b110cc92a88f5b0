// Bash output masked by the guard service, with no process of ours per call. The PreToolUse
// answer rewrites the call to run the command in the Bash tool's own shell with its stdout and
// stderr sent into named pipes that this service reads, masks and writes on into two more
// pipes, which two `cat`s copy to the shell's real stdout and stderr. What reaches the client
// has passed the masker, as with `guard mask-exec` (the output of a command that fails is masked
// too), but a call costs two `cat`s instead of a Node start-up, and the command keeps the shell
// it was meant for: a `cd`, an `export`, the snapshot's functions and aliases all behave as
// without us.
//
// Per call a directory of five pipes (0600, in our 0700 data directory): `out` and `err` (the
// command writes), `out.m` and `err.m` (the cats read), `fin` (the shell waits on it until both
// cats are done, so that no output comes after the call's end). The cats run in an orphaned
// subshell, not as jobs of the calling shell: a `wait` inside the command must not wait for them.
//
// Fail closed: if this service dies, the command's next write gets SIGPIPE and nothing unmasked
// is let through; a call that finds the service gone does not run and says so. What anyone who
// can open the pipes (the model's own code, as the same user) gains: the masked output of the
// call, and the masker's answer for text it writes itself, which tells no more than guessing
// whole values (the stream masker's hold-back does not depend on the values).
import { closeSync, constants, mkdirSync, openSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { nodeCrypto } from '../core/lazy-load.js';
import { listDir } from '../core/list-dir.js';
import { canMakeFifo, makeFifo } from '../core/make-fifo.js';
import { shQuote } from '../core/shell.js';
import { makeStreamMasker } from '../guards/mask.js';
import { settledPlan, type OutputPlan } from '../guards/masked-exec.js';

export interface PipeHostOptions {
  /** The Bash tool's shell (guards/masked-exec.ts shellFor): the rewrite needs bash or zsh. */
  shell?: string;
  /** A call whose command has not started after this long is given up (a denied call never starts). */
  maxWaitMs?: number;
  /** How long a finished call's pipes stay (the shell and the cats are done with `fin` long before). */
  lingerMs?: number;
}

export interface PipeHost {
  /**
   * The Bash command that runs `command` with its output masked by `plan`, or undefined where
   * this system has no named pipes (the caller then rewrites to `guard mask-exec`).
   */
  rewrite(command: string, plan: Promise<OutputPlan>): string | undefined;
  /** Calls whose pipes are still open or waiting. */
  active(): number;
  /** Every call's pipes closed and removed (the service is stopping). */
  close(): void;
}

const NAMES = ['out', 'err', 'out.m', 'err.m', 'fin'] as const;

/** Open a pipe's write end once its reader has come (polled: no thread waits in open()). */
function whenReaderCame(file: string, stopped: () => boolean, opened: (sink: Socket) => void): Promise<Socket | undefined> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const attempt = () => {
      if (stopped()) return resolve(undefined);
      try {
        const fd = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
        const sink = new Socket({ fd, readable: false, writable: true });
        opened(sink);
        resolve(sink);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENXIO') return reject(err);
      }
      // Fast while the call is fresh (the client runs it at once), slower while it waits for the user's permission.
      const waited = Date.now() - started;
      setTimeout(attempt, waited < 2000 ? 2 : waited < 10_000 ? 25 : 250);
    };
    attempt();
  });
}

/** Let go of anyone blocked opening `file` (a shell or subshell of a call that ended oddly): open the other end, without blocking, and close it. */
function release(file: string): void {
  for (const flags of [constants.O_RDONLY | constants.O_NONBLOCK, constants.O_WRONLY | constants.O_NONBLOCK]) {
    try {
      closeSync(openSync(file, flags));
    } catch {
      // nobody waiting (ENXIO), or gone
    }
  }
}

/** How long the shell waits, after the command, for the cats to copy the rest (a process the command left running may hold its output open). */
const TAIL_WAIT_S = 5;

/**
 * The shell's side, in words bash and zsh share (the Bash tool's shells; `read -t` and `<>` are
 * not in every sh). Nothing here can block for good: `fin` is opened read-write (the service
 * holds it open too), so the subshell's line is kept until the shell reads it, and neither
 * waits for the other if one of them is gone.
 */
function pipedCommand(command: string, dir: string, servicePid: number): string {
  const p = (name: string) => shQuote(join(dir, name));
  return [
    `if kill -0 ${servicePid} 2>/dev/null && [ -p ${p('fin')} ]; then`,
    `( (cat -- ${p('out.m')} & cat -- ${p('err.m')} >&2 & wait; echo done 1<>${p('fin')}) & )`,
    `{ eval ${shQuote(command)}`,
    `} >${p('out')} 2>${p('err')}`,
    '__ki_status=$?',
    `read -r -t ${TAIL_WAIT_S} __ki_done <>${p('fin')}`,
    'unset __ki_done',
    '(exit $__ki_status)',
    'else',
    `printf '%s\\n' ${shQuote("keyring-inject: the guard service that masks this command's output is not running, so the command did not run: run it again (a new session starts the service)")} >&2`,
    '(exit 126)',
    'fi',
  ].join('\n');
}

// The `fin` each call's service holds open (see pipedCommand).
const finFds = new Map<string, number>();

/** Every call's pipes in `dir`, removed, and whoever waits on them let go. */
function removeCall(callDir: string): void {
  for (const name of NAMES) release(join(callDir, name));
  const fin = finFds.get(callDir);
  if (fin !== undefined) closeSync(fin);
  finFds.delete(callDir);
  rmSync(callDir, { recursive: true, force: true });
}

/** Host masked pipes in `dir`. What a killed service left there is removed now. */
export function pipeHost(dir: string, opts: PipeHostOptions = {}): PipeHost {
  const maxWaitMs = opts.maxWaitMs ?? 30 * 60_000;
  const lingerMs = opts.lingerMs ?? 30_000;
  const calls = new Map<string, () => void>();
  for (const name of listDir(dir)) removeCall(join(dir, name));
  let made = false;

  function host(callDir: string, plan: Promise<OutputPlan>): void {
    const id = callDir;
    let stopped = false;
    const sources: Socket[] = [];
    const sinks: Socket[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const s of [...sources, ...sinks]) s.destroy();
      calls.delete(id);
      // The shell and the subshell meet on `fin` right after the cats end: remove it later.
      const later = setTimeout(() => removeCall(callDir), lingerMs);
      later.unref();
    };
    const open = (name: 'out' | 'err') => {
      const fd = openSync(join(callDir, name), constants.O_RDONLY | constants.O_NONBLOCK);
      const source = new Socket({ fd, readable: true, writable: false });
      source.on('error', finish);
      source.pause();
      sources.push(source);
      return source;
    };
    // Held open read-write until the call's pipes go: the subshell's "done" waits in it for the shell.
    finFds.set(callDir, openSync(join(callDir, 'fin'), constants.O_RDWR | constants.O_NONBLOCK));
    let out: Socket;
    let err: Socket;
    try {
      out = open('out');
      err = open('err');
    } catch (e) {
      for (const s of sources) s.destroy();
      throw e;
    }
    calls.set(id, () => {
      finish();
      removeCall(callDir);
    });
    // A cat killed or a pipe closed: the command's next write fails, nothing goes out unmasked.
    const opened = (sink: Socket) => {
      sink.on('error', finish);
      sinks.push(sink);
    };
    const sinkOut = whenReaderCame(join(callDir, 'out.m'), () => stopped, opened);
    const sinkErr = whenReaderCame(join(callDir, 'err.m'), () => stopped, opened);
    // Until the cats come the command has not started: a call the user denies never does.
    timer = setTimeout(finish, maxWaitMs);
    timer.unref();
    const started = Promise.all([sinkOut, sinkErr]).then(() => {
      if (timer) clearTimeout(timer);
    });
    const masked = (source: Socket, sink: Promise<Socket | undefined>, stderr: boolean) => pump(source, sink, plan, stderr, () => stopped).catch(finish);
    void Promise.all([masked(out, sinkOut, false), masked(err, sinkErr, true), started]).then(finish, finish);
  }

  return {
    rewrite(command, plan) {
      if (process.platform !== 'linux' || !/(^|\/)(bash|zsh)$/.test(opts.shell ?? 'bash') || !canMakeFifo()) return undefined;
      if (!made) mkdirSync(dir, { recursive: true, mode: 0o700 });
      made = true;
      const callDir = join(dir, nodeCrypto().randomBytes(12).toString('hex'));
      mkdirSync(callDir, { mode: 0o700 });
      try {
        for (const name of NAMES) makeFifo(join(callDir, name), 0o600);
        host(callDir, plan);
      } catch (err) {
        // No pipes, too many open files: the caller runs the call under mask-exec instead.
        removeCall(callDir);
        throw err;
      }
      return pipedCommand(command, callDir, process.pid);
    },
    active: () => calls.size,
    close() {
      for (const stop of [...calls.values()]) stop();
      for (const name of listDir(dir)) removeCall(join(dir, name));
    },
  };
}

/** Copy `source` to `sink`, masked; the stderr side carries the note when the output is withheld. */
async function pump(source: Socket, sinkOpen: Promise<Socket | undefined>, planned: Promise<OutputPlan>, stderr: boolean, stopped: () => boolean): Promise<void> {
  const plan = await settledPlan(planned);
  const sink = await sinkOpen;
  if (!sink || stopped()) return;
  const stream = 'withhold' in plan ? undefined : makeStreamMasker(plan.masker, plan.extra);
  const decoder = new StringDecoder('utf8');
  const write = async (text: string) => {
    if (text !== '' && !sink.write(text)) await once(sink, 'drain');
  };
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (stream) await write(stream.push(decoder.write(chunk)));
  }
  const rest = stream ? stream.push(decoder.end()) + stream.end() : stderr && 'withhold' in plan ? `${plan.withhold}\n` : '';
  sink.end(rest);
  await once(sink, 'finish');
}
