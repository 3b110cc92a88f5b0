// The values of the registry's keyring keys, for commands that must refuse an argument holding
// one (add writes its arguments into the registry). One keyring round trip; memory only. A
// keyring that cannot be read gives nothing: the key-shape check in parseArgs still applies,
// and the command reports the keyring itself if it needs it.
import { registryFile } from '../core/paths.js';
import type { NamedValue } from '../guards/mask.js';
import { loadRegistry } from '../registry/registry-file.js';
import { requestFor } from '../sources/resolver.js';
import type { OpsContext } from './ops-context.js';

export async function storedKeyringValues(ctx: Pick<OpsContext, 'paths' | 'backend'>): Promise<NamedValue[]> {
  try {
    const reg = await loadRegistry(registryFile(ctx.paths));
    const ids = new Map<string, string>();
    for (const [name, rec] of Object.entries(reg.keys)) {
      const { ref } = requestFor(name, rec.source);
      if (ref.source === 'keyring') ids.set(ref.id, name);
    }
    if (ids.size === 0) return [];
    const got = await ctx.backend().getMany([...ids.keys()]);
    return [...got].map(([id, value]) => ({ name: ids.get(id) as string, value }));
  } catch {
    return [];
  }
}
