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

let cp: typeof import('node:child_process') | undefined;
let crypto: typeof import('node:crypto') | undefined;
let net: typeof import('node:net') | undefined;
let http: typeof import('node:http') | undefined;

export function childProcess(): typeof import('node:child_process') {
  cp ??= requireLazily('node:child_process') as typeof import('node:child_process');
  return cp;
}

export function nodeCrypto(): typeof import('node:crypto') {
  crypto ??= requireLazily('node:crypto') as typeof import('node:crypto');
  return crypto;
}

export function nodeNet(): typeof import('node:net') {
  net ??= requireLazily('node:net') as typeof import('node:net');
  return net;
}

export function nodeHttp(): typeof import('node:http') {
  http ??= requireLazily('node:http') as typeof import('node:http');
  return http;
}
