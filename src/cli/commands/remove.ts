import { checkKeyName } from '../../core/names.js';
import { shellQuote } from '../../core/shell.js';
import { removeKey } from '../../ops/remove-key.js';
import { bool, parseArgs, positionals } from '../args.js';
import type { Command } from '../command.js';
import { output } from '../cli-context.js';
import { describeServer } from '../../claude/address.js';

export const remove: Command = {
  name: 'remove',
  example: 'keyring-inject remove old-github-token',
  help: `Usage: keyring-inject remove NAME [--json]

Deletes the value from the OS keyring and the key's targets from the registry.`,

  async run(argv, ctx) {
    const p = parseArgs(argv, { json: { type: 'boolean' } });
    const [rawName] = positionals(p, ['NAME']);
    const r = await removeKey(ctx, { name: checkKeyName(rawName as string) });
    const out = output(ctx);
    // Warned, not undone: the user may add another key for the server next.
    for (const s of r.stillWrapped) {
      const where = describeServer(s);
      out.warn(
        `${where} is still wrapped and no key is mapped to it any more: it starts without one. 'keyring-inject unwrap ${shellQuote(s.server)}${s.scope === 'local' ? ` --scope local --project ${shellQuote(s.project ?? '')}` : ''}' restores its original entry, or add another key for it`,
      );
    }
    if (bool(p, 'json')) out.json({ name: r.name, removed: true, keyringDeleted: r.keyringDeleted, registryDeleted: r.registryDeleted });
    else out.line(`removed ${r.name}${r.keyringDeleted ? '' : ' (it was not in the keyring)'}`);
    return 0;
  },
};
