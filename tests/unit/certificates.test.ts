import { X509Certificate } from 'node:crypto';
import {
  createCa,
  describe as describeCert,
  isSignedBy,
  issueClient,
  issueServing,
  needsRenewal,
  serviceDnsNames,
} from '../../certs/certificates.js';

describe('certificates', () => {
  it('issues a serving certificate the API server accepts: SHA-256, every Service name as a SAN, signed by the CA', async () => {
    const ca = await createCa('bridge-injector-ca');
    const leaf = await issueServing(ca, {
      commonName: 'bridge-injector.ns.svc',
      dnsNames: serviceDnsNames('bridge-injector', 'ns'),
      ipAddresses: ['127.0.0.1'],
    });
    const info = describeCert(leaf.cert);
    expect(info.dnsNames).toEqual([
      'bridge-injector',
      'bridge-injector.ns',
      'bridge-injector.ns.svc',
      'bridge-injector.ns.svc.cluster.local',
    ]);
    expect(new X509Certificate(leaf.cert).subjectAltName).toContain('IP Address:127.0.0.1');
    expect(isSignedBy(leaf.cert, ca.cert)).toBe(true);
    expect(info.isCa).toBe(false);
    expect(describeCert(ca.cert).isCa).toBe(true);
    expect(leaf.key).toContain('-----BEGIN PRIVATE KEY-----');
    // SHA-1 would be rejected by kube-apiserver's webhook client.
    const text = new X509Certificate(leaf.cert).toString();
    expect(text).not.toMatch(/sha1/i);
  });

  it('does not accept a certificate signed by another CA', async () => {
    const [a, b] = await Promise.all([createCa('a'), createCa('b')]);
    const client = await issueClient(a, 'bridge');
    expect(isSignedBy(client.cert, a.cert)).toBe(true);
    expect(isSignedBy(client.cert, b.cert)).toBe(false);
    expect(describeCert(client.cert).subject).toContain('CN=bridge');
  });

  it('asks for renewal once less than a third of the lifetime is left', async () => {
    const ca = await createCa('ca');
    const start = new Date('2026-01-01T00:00:00Z');
    const leaf = await issueClient(ca, 'x', { validity: { days: 90, notBefore: start } });
    expect(needsRenewal(leaf.cert, new Date('2026-02-01T00:00:00Z'))).toBe(false);
    expect(needsRenewal(leaf.cert, new Date('2026-03-05T00:00:00Z'))).toBe(true);
  });
});
