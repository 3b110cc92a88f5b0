// Stands in for the Claude Code process in hook tests: runs a hook command through /bin/sh -c
// (as Claude Code does) with the hook JSON on stdin, relays its output, then stays alive until
// killed or sent "end" commands on stdin.
// Usage: node fake-claude.mjs  (reads JSON lines on stdin: {"cmd": "...", "input": {...}})
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const { cmd, input } = JSON.parse(line);
  const sh = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  sh.stdout.on('data', (c) => (out += c));
  sh.stderr.on('data', (c) => (err += c));
  sh.on('close', (code) => process.stdout.write(`${JSON.stringify({ code, out, err })}\n`));
  sh.stdin.end(typeof input === 'string' ? input : JSON.stringify(input));
});
setInterval(() => {}, 1 << 30);
