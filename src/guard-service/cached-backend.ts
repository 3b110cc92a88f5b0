// The keyring, as the guard service reads it: the answer to one `getMany` is kept in memory and
// reused while the registry file is unchanged (every add, rotate and remove rewrites it) and for
// at most MAX_AGE_MS (a value changed in the keyring by another program is seen within that
// time). A failed read is never kept: the next call asks again. Calls that come while a read is
// on its way share it (the warm-up at start and the session's first prompt, parallel hooks). Values live only in this
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
  let pending: { names: string; stamp: string; read: Promise<Map<string, string>> } | undefined;
  let wrapped: SecretBackend | undefined;
  return () => {
    if (wrapped) return wrapped;
    const inner = open();
    wrapped = {
      id: inner.id,
      label: inner.label,
      get: (name) => inner.get(name),
      set: (name, value) => ((cached = undefined), (pending = undefined), inner.set(name, value)),
      delete: (name) => ((cached = undefined), (pending = undefined), inner.delete(name)),
      list: () => inner.list(),
      async getMany(names) {
        const key = JSON.stringify([...names].sort());
        const stamp = stampOf(registryFile);
        const t = now();
        if (cached && cached.names === key && cached.stamp === stamp && t - cached.at < MAX_AGE_MS) return new Map(cached.values);
        cached = undefined;
        if (pending && pending.names === key && pending.stamp === stamp) return new Map(await pending.read);
        const read = inner.getMany(names);
        const mine = { names: key, stamp, read };
        pending = mine;
        try {
          const values = await read;
          if (pending === mine) cached = { names: key, stamp, at: t, values: new Map(values) };
          return values;
        } finally {
          if (pending === mine) pending = undefined;
        }
      },
    };
    return wrapped;
  };
}
