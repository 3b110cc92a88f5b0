import { KiError } from '../../core/errors.js';
import { checkKeyName, noKeyNamed } from '../../core/names.js';
import { registryFile } from '../../core/paths.js';
import { withoutKey, wrappedServersOnlyFedBy } from '../../registry/registry.js';
import { shellQuote } from '../../core/shell.js';
import { loadRegistry, updateRegistry } from '../../registry/store.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../context.js';
import { describeServer } from '../../claude/address.js';

export const remove: Command = {
  name: 'remove',
  example: 'keyring-inject remove old-github-token',
  help: `Usage: keyring-inject remove NAME [--json]

Deletes the value from the OS keyring and the key's targets from the registry.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { json: { type: 'boolean' } });
    const [rawName] = positionals(p, ['NAME']);
    const name = checkKeyName(rawName as string);
    const file = registryFile(ctx.paths);
    const before = await loadRegistry(file);
    const registered = before.keys[name] !== undefined;
    const stillWrapped = wrappedServersOnlyFedBy(before, name);
    const backend = ctx.backend();
    // Keyring first: if it is locked we fail before forgetting where the key went.
    const deleted = await backend.delete(name);
    if (!registered && !deleted) throw new KiError('key-not-found', `${noKeyNamed(name)}: see 'keyring-inject list'`);
    await updateRegistry(file, (reg) => ({ registry: reg.keys[name] ? withoutKey(reg, name) : reg, result: undefined }));
    const out = output(ctx);
    // Warned, not undone: the user may add another key for the server next.
    for (const s of stillWrapped) {
      const where = describeServer(s);
      out.warn(
        `${where} is still wrapped and no key is mapped to it any more: it starts without one. 'keyring-inject unwrap ${shellQuote(s.server)}${s.scope === 'local' ? ` --scope local --project ${shellQuote(s.project ?? '')}` : ''}' restores its original entry, or add another key for it`,
      );
    }
    if (bool(p, 'json')) out.json({ name, removed: true, keyringDeleted: deleted, registryDeleted: registered });
    else out.line(`removed ${name}${deleted ? '' : ' (it was not in the keyring)'}`);
    return 0;
  },
};
