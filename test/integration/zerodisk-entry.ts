// Entry of the test bundle used by spawned-process zero-disk tests until the zero-disk commands
// are registered in src/cli/command-table.ts (see test/unit/zerodisk-helpers.ts). Registered
// commands go through the real main(); ours are dispatched the way main() does it.
import type { Command } from '../../src/cli/command.js';
import { processContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { doctor } from '../../src/cli/commands/doctor.js';
import { exec } from '../../src/cli/commands/exec.js';
import { headers } from '../../src/cli/commands/headers.js';
import { importCommand } from '../../src/cli/commands/import.js';
import { run } from '../../src/cli/commands/run.js';
import { unwrap } from '../../src/cli/commands/unwrap.js';
import { wrap } from '../../src/cli/commands/wrap.js';
import { runCommand } from '../unit/zerodisk-run.js';

const ours: Record<string, Command> = { exec, run, headers, wrap, unwrap, import: importCommand, doctor };
const [name, ...rest] = process.argv.slice(2);
const ctx = processContext();
const cmd = name === undefined ? undefined : ours[name];
void (cmd ? runCommand(cmd, rest, ctx) : main(process.argv.slice(2), ctx)).then((code) => {
  process.exitCode = code;
  setImmediate(() => process.exit(code)).unref();
});
