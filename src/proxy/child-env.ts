// The environment of a command `run` starts with placeholder keys: the proxy in the variables
// every common client reads, our CA bundle (with the system roots) where each runtime looks for
// one, and Node's fetch made to honour the proxy. Pure.
import type { Env } from '../core/paths.js';

/** Where runtimes and tools read a CA bundle from (each replaces its default store). */
export const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'AWS_CA_BUNDLE', 'DENO_CERT'] as const;

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy'] as const;

/** A path as one NODE_OPTIONS word (Node reads double-quoted words with backslash escapes). */
function nodeOptionWord(path: string): string {
  return /^[A-Za-z0-9_./:+-]+$/.test(path) ? path : `"${path.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface ChildEnvInput {
  /** The environment `run` started in (the user's). */
  base: Env;
  /** Variables `run` sets (placeholders among them). */
  keys: Record<string, string>;
  proxyUrl: string;
  /** Our CA bundle (with the system roots); absent when nothing is intercepted. */
  caBundle?: string;
  /** The fetch preload (dist/proxy-preload.js); absent when not built. */
  preload?: string;
}

export function childEnv(i: ChildEnvInput): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(i.base as NodeJS.ProcessEnv), ...i.keys };
  for (const v of PROXY_VARIABLES) env[v] = i.proxyUrl;
  // Every request must reach the proxy, loopback ones too: the user's NO_PROXY is applied by
  // the proxy itself when it chains to the user's own proxy.
  delete env.NO_PROXY;
  delete env.no_proxy;
  if (i.caBundle) for (const v of CA_VARIABLES) env[v] = i.caBundle;
  // Node's own switch (newer Node) and, for the others, our preload: added to NODE_OPTIONS, never replacing it.
  env.NODE_USE_ENV_PROXY = '1';
  if (i.preload) {
    const word = `--require ${nodeOptionWord(i.preload)}`;
    const before = (i.base.NODE_OPTIONS ?? '').trim();
    env.NODE_OPTIONS = before === '' ? word : `${before} ${word}`;
  }
  return env;
}
