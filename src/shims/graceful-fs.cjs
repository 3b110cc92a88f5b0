// Bundled in place of graceful-fs (a dependency of proper-lockfile): it patches the whole fs
// module on load (~5-10 ms of every hook's start-up) to retry EMFILE, which our handful of
// file operations never meet.
module.exports = require('node:fs');
