// The local CA of the placeholder proxy: created once and kept in the keyring (memory keyring
// here), reused by later runs, replaced when damaged; leaf certificates that a TLS client
// accepts for their host only, short-lived, and cached per run.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { CA_ITEM, leafInterceptor, loadOrCreateCa } from '../../src/proxy/ca.js';

describe('the local CA', () => {
  it('is created at first use, kept as one keyring item, and the same one next time', async () => {
    const backend = new MemoryBackend();
    const now = new Date('2026-12-04T10:00:00Z');
    const a = await loadOrCreateCa(backend, now);
    expect(await backend.list()).toEqual([CA_ITEM]);
    const stored = JSON.parse((await backend.get(CA_ITEM)) as string);
    expect(Object.keys(stored).sort()).toEqual(['cert', 'key']);
    const b = await loadOrCreateCa(backend, now);
    expect(b.certPem).toBe(a.certPem);
    const cert = new X509Certificate(a.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
  });

  it('a damaged or expiring item is replaced by a new CA', async () => {
    const backend = new MemoryBackend();
    await backend.set(CA_ITEM, 'not json');
    const now = new Date('2026-12-04T10:00:00Z');
    const a = await loadOrCreateCa(backend, now);
    expect(new X509Certificate(a.certPem).ca).toBe(true);
    // Four years and 360 days later: within a week of its end, so renewed.
    const later = new Date(now.getTime() + (5 * 365 - 3) * 86400_000);
    const b = await loadOrCreateCa(backend, later);
    expect(b.certPem).not.toBe(a.certPem);
  });

  it('leaves: issued by the CA, for their host only, 24 hours, server auth, cached per host', async () => {
    const now = new Date('2026-12-04T10:00:00Z');
    const ca = await loadOrCreateCa(new MemoryBackend(), now);
    const leaves = leafInterceptor(ca, () => now);
    const c1 = leaves.contextFor('api.crm.example');
    expect(leaves.contextFor('api.crm.example')).toBe(c1);
    const ctx = await c1;
    const pem = (ctx.context as unknown as { getCertificate(): Buffer | null }).getCertificate?.();
    // The leaf as the TLS stack would send it.
    const leaf = pem ? new X509Certificate(pem) : undefined;
    if (leaf) {
      expect(leaf.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
      expect(leaf.subjectAltName).toBe('DNS:api.crm.example');
      expect(leaf.checkHost('api.crm.example')).toBe('api.crm.example');
      expect(leaf.checkHost('evil.example')).toBeUndefined();
      expect(leaf.ca).toBe(false);
      expect(new Date(leaf.validTo).getTime() - now.getTime()).toBeLessThanOrEqual(24 * 3600_000);
      expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    }
    expect(leaf).toBeDefined();
  });
});
