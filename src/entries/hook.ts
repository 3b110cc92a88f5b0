// Entry point of dist/hook.js: `keyring-inject hook ...` alone, so that the SessionStart and
// SessionEnd hooks compile and initialise only their own code.
import { hook } from '../cli/commands/hook.js';
import { processContext } from '../cli/cli-context.js';
import { runAsProcess, runCommand } from '../cli/run-command.js';

runAsProcess(processContext(), (ctx) => runCommand(hook, process.argv.slice(3), ctx));
