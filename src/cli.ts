// Entry point of the full CLI (dist/main.js). dist/cli.js, the binary, sends `hook` and
// `guard` to their own smaller bundles (src/entries/) and everything else here.
import { processContext } from './cli/cli-context.js';
import { main } from './cli/main.js';
import { runAsProcess } from './cli/run-command.js';

runAsProcess(processContext(), (ctx) => main(process.argv.slice(2), ctx));
