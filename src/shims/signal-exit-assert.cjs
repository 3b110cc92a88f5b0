// The one use signal-exit 3 (proper-lockfile's) makes of node:assert: checking its argument.
// Node's assert loads its colour support, which builds process.stderr and loads node:net:
// ~4 ms on every hook, for a check that cannot fail here.
'use strict';
module.exports = {
  equal(actual, expected, message) {
    // biome-ignore lint/suspicious/noDoubleEquals: assert.equal compares with ==, and so does its stand-in
    if (actual != expected) throw new TypeError(message);
  },
};
