// Reads and writes the registry file (`<data dir>/registry.json`, 0600) under its own lock.
import { readTextIfExists, withLock, writePrivateFile } from '../core/secure-file.js';
import { emptyRegistry, parseRegistry, type Registry } from './registry.js';

export async function loadRegistry(file: string): Promise<Registry> {
  const text = await readTextIfExists(file);
  if (text === undefined) return emptyRegistry();
  return parseRegistry(text, file);
}

/** Read-modify-write under the registry lock. `change` returns the new registry (or the same object for no write) and a result. */
export async function updateRegistry<T>(file: string, change: (reg: Registry) => Promise<{ registry: Registry; result: T }> | { registry: Registry; result: T }): Promise<T> {
  return withLock(file, async () => {
    const before = await loadRegistry(file);
    const { registry, result } = await change(before);
    if (registry !== before) await writePrivateFile(file, `${JSON.stringify(registry, null, 2)}\n`);
    return result;
  });
}
