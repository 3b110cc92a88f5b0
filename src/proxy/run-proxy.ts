// `run` with placeholder keys: the child gets a placeholder per key, a loopback proxy of its own
// puts the values into requests to each key's hosts. Everything lives in the `run` process and
// ends with it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import type { Env } from '../core/paths.js';
import { writePrivateFile } from '../core/secure-file.js';
import type { SecretBackend } from '../keyring/backend.js';
import { bundleId, leafInterceptor, loadOrCreateCa } from './ca.js';
import { childEnv } from './child-env.js';
import { makePlaceholder } from './rewrite.js';
import { startProxy, type Interceptor, type ProxyKey, type Substitution } from './proxy-server.js';
import { upstreamFromEnv } from './upstream.js';

export interface PlaceholderRunInput {
  /** The environment `run` started in. */
  base: Env;
  /** Our data directory (the user's upstream CA file). */
  dataDir: string;
  /** What `run` would set: variable -> value. */
  values: Record<string, string>;
  /** variable -> key name, for the variables of placeholder keys only. */
  placeholderVars: Record<string, string>;
  /** key name -> its hosts. */
  hosts: Record<string, readonly string[]>;
  preload?: string;
  /** TLS interception and the CA bundle the child trusts; absent: plain HTTP only. */
  tls?: { interceptor: Interceptor; caBundle: string };
  onSubstitute?: (s: Substitution) => void;
}

export interface PlaceholderRun {
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** Where the system keeps its CA bundle (Debian/Ubuntu, Fedora/RHEL, Alpine/macOS). */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

function readIf(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The CA of the user's TLS-inspecting proxy, if they put one here: upstream TLS trusts it too. */
export function upstreamCaFile(dataDir: string): string {
  return join(dataDir, 'proxy', 'upstream-ca.pem');
}

/**
 * The roots upstream TLS (where the value travels) trusts: Node's, the system's, and the
 * user's file in our data directory. Never a CA the environment names (NODE_EXTRA_CA_CERTS):
 * a repository's .mcp.json or settings env sets that, with HTTPS_PROXY, for a proxy of its own.
 */
export function upstreamRoots(dataDir?: string): string[] {
  const system = SYSTEM_BUNDLES.map((f) => readIf(f)).find((t) => t !== undefined);
  const extra = dataDir === undefined ? undefined : readIf(upstreamCaFile(dataDir));
  return [...rootCertificates, ...(system ? [system] : []), ...(extra ? [extra] : [])];
}

/**
 * HTTPS interception for a run: the local CA (from the keyring, created at first use), its leaf
 * certificates, and the bundle the child trusts: the system roots, the NODE_EXTRA_CA_CERTS and
 * SSL_CERT_FILE of `base` (a corporate proxy's CA keeps working for tunnelled hosts) and our CA.
 * The bundle holds certificates only (public), in our data directory, named by its content.
 */
export async function interceptionFor(backend: SecretBackend, dataDir: string, base: Env, now: () => Date): Promise<{ interceptor: Interceptor; caBundle: string }> {
  const ca = await loadOrCreateCa(backend, now());
  const system = SYSTEM_BUNDLES.map((f) => readIf(f)).find((t) => t !== undefined) ?? rootCertificates.join('\n');
  const parts = [system, readIf(base.NODE_EXTRA_CA_CERTS), base.SSL_CERT_FILE !== base.NODE_EXTRA_CA_CERTS ? readIf(base.SSL_CERT_FILE) : undefined, ca.certPem];
  const pem = `${parts
    .filter((p): p is string => p !== undefined)
    .map((p) => p.trim())
    .join('\n')}\n`;
  const file = join(dataDir, 'proxy', `ca-bundle-${bundleId(pem)}.pem`);
  if (readIf(file) !== pem) await writePrivateFile(file, pem, false);
  return { interceptor: leafInterceptor(ca, now), caBundle: file };
}

export async function startPlaceholderRun(i: PlaceholderRunInput): Promise<PlaceholderRun> {
  const placeholders = new Map<string, string>();
  const keys: ProxyKey[] = [];
  const vars: Record<string, string> = { ...i.values };
  for (const [variable, key] of Object.entries(i.placeholderVars)) {
    const value = i.values[variable];
    if (value === undefined) continue;
    let ph = placeholders.get(key);
    if (ph === undefined) {
      ph = makePlaceholder();
      placeholders.set(key, ph);
      keys.push({ name: key, value, placeholder: ph, hosts: i.hosts[key] ?? [] });
    }
    vars[variable] = ph;
  }
  const proxy = await startProxy({
    keys,
    token: randomBytes(24).toString('hex'),
    upstream: upstreamFromEnv(i.base, upstreamRoots(i.dataDir)),
    ...(i.tls ? { intercept: i.tls.interceptor } : {}),
    ...(i.onSubstitute ? { onSubstitute: i.onSubstitute } : {}),
  });
  const env = childEnv({ base: i.base, keys: vars, proxyUrl: proxy.url, ...(i.tls ? { caBundle: i.tls.caBundle } : {}), ...(i.preload ? { preload: i.preload } : {}) });
  return { env, close: () => proxy.close() };
}
