import { KiError } from '../../core/errors.js';
import { checkKeyName } from '../../core/names.js';
import { registryFile } from '../../core/paths.js';
import { withRotated } from '../../registry/registry.js';
import { loadRegistry, updateRegistry } from '../../registry/store.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { readSecret } from '../secret-input.js';

export const rotate: Command = {
  name: 'rotate',
  summary: 'replace the value of a stored key',
  help: `Usage: keyring-inject rotate NAME [--stdin] [--json]

Replaces the value stored under NAME (hidden prompt, or standard input with --stdin).
Copies injected into a running session's config are replaced at the next session start;
servers already running keep the old value until they restart.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { stdin: { type: 'boolean' }, json: { type: 'boolean' } });
    const [rawName] = positionals(p, ['NAME'], 'values are never taken from the command line; use the prompt or --stdin');
    const name = checkKeyName(rawName as string);
    const file = registryFile(ctx.paths);
    if (!(await loadRegistry(file)).keys[name]) throw new KiError(`no key named ${name}: see 'keyring-inject list', or add it with 'keyring-inject add'`);
    const value = await readSecret(ctx, { fromStdin: bool(p, 'stdin'), label: `New value for ${name} (input hidden)` });
    const backend = ctx.backend();
    await backend.set(name, value);
    const rotatedAt = await updateRegistry(file, (reg) => {
      const registry = withRotated(reg, name, ctx.now());
      return { registry, result: registry.keys[name]?.rotatedAt };
    });
    const out = output(ctx);
    if (bool(p, 'json')) out.json({ name, rotated: true, rotatedAt: rotatedAt ?? null });
    else out.line(`rotated ${name} in the ${backend.label}`);
    return 0;
  },
};
