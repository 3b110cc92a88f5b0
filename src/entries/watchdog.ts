// Entry point of dist/watchdog.js: `keyring-inject watchdog` alone. A session start with keys
// starts one beside Claude Code's own start-up (and the guard service's), so it compiles only its
// own code, from its code cache, not the whole CLI's.
import { watchdog } from '../cli/commands/watchdog.js';
import { processContext } from '../cli/cli-context.js';
import { runAsProcess, runCommand } from '../cli/run-command.js';

runAsProcess(processContext(), (ctx) => runCommand(watchdog, process.argv.slice(3), ctx));
