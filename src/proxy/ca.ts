// The local CA that lets `run`'s proxy read HTTPS to a placeholder key's hosts. Created at first
// use; its private key lives in the OS keyring (one item, under a name no key or project entry
// can take), never in a file. Only the children of `run` trust it (through the CA variables of
// their environment): it is never added to the system's store. Leaf certificates are made per
// host, on demand, valid for a day, and cached for the run.
//
// X.509 with @peculiar/x509 over Node's WebCrypto (ECDSA P-256): a maintained library that
// builds certificates from typed objects, instead of hand-written ASN.1 (see docs/placeholder-keys.md).
import { createHash, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KiError } from '../core/errors.js';
import { requireLazily } from '../core/lazy-load.js';
import type { SecretBackend } from '../keyring/backend.js';
import type { Interceptor } from './proxy-server.js';

/** The keyring item of the CA. ':' is in no key name nor project id: nothing else can read it. */
export const CA_ITEM = 'keyring-inject:proxy-ca';
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_YEARS = 5;
const LEAF_HOURS = 24;

type X509 = typeof import('./x509-lib.js');
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
let lib: X509 | undefined;

/** The X.509 library, loaded on first use: its own bundle beside ours, or (under the test runner) the source. */
async function x509(): Promise<X509> {
  if (!lib) {
    const bundled = typeof __dirname === 'string' ? join(__dirname, 'x509.js') : undefined;
    // A non-literal specifier: the bundler leaves it out of main.js.
    const source = './x509-lib.js';
    lib = bundled && existsSync(bundled) ? (requireLazily(bundled) as X509) : ((await import(source)) as X509);
    lib.cryptoProvider.set(webcrypto as unknown as Parameters<X509['cryptoProvider']['set']>[0]);
  }
  return lib;
}

export interface LocalCa {
  certPem: string;
  privateKey: CryptoKey;
}

interface StoredCa {
  cert: string;
  /** PKCS#8, base64. */
  key: string;
}

function serial(): string {
  // Positive (first bit clear), 16 bytes.
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f;
  return b.toString('hex');
}

async function createCa(now: Date): Promise<{ stored: StoredCa; ca: LocalCa }> {
  const x = await x509();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const name = `CN=keyring-inject local proxy CA ${randomBytes(4).toString('hex')}, O=keyring-inject`;
  const cert = await x.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + CA_YEARS * 365 * 86400_000),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x.BasicConstraintsExtension(true, 0, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign, true),
      await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return { stored: { cert: cert.toString('pem'), key: pkcs8 }, ca: { certPem: cert.toString('pem'), privateKey: keys.privateKey } };
}

/** A stored CA, checked with Node's own X.509 parser (the library loads only when a leaf is made). */
async function fromStored(s: StoredCa, now: Date): Promise<LocalCa | undefined> {
  try {
    const cert = new NodeX509(s.cert);
    if (!cert.ca || new Date(cert.validTo).getTime() < now.getTime() + 7 * 86400_000) return undefined; // renew a week ahead
    const privateKey = await webcrypto.subtle.importKey('pkcs8', Buffer.from(s.key, 'base64'), ALG, false, ['sign']);
    return { certPem: s.cert, privateKey };
  } catch {
    return undefined;
  }
}

/** The CA from the keyring, created (and stored) at first use or when it is about to expire. */
export async function loadOrCreateCa(backend: SecretBackend, now: Date): Promise<LocalCa> {
  const text = await backend.get(CA_ITEM);
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const p = parsed as Partial<StoredCa> | undefined;
    if (p && typeof p.cert === 'string' && typeof p.key === 'string') {
      const ca = await fromStored(p as StoredCa, now);
      if (ca) return ca;
    }
  }
  const made = await createCa(now);
  await backend.set(CA_ITEM, JSON.stringify(made.stored));
  // Read back: two runs creating at once must use the same CA as the one that stayed stored.
  const back = await backend.get(CA_ITEM);
  if (back !== JSON.stringify(made.stored)) {
    const other = back ? await fromStored(JSON.parse(back) as StoredCa, now).catch(() => undefined) : undefined;
    if (!other) throw new KiError('keyring-unavailable', `the proxy CA could not be kept in the ${backend.label}: check that it is unlocked and writable`);
    return other;
  }
  return made.ca;
}

/** Leaf certificates per host, made on demand and cached for the run; one key pair for all of them. */
export function leafInterceptor(ca: LocalCa, now: () => Date): Interceptor {
  const cache = new Map<string, Promise<SecureContext>>();
  let leafKeys: Promise<CryptoKeyPair> | undefined;
  let issuer: string | undefined;
  const make = async (host: string): Promise<SecureContext> => {
    const x = await x509();
    issuer ??= new x.X509Certificate(ca.certPem).subject;
    leafKeys ??= webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
    const keys = await leafKeys;
    const t = now();
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    const cert = await x.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${isIP(bare) ? bare : host}`,
      issuer,
      notBefore: new Date(t.getTime() - 3600_000),
      notAfter: new Date(t.getTime() + LEAF_HOURS * 3600_000),
      signingKey: ca.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALG,
      extensions: [
        new x.SubjectAlternativeNameExtension([isIP(bare) ? { type: 'ip', value: bare } : { type: 'dns', value: host }]),
        new x.BasicConstraintsExtension(false, undefined, true),
        new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature, true),
        new x.ExtendedKeyUsageExtension([x.ExtendedKeyUsage.serverAuth]),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`;
    return createSecureContext({ key: keyPem, cert: `${cert.toString('pem')}\n${ca.certPem}`, ALPNProtocols: ['http/1.1'] } as Parameters<typeof createSecureContext>[0]);
  };
  return {
    contextFor(host: string) {
      let p = cache.get(host);
      if (!p) {
        p = make(host);
        cache.set(host, p);
        p.catch(() => cache.delete(host));
      }
      return p;
    },
  };
}

/** A short fingerprint of a PEM bundle (names its file). */
export function bundleId(pem: string): string {
  return createHash('sha256').update(pem).digest('hex').slice(0, 16);
}
