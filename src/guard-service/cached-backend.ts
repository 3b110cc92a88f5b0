// The keyring, as the guard service reads it: the answer to one `getMany` is kept in memory and
// reused while the registry file is unchanged (every add, rotate and remove rewrites it) and for
// at most MAX_AGE_MS (a value changed in the keyring by another program is seen within that
// time). A failed read is never kept: the next call asks again. Calls that come while a read is
// on its way share it (the warm-up at start and the session's first prompt, parallel hooks). Values live only in this
// process's memory, as in a guard hook's; SECURITY.md says why this, and not keyed digests.
// A service started by a session's hook may be handed that hook's answer (value-handoff.ts):
// the first call waits for it (briefly) and takes it as the cached answer, when the registry
// has not changed since the hook read it. An answer serves any call that asks for names it
// covers.
import { statSync } from 'node:fs';
import type { SecretBackend } from '../keyring/backend.js';

export const MAX_AGE_MS = 5000;

/** A keyring answer handed over by the hook that started the service. */
export interface HandedValues {
  /** The names the hook asked the keyring for (sorted): the values of these and no others are known. */
  names: string[];
  /** The registry file's stamp before that read. */
  stamp: string;
  values: Map<string, string>;
}

/** What changes whenever the registry file is rewritten (every add, rotate and remove). */
export function registryStamp(file: string): string {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return 'absent';
  }
}

/** The part of a kept answer that `names` asks for, or undefined when it does not cover them all. */
function covered(kept: { names: ReadonlySet<string>; values: Map<string, string> }, names: readonly string[]): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const n of names) {
    if (!kept.names.has(n)) return undefined;
    const v = kept.values.get(n);
    if (v !== undefined) out.set(n, v);
  }
  return out;
}

export function cachingBackend(open: () => SecretBackend, registryFile: string, now: () => number = Date.now, handed?: Promise<HandedValues | undefined>): () => SecretBackend {
  let cached: { names: ReadonlySet<string>; stamp: string; at: number; values: Map<string, string> } | undefined;
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
        const h = handed && (await handed);
        handed = undefined;
        const key = JSON.stringify([...names].sort());
        const stamp = registryStamp(registryFile);
        const t = now();
        if (h && h.stamp === stamp) cached = { names: new Set(h.names), stamp, at: t, values: h.values };
        const hit = cached && cached.stamp === stamp && t - cached.at < MAX_AGE_MS ? covered(cached, names) : undefined;
        if (hit) return hit;
        cached = undefined;
        if (pending && pending.names === key && pending.stamp === stamp) return new Map(await pending.read);
        const read = inner.getMany(names);
        const mine = { names: key, stamp, read };
        pending = mine;
        try {
          const values = await read;
          if (pending === mine) cached = { names: new Set(names), stamp, at: t, values: new Map(values) };
          return values;
        } finally {
          if (pending === mine) pending = undefined;
        }
      },
    };
    return wrapped;
  };
}
