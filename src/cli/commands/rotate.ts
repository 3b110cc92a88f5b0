import { checkKeyName } from '../../core/names.js';
import { rotateKey } from '../../ops/rotate-key.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { readSecret } from '../secret-input.js';

export const rotate: Command = {
  name: 'rotate',
  example: 'pass show github/token | keyring-inject rotate github --stdin',
  help: `Usage: keyring-inject rotate NAME [--stdin] [--json]

Replaces the value stored under NAME (hidden prompt, or standard input with --stdin).
While sessions are live, the injected copies in the config are replaced at once; servers
already running keep the old value until they restart (/mcp reconnect).`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { stdin: { type: 'boolean' }, json: { type: 'boolean' } });
    const [rawName] = positionals(p, ['NAME'], 'values are never taken from the command line; use the prompt or --stdin');
    const name = checkKeyName(rawName as string);
    const r = await rotateKey(ctx, { name, readValue: (label) => readSecret(ctx, { fromStdin: bool(p, 'stdin'), label }) });
    const out = output(ctx);
    if (bool(p, 'json')) out.json({ name, rotated: true, rotatedAt: r.rotatedAt ?? null, reinjected: r.reinjected });
    else out.line(`rotated ${name} in the ${r.backendLabel}${r.reinjected ? `; replaced ${r.reinjected} injected copy(ies)` : ''}`);
    return 0;
  },
};
