import {
  createCa,
  describe as describeCert,
  isSignedBy,
  issueServing,
  serviceDnsNames,
} from '../../certs/certificates.js';
import {
  advance,
  bundleTrusts,
  caBundle,
  decide,
  type Observed,
  rotationPolicy,
  splitPem,
  type TrustMaterial,
} from '../../certs/rotation.js';
import { decodeTrustSecret, encodeTrustSecret } from '../../certs/trust-secret.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

const policy = rotationPolicy(
  { dnsNames: serviceDnsNames('bridge-injector', 'injector'), ipAddresses: ['127.0.0.1'] },
  { caValidityDays: 30, servingValidityDays: 3, caOverlapMs: DAY },
);

const material = (m: TrustMaterial): Observed => ({ kind: 'material', material: m });

async function steadyAt(
  start: Date,
  caDays = 30,
  servingDays = 3,
  dnsNames = policy.dnsNames,
): Promise<TrustMaterial> {
  const ca = await createCa('test-ca', { days: caDays, notBefore: start });
  const serving = await issueServing(ca, {
    commonName: 'x',
    dnsNames,
    ipAddresses: ['127.0.0.1'],
    validity: { days: servingDays, notBefore: start },
  });
  return { phase: 'steady', ca, serving };
}

describe('certificate rotation decisions', () => {
  it('creates a CA and a serving certificate carrying every Service name when there is no Secret', async () => {
    const { material: m, steps } = await advance({ kind: 'absent' }, T0, policy);
    expect(steps.map((s) => s.action)).toEqual(['initialize']);
    expect(m.phase).toBe('steady');
    expect(isSignedBy(m.serving.cert, m.ca.cert)).toBe(true);
    expect(describeCert(m.serving.cert).dnsNames).toEqual([...policy.dnsNames]);
    expect(describeCert(m.ca.cert).isCa).toBe(true);
    expect(decide(material(m), T0, policy)).toEqual({ action: 'keep' });
  });

  it('keeps valid material as it is, so replicas that read it serve the same certificate', async () => {
    const m = await steadyAt(T0);
    const out = await advance(material(m), at(HOUR), policy);
    expect(out.steps).toEqual([]);
    expect(out.material).toBe(m);
  });

  it('renews the serving certificate from the same CA once less than a third of its life is left', async () => {
    const m = await steadyAt(T0);
    expect(decide(material(m), at(1.9 * DAY), policy).action).toBe('keep');
    const d = decide(material(m), at(2.1 * DAY), policy);
    expect(d.action).toBe('reissue-serving');
    const { material: next } = await advance(material(m), at(2.1 * DAY), policy);
    expect(next.ca).toBe(m.ca);
    expect(next.serving.cert).not.toBe(m.serving.cert);
    expect(isSignedBy(next.serving.cert, m.ca.cert)).toBe(true);
    // The caBundle does not change with a leaf renewal: nothing to patch, nothing to wait for.
    expect(caBundle(next)).toBe(caBundle(m));
  });

  it('reissues a serving certificate that lacks a Service name (the Service was renamed)', async () => {
    const m = await steadyAt(T0, 30, 3, ['old-name.injector.svc']);
    const d = decide(material(m), at(HOUR), policy);
    expect(d).toMatchObject({ action: 'reissue-serving' });
    expect(d.action === 'reissue-serving' && d.reason).toContain('bridge-injector.injector.svc');
  });

  it('starts over when the CA has expired or the Secret is unusable', async () => {
    const m = await steadyAt(T0, 1, 0.5);
    expect(decide(material(m), at(2 * DAY), policy)).toMatchObject({ action: 'initialize' });
    expect(decide({ kind: 'unreadable', reason: 'missing tls.key' }, T0, policy)).toEqual({
      action: 'initialize',
      reason: 'the certificate Secret is unusable (missing tls.key)',
    });
  });

  it('rotates the CA in two steps so that both CAs are trusted while the serving certificate switches', async () => {
    const m = await steadyAt(T0);
    // 2/3 into the CA's 30 days: introduce the next CA; the old one still signs.
    const introduced = await advance(material(m), at(21 * DAY), policy);
    expect(introduced.steps.map((s) => s.action)).toContain('introduce-ca');
    const i = introduced.material;
    expect(i.phase).toBe('introducing');
    expect(splitPem(caBundle(i))).toHaveLength(2);
    expect(isSignedBy(i.serving.cert, m.ca.cert)).toBe(true);

    // Before the overlap has passed nothing moves.
    expect(decide(material(i), at(21.5 * DAY), policy).action).toBe('keep');

    // After it: the new CA signs, the old CA stays trusted.
    const promoted = await advance(material(i), at(22.1 * DAY), policy);
    expect(promoted.steps.map((s) => s.action)).toEqual(['promote-ca']);
    const p = promoted.material;
    expect(p.phase).toBe('retiring');
    if (p.phase !== 'retiring' || i.phase !== 'introducing') throw new Error('unreachable');
    expect(p.ca).toEqual(i.nextCa);
    expect(isSignedBy(p.serving.cert, i.nextCa.cert)).toBe(true);
    expect(bundleTrusts(caBundle(p), i.serving.cert)).toBe(true);

    // One overlap after the switch the old CA leaves the bundle.
    const retired = await advance(material(p), at(23.2 * DAY), policy);
    expect(retired.steps.map((s) => s.action)).toEqual(['retire-ca']);
    expect(retired.material.phase).toBe('steady');
    expect(splitPem(caBundle(retired.material))).toEqual([
      p.ca.cert.endsWith('\n') ? p.ca.cert : `${p.ca.cert}\n`,
    ]);
  });

  it('promotes the new CA early rather than keep signing with a CA about to expire', async () => {
    const m = await steadyAt(T0);
    const next = await createCa('next', { days: 30, notBefore: at(29.5 * DAY) });
    const introducing: TrustMaterial = { phase: 'introducing', ca: m.ca, nextCa: next, serving: m.serving };
    // Only 0.3 days into the 1-day overlap, but the old CA has 0.2 days left.
    expect(decide(material(introducing), at(29.8 * DAY), policy)).toEqual({
      action: 'promote-ca',
      reason: 'the old CA expires before the overlap would end',
    });
  });

  it('never serves a certificate that the caBundle published one step earlier does not trust (100 days, 6-hour steps)', async () => {
    let observed: Observed = { kind: 'absent' };
    let published: string | undefined;
    let served: string | undefined;
    const actions = new Set<string>();
    for (let t = 0; t <= 100 * DAY; t += 6 * HOUR) {
      const now = at(t);
      const { material: m, steps } = await advance(observed, now, policy);
      for (const s of steps) actions.add(s.action);
      const bundle = caBundle(m);
      // The new bundle trusts what it serves, and what lagging replicas still serve.
      expect(bundleTrusts(bundle, m.serving.cert)).toBe(true);
      if (served) expect(bundleTrusts(bundle, served)).toBe(true);
      // An API server still holding the previous caBundle trusts the certificate served now.
      if (published) expect(bundleTrusts(published, m.serving.cert)).toBe(true);
      expect(now.getTime()).toBeLessThan(describeCert(m.serving.cert).notAfter.getTime());
      published = bundle;
      served = m.serving.cert;
      observed = { kind: 'material', material: m };
    }
    // 100 days span three 30-day CAs: every kind of step happened.
    expect([...actions].sort()).toEqual([
      'initialize',
      'introduce-ca',
      'promote-ca',
      'reissue-serving',
      'retire-ca',
    ]);
  }, 60_000);
});

