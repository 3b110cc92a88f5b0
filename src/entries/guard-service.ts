// Entry point of dist/guard-service.js: `keyring-inject guard-service` alone (a long-lived
// process; its own bundle keeps node:http and the server out of the hooks').
import { guardService } from '../cli/commands/guard-service.js';
import { processContext } from '../cli/cli-context.js';
import { runAsProcess, runCommand } from '../cli/run-command.js';

runAsProcess(processContext(), (ctx) => runCommand(guardService, process.argv.slice(3), ctx));
