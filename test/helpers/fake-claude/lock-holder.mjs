// Claude Code's side of the config lock: proper-lockfile, as the client calls it
// (lockSync, explicit lockfilePath, default 10 s stale), held for argv[3] ms, logged like
// children/lock-driver.ts. Prints "locked" once it holds the lock.
import { appendFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';

const [file, log, holdMs] = process.argv.slice(2);
const release = lockfile.lockSync(file, { lockfilePath: `${file}.lock`, realpath: false });
appendFileSync(log, `${process.pid} enter ${performance.timeOrigin + performance.now()}\n`);
process.stdout.write('locked\n');
setTimeout(() => {
  appendFileSync(log, `${process.pid} exit ${performance.timeOrigin + performance.now()}\n`);
  release();
}, Number(holdMs));
