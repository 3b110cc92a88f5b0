// Modules loaded on first use instead of at start-up, where a hook may never need them:
// node:child_process (only to start the watchdog and, off Linux, to ask `ps`), node:crypto
// (only to inject or strip a value), and the native keyring binding.
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

export function childProcess(): typeof import('node:child_process') {
  cp ??= requireLazily('node:child_process') as typeof import('node:child_process');
  return cp;
}

export function nodeCrypto(): typeof import('node:crypto') {
  crypto ??= requireLazily('node:crypto') as typeof import('node:crypto');
  return crypto;
}
