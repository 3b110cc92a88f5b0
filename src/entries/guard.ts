// Entry point of dist/guard.js: `keyring-inject guard ...` alone; it runs on every prompt and
// tool call.
import { guard } from '../cli/commands/guard.js';
import { processContext } from '../cli/cli-context.js';
import { runAsProcess, runCommand } from '../cli/run-command.js';

runAsProcess(processContext(), (ctx) => runCommand(guard, process.argv.slice(3), ctx));
