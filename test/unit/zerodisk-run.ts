// What main() does around a command (help, one-line errors, exit codes), for calling a
// command's run() in-process: the CLI's own wrapper, shared with main() and the hook bundles.
export { runCommand } from '../../src/cli/run-command.js';
