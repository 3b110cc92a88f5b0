// The keyring, as the guard service reads it: the answer to one `getMany` is kept in memory and
// reused while the registry file is unchanged (every add, rotate and remove rewrites it) and for
// at most MAX_AGE_MS (a value changed in the keyring by another program is seen within that
// time). A failed read is never kept: the next call asks again. Values live only in this
// process's memory, as in a guard hook's; SECURITY.md says why this, and not keyed digests.
import { statSync } from 'node:fs';
import type { SecretBackend } from '../keyring/backend.js';

export const MAX_AGE_MS = 5000;

function stampOf(file: string): string {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return 'absent';
  }
}

export function cachingBackend(open: () => SecretBackend, registryFile: string, now: () => number = Date.now): () => SecretBackend {
  let cached: { names: string; stamp: string; at: number; values: Map<string, string> } | undefined;
  let wrapped: SecretBackend | undefined;
  return () => {
    if (wrapped) return wrapped;
    const inner = open();
    wrapped = {
      id: inner.id,
      label: inner.label,
      get: (name) => inner.get(name),
      set: (name, value) => ((cached = undefined), inner.set(name, value)),
      delete: (name) => ((cached = undefined), inner.delete(name)),
      list: () => inner.list(),
      async getMany(names) {
        const key = JSON.stringify([...names].sort());
        const stamp = stampOf(registryFile);
        const t = now();
        if (cached && cached.names === key && cached.stamp === stamp && t - cached.at < MAX_AGE_MS) return new Map(cached.values);
        cached = undefined;
        const values = await inner.getMany(names);
        cached = { names: key, stamp, at: t, values: new Map(values) };
        return values;
      },
    };
    return wrapped;
  };
}
