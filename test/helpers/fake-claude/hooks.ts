// Drives fake-claude/hooks.mjs, the one stand-in for the Claude Code process that runs hooks:
// each hook command through `/bin/sh -c` with the hook JSON on stdin, as the client does, with an
// optional SIGKILL of the hook after a delay or a death of the stand-in right after the spawn.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLI, shellQuote } from '../spawn-cli.js';
import type { Outputs } from '../leak.js';
import { track } from '../processes.js';

export const STANDIN = fileURLToPath(new URL('./hooks.mjs', import.meta.url));

/** The hook command line as `keyring-inject install` writes it. */
export const HOOK = (event: 'session-start' | 'session-end') => `${shellQuote(process.execPath)} ${shellQuote(CLI)} hook ${event}`;

/** The stdin JSON Claude Code gives a SessionStart / SessionEnd hook. */
export const startInput = (sid: string, source = 'startup') => ({ session_id: sid, transcript_path: `/tmp/${sid}.jsonl`, cwd: '/tmp', hook_event_name: 'SessionStart', source });
export const endInput = (sid: string, reason = 'other') => ({ session_id: sid, transcript_path: `/tmp/${sid}.jsonl`, cwd: '/tmp', hook_event_name: 'SessionEnd', reason });

export interface HookResult {
  id: number;
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
  ms: number;
  killed: boolean;
}

export class StandIn {
  readonly child: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: HookResult) => void>();
  readonly exited: Promise<void>;
  constructor(env: Record<string, string>, outputs?: Outputs) {
    this.child = spawn(process.execPath, [STANDIN], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    track(() => this.kill(), this.exited);
    createInterface({ input: this.child.stdout }).on('line', (l) => {
      const r = JSON.parse(l) as HookResult;
      outputs?.addResult(r);
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
  }
  get pid(): number {
    return this.child.pid as number;
  }
  /** Run a hook. Resolves with its result, or undefined if the stand-in died first. */
  run(event: 'session-start' | 'session-end', input: unknown, opts: { killAfterMs?: number; dieAfterSpawn?: boolean } = {}): Promise<HookResult | undefined> {
    const id = this.nextId++;
    const done = new Promise<HookResult | undefined>((resolve) => {
      this.waiting.set(id, resolve);
      void this.exited.then(() => setTimeout(() => resolve(undefined), 50));
    });
    this.child.stdin.write(`${JSON.stringify({ id, cmd: HOOK(event), input, ...opts })}\n`);
    return done;
  }
  kill(): void {
    try {
      this.child.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}
