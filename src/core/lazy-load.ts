// Modules loaded on first use instead of at start-up, where a hook may never need them:
// node:child_process (only to start the watchdog and, off Linux, to ask `ps`), node:crypto
// (only to inject or strip a value), node:net and node:http (the guard service), and the native
// keyring binding. Never import(): a hot bundle runs as a vm Script (entries/code-cache.ts), which
// on Node 20 can import() only through an experimental option that a code cache does not keep.
/**
 * require(), also under the test runner (ESM), where we make one. A CommonJS require, not
 * import(): Node's ESM loader first scans a CommonJS module's source for its exports (~7 ms
 * for the keyring binding's loader). node:module only there: loading it costs a bundle ~0.3 ms.
 */
export function requireLazily(id: string): unknown {
  return (typeof require === 'function' ? require : process.getBuiltinModule('node:module').createRequire(import.meta.url))(id);
}

/** A getter that loads module `id` on its first call. */
function lazily<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireLazily(id) as T);
}

export const childProcess = lazily<typeof import('node:child_process')>('node:child_process');
export const nodeCrypto = lazily<typeof import('node:crypto')>('node:crypto');
export const nodeNet = lazily<typeof import('node:net')>('node:net');
export const nodeHttp = lazily<typeof import('node:http')>('node:http');
