// Forget a key: its value in the keyring and its targets in the registry.
import type { ServerAddress } from '../claude/address.js';
import { KiError } from '../core/errors.js';
import { noKeyNamed } from '../core/names.js';
import { registryFile } from '../core/paths.js';
import { withoutKey, wrappedServersOnlyFedBy } from '../registry/registry.js';
import { loadRegistry, updateRegistry } from '../registry/registry-file.js';
import type { OpsContext } from './ops-context.js';

export interface RemoveKeyReport {
  name: string;
  keyringDeleted: boolean;
  registryDeleted: boolean;
  /** Wrapped servers no key feeds any more: they start without one (left wrapped: the user may add another key next). */
  stillWrapped: ServerAddress[];
}

export async function removeKey(ctx: Pick<OpsContext, 'paths' | 'backend'>, req: { name: string }): Promise<RemoveKeyReport> {
  const { name } = req;
  const file = registryFile(ctx.paths);
  const before = await loadRegistry(file);
  const registered = before.keys[name] !== undefined;
  const stillWrapped = wrappedServersOnlyFedBy(before, name);
  // Keyring first: if it is locked we fail before forgetting where the key went.
  const deleted = await ctx.backend().delete(name);
  if (!registered && !deleted) throw new KiError('key-not-found', `${noKeyNamed(name)}: see 'keyring-inject list'`);
  await updateRegistry(file, (reg) => ({ registry: reg.keys[name] ? withoutKey(reg, name) : reg, result: undefined }));
  return { name, keyringDeleted: deleted, registryDeleted: registered, stillWrapped };
}
