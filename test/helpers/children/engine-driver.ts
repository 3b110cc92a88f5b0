// The engine as a killable process: bundled by esbuild at test time (torture.ts bundleDriver) from
// the same src/ the CLI is built from, so a test can SIGKILL it a few milliseconds into an
// operation without the ~100 ms of CLI start-up and keyring reads in front of it.
// Protocol (stdin, so values never appear in argv):
//   line 1: {"op": "start"|"end"|"sweep"|"strip", "known": KnownValue[], "who"?: ProcessId}
//   the driver prints "ready", then waits for a line "go", runs the operation and prints
//   "done <ms>" (no value ever: only timings).
// start: startSession for `who` (default: this process, which is dead once killed);
// end: endSession(who); sweep: sweepDead (the watchdog's work); strip: what `cleanup` does.
import { createInterface } from 'node:readline';
import { claudePaths } from '../../../src/core/paths.js';
import { endSession, startSession, stripAllLocked, sweepDead, type EngineContext } from '../../../src/engine/engine.js';
import { identify, type ProcessId } from '../../../src/core/process-info.js';
import type { KnownValue } from '../../../src/engine/config-copies.js';
import { sessionAlive, withState } from '../../../src/engine/state.js';

interface Job {
  op: 'start' | 'end' | 'sweep' | 'strip';
  known: KnownValue[];
  who?: ProcessId;
}

const ctx: EngineContext = { paths: claudePaths(process.env), now: () => new Date() };
let job: Job | undefined;

async function run(j: Job): Promise<void> {
  const who = j.who ?? identify(process.pid);
  if (!who) throw new Error('cannot identify this process');
  if (j.op === 'start') await startSession(ctx, { ...who, sessionId: `drv-${process.pid}` }, j.known);
  else if (j.op === 'end') await endSession(ctx, who);
  else if (j.op === 'sweep') await sweepDead(ctx);
  else {
    // What `keyring-inject cleanup` does, under the state lock.
    await withState(ctx.paths, async (state) => {
      await stripAllLocked(ctx, state, j.known, false);
      state.sessions = state.sessions.filter(sessionAlive);
    });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!job) {
    job = JSON.parse(line) as Job;
    process.stdout.write('ready\n');
    return;
  }
  if (line !== 'go') return;
  const t0 = performance.now();
  run(job).then(
    () => {
      process.stdout.write(`done ${(performance.now() - t0).toFixed(2)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      // The message only: engine errors name files and keys, never values.
      process.stdout.write(`error ${String((err as Error).message).replace(/\s+/g, ' ')}\n`);
      process.exit(1);
    },
  );
});
