// A process that takes our file lock (core/file-lock.ts) `rounds` times and logs when it holds
// it, for file-lock.test.ts: bundled with esbuild and run as a real process.
import { appendFileSync } from 'node:fs';
import { withFileLock } from '../../../src/core/file-lock.js';

interface Job {
  file: string;
  log: string;
  rounds: number;
  holdMs: number;
  waitMs: number;
  /** Start at this epoch ms, so that all racers start together. */
  startAt: number;
}

const job = JSON.parse(process.argv[2] as string) as Job;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await sleep(Math.max(0, job.startAt - Date.now()));
for (let i = 0; i < job.rounds; i++) {
  await withFileLock(job.file, { waitMs: job.waitMs, pollMs: 5, busy: 'busy' }, async () => {
    appendFileSync(job.log, `${process.pid} enter ${performance.timeOrigin + performance.now()}\n`);
    await sleep(job.holdMs);
    appendFileSync(job.log, `${process.pid} exit ${performance.timeOrigin + performance.now()}\n`);
  });
}
