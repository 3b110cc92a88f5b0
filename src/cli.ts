// Entry point of the `keyring-inject` binary.
import { main } from './cli/main.js';
import { processContext } from './cli/context.js';

const code = await main(process.argv.slice(2), processContext());
// Exit explicitly: a keyring call stuck in the thread pool must not keep the process alive.
process.exitCode = code;
setImmediate(() => process.exit(code)).unref();
