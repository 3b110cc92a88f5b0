// The stand-in for the Claude Code process in hook tests (driven by hooks.ts; scripts/bench.mjs
// uses it too): it runs hook commands through `/bin/sh -c` (as Claude Code does) with the hook
// JSON on stdin, relays each one's result and stays alive until killed. It can also SIGKILL a
// running hook after a given delay (the hook runs in a process group of its own, so the whole
// `sh` + `node` tree dies at once, and the detached watchdog it may have started does not), and
// it can die itself right after spawning a hook (`dieAfterSpawn`), the way a crashed client
// leaves an orphaned hook behind.
// Protocol: JSON lines on stdin {"id", "cmd", "input", "killAfterMs"?, "dieAfterSpawn"?};
// one JSON line per finished hook on stdout {"id", "code", "signal", "out", "err", "ms", "killed"}.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, cmd, input, killAfterMs, dieAfterSpawn } = JSON.parse(line);
  const t0 = performance.now();
  const sh = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  let killed = false;
  sh.stdout.on('data', (c) => (out += c));
  sh.stderr.on('data', (c) => (err += c));
  sh.stdin.on('error', () => {});
  if (typeof killAfterMs === 'number') {
    setTimeout(() => {
      if (sh.exitCode !== null || sh.signalCode !== null) return;
      killed = true;
      try {
        process.kill(-sh.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, killAfterMs);
  }
  sh.on('close', (code, signal) => {
    process.stdout.write(`${JSON.stringify({ id, code, signal, out, err, ms: performance.now() - t0, killed })}\n`);
  });
  // dieAfterSpawn: die as soon as the hook has its input (SIGKILL: no SessionEnd, no clean-up).
  sh.stdin.end(typeof input === 'string' ? input : JSON.stringify(input), () => {
    if (dieAfterSpawn) process.kill(process.pid, 'SIGKILL');
  });
});
setInterval(() => {}, 1 << 30);
