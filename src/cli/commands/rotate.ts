import { KiError } from '../../core/errors.js';
import { checkKeyName, noKeyNamed } from '../../core/names.js';
import { registryFile } from '../../core/paths.js';
import { refreshInjected } from '../../engine/engine.js';
import { withRotated } from '../../registry/registry.js';
import { loadRegistry, updateRegistry } from '../../registry/store.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { engineContext } from '../../ops/context.js';
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
    const file = registryFile(ctx.paths);
    const record = (await loadRegistry(file)).keys[name];
    if (!record) throw new KiError('key-not-found', `${noKeyNamed(name)}: see 'keyring-inject list', or add it with 'keyring-inject add'`);
    if (record.source && record.source.source !== 'keyring') {
      throw new KiError('key-external', `${name} is read from ${record.source.source}, not the keyring: rotate it there; keyring-inject reads the new value at the next session start`);
    }
    const value = await readSecret(ctx, { fromStdin: bool(p, 'stdin'), label: `New value for ${name} (input hidden)` });
    const backend = ctx.backend();
    await backend.set(name, value);
    const rotatedAt = await updateRegistry(file, (reg) => {
      const registry = withRotated(reg, name, ctx.now());
      return { registry, result: registry.keys[name]?.rotatedAt };
    });
    const targets = (await loadRegistry(file)).keys[name]?.targets ?? [];
    const refreshed = await refreshInjected(
      engineContext(ctx),
      targets.map((target) => ({ key: name, target, value })),
    );
    const out = output(ctx);
    if (bool(p, 'json')) out.json({ name, rotated: true, rotatedAt: rotatedAt ?? null, reinjected: refreshed.injected.length });
    else out.line(`rotated ${name} in the ${backend.label}${refreshed.injected.length ? `; replaced ${refreshed.injected.length} injected copy(ies)` : ''}`);
    return 0;
  },
};
