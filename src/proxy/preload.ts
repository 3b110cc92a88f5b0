// Preloaded (NODE_OPTIONS --require) into the Node processes of a `run` with placeholder keys:
// makes the global fetch honour HTTP(S)_PROXY and NO_PROXY, which Node's fetch does by itself
// only from Node 22.21 / 24.5 on with NODE_USE_ENV_PROXY=1. undici (the library Node's fetch is
// built on) is a bundle of its own, loaded at the first request only: this file stays small,
// so that every Node process of the run starts as fast as without it.
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

function nativeProxySupport(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return process.env.NODE_USE_ENV_PROXY === '1' && (major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21));
}

if (!nativeProxySupport() && (process.env.HTTPS_PROXY || process.env.HTTP_PROXY || process.env.https_proxy || process.env.http_proxy)) {
  type Dispatcher = { dispatch(options: unknown, handler: unknown): boolean; close(...a: unknown[]): unknown; destroy(...a: unknown[]): unknown };
  let agent: Dispatcher | undefined;
  const real = (): Dispatcher => {
    if (agent) return agent;
    // undici marks EnvHttpProxyAgent experimental with a warning on stderr: not the child's output to change.
    const emit = process.emitWarning;
    process.emitWarning = (() => {}) as typeof process.emitWarning;
    try {
      // Beside this file; a non-literal path, so that the bundler leaves undici out of this one.
      const lib = `${__dirname}/undici.js`;
      agent = new (require(lib) as { EnvHttpProxyAgent: new () => Dispatcher }).EnvHttpProxyAgent();
    } finally {
      process.emitWarning = emit;
    }
    return agent;
  };
  (globalThis as Record<symbol, unknown>)[DISPATCHER] = {
    dispatch: (options: unknown, handler: unknown) => real().dispatch(options, handler),
    close: (...a: unknown[]) => real().close(...a),
    destroy: (...a: unknown[]) => real().destroy(...a),
  };
}
