// Entry point of the `keyring-inject` binary.
import { processContext } from './cli/context.js';
import { main } from './cli/main.js';

void main(process.argv.slice(2), processContext()).then((code) => {
  process.exitCode = code;
  // Exit explicitly: a keyring call stuck in the thread pool must not keep the process alive.
  setImmediate(() => process.exit(code)).unref();
});
