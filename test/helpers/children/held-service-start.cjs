// A --require preload (NODE_OPTIONS) that holds the guard service at its very start, before any
// of its code runs, until the file $KI_TEST_SERVICE_GATE exists; if that file says 'die', the
// service exits there instead. Other processes (the hooks, the CLI) pass straight through.
'use strict';
const fs = require('node:fs');
const gate = process.env.KI_TEST_SERVICE_GATE;
if (gate && process.argv.includes('guard-service')) {
  const until = Date.now() + 30_000;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!fs.existsSync(gate) && Date.now() < until) Atomics.wait(cell, 0, 0, 20);
  if (!fs.existsSync(gate) || fs.readFileSync(gate, 'utf8') === 'die') process.exit(1);
}