describe('certificate Secret layout', () => {
  it('round-trips every phase through Secret data', async () => {
    const steady = await steadyAt(T0);
    const next = await createCa('next', { days: 30, notBefore: T0 });
    const phases: TrustMaterial[] = [
      steady,
      { phase: 'introducing', ca: steady.ca, nextCa: next, serving: steady.serving },
      { phase: 'retiring', ca: next, previousCa: steady.ca.cert, serving: steady.serving },
    ];
    for (const m of phases) {
      const data = encodeTrustSecret(m);
      expect(Buffer.from(data['tls.crt'] ?? '', 'base64').toString()).toBe(m.serving.cert);
      expect(decodeTrustSecret(data)).toEqual({ kind: 'material', material: m });
    }
  });

  it('names what is missing or broken instead of serving it', async () => {
    const data = encodeTrustSecret(await steadyAt(T0));
    const { 'tls.key': _, ...withoutKey } = data;
    expect(decodeTrustSecret(withoutKey)).toEqual({ kind: 'unreadable', reason: 'missing tls.key' });
    expect(decodeTrustSecret(undefined)).toMatchObject({ kind: 'unreadable' });
    const broken = {
      ...data,
      'ca.crt': Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString(
        'base64',
      ),
    };
    expect(decodeTrustSecret(broken)).toMatchObject({
      kind: 'unreadable',
      reason: expect.stringContaining('does not parse'),
    });
  });
});
