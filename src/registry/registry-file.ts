// Reads and writes the registry file (`<data dir>/registry.json`, 0600) under its own lock. A
// damaged registry is refused with the parser's error (core/private-store.ts).
import { readPrivateStore, withPrivateStore, type PrivateStore } from '../core/private-store.js';
import { emptyRegistry, parseRegistry, type Registry } from './registry.js';

function registryStore(file: string): PrivateStore<Registry> {
  return { file, parse: (text) => parseRegistry(text, file), empty: emptyRegistry };
}

export async function loadRegistry(file: string): Promise<Registry> {
  return readPrivateStore(registryStore(file));
}

/** Read-modify-write under the registry lock. `change` returns the new registry (or the same object for no write) and a result. */
export async function updateRegistry<T>(file: string, change: (reg: Registry) => Promise<{ registry: Registry; result: T }> | { registry: Registry; result: T }): Promise<T> {
  return withPrivateStore(registryStore(file), async ({ value: before, write }) => {
    const { registry, result } = await change(before);
    if (registry !== before) await write(registry);
    return result;
  });
}
