import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  CA_VALIDITY_DAYS,
  createCa,
  describe,
  isSignedBy,
  issueServing,
  type KeyPair,
  needsRenewal,
} from './certificates.js';

/**
 * The webhook's trust material and where it is in its life cycle. A CA is rotated in two steps so
 * that the API server never meets a serving certificate it does not trust:
 *
 *   steady --(CA ageing)--> introducing --(overlap passed)--> retiring --(overlap passed)--> steady
 *
 * - introducing: a new CA is already in the caBundle, but the old one still signs the serving certificate;
 * - retiring: the new CA signs the serving certificate, the old one stays in the caBundle for the
 *   replicas (and API server caches) that have not switched yet.
 * A phase with both a next and a previous CA cannot be expressed, on purpose.
 */
export type TrustMaterial =
  | { readonly phase: 'steady'; readonly ca: KeyPair; readonly serving: KeyPair }
  | {
      readonly phase: 'introducing';
      readonly ca: KeyPair;
      readonly nextCa: KeyPair;
      readonly serving: KeyPair;
    }
  | {
      readonly phase: 'retiring';
      readonly ca: KeyPair;
      readonly previousCa: string;
      readonly serving: KeyPair;
    };

export interface RotationPolicy {
  /** Names the serving certificate must carry (the Service's DNS names, plus any test-only host). */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly caValidityDays: number;
  readonly servingValidityDays: number;
  /** Renew once less than this fraction of the lifetime is left (cert-manager's default is 1/3). */
  readonly servingRenewFraction: number;
  readonly caRenewFraction: number;
  /**
   * How long both CAs stay trusted before the next step of a CA rotation: long enough for every
   * replica to poll the Secret and every API server to see the new caBundle.
   */
  readonly caOverlapMs: number;
}

export const DEFAULT_SERVING_VALIDITY_DAYS = 30;
// Certificates are backdated a minute so an API server whose clock is a little behind accepts a
// fresh one; ages are counted from the real issue time.
const BACKDATE_MS = 60_000;
export const DEFAULT_CA_OVERLAP_MS = 24 * 3_600_000;

export function rotationPolicy(
  names: { dnsNames: readonly string[]; ipAddresses?: readonly string[] },
  overrides: Partial<Omit<RotationPolicy, 'dnsNames' | 'ipAddresses'>> = {},
): RotationPolicy {
  return {
    dnsNames: names.dnsNames,
    ipAddresses: names.ipAddresses ?? [],
    caValidityDays: CA_VALIDITY_DAYS,
    servingValidityDays: DEFAULT_SERVING_VALIDITY_DAYS,
    servingRenewFraction: 1 / 3,
    caRenewFraction: 1 / 3,
    caOverlapMs: DEFAULT_CA_OVERLAP_MS,
    ...overrides,
  };
}

/** One step toward material that is valid at `now`; `keep` when nothing is due. */
export type Decision =
  | { readonly action: 'keep' }
  | { readonly action: 'initialize'; readonly reason: string }
  | { readonly action: 'reissue-serving'; readonly reason: string }
  | { readonly action: 'introduce-ca'; readonly reason: string }
  | { readonly action: 'promote-ca'; readonly reason: string }
  | { readonly action: 'retire-ca'; readonly reason: string };

/** What was read from the Secret: nothing, material, or content that cannot be used (and why). */
export type Observed =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable'; readonly reason: string }
  | { readonly kind: 'material'; readonly material: TrustMaterial };

/**
 * Pure: what to do with the Secret's content at `now`. Call repeatedly (through `advance`) until
 * it answers `keep`; each answer is one step, so every step has its own reason in the log.
 */
export function decide(observed: Observed, now: Date, policy: RotationPolicy): Decision {
  if (observed.kind === 'absent') return { action: 'initialize', reason: 'no certificate Secret yet' };
  if (observed.kind === 'unreadable') {
    return { action: 'initialize', reason: `the certificate Secret is unusable (${observed.reason})` };
  }
  const m = observed.material;
  const t = now.getTime();
  const ca = describe(m.ca.cert);
  const serving = describe(m.serving.cert);

  if (!ca.isCa) return { action: 'initialize', reason: 'the stored CA is not a CA certificate' };
  if (t >= ca.notAfter.getTime()) {
    return { action: 'initialize', reason: `the CA expired at ${ca.notAfter.toISOString()}` };
  }

  if (m.phase === 'introducing') {
    const next = describe(m.nextCa.cert);
    if (!next.isCa || t >= next.notAfter.getTime()) {
      return { action: 'initialize', reason: 'the incoming CA is not a valid CA certificate' };
    }
    const introducedAt = next.notBefore.getTime() + BACKDATE_MS;
    if (t - introducedAt >= policy.caOverlapMs) {
      return { action: 'promote-ca', reason: 'the new CA has been trusted for the whole overlap' };
    }
    // Promote early rather than serve from a CA that is about to expire.
    if (ca.notAfter.getTime() - t < policy.caOverlapMs) {
      return { action: 'promote-ca', reason: 'the old CA expires before the overlap would end' };
    }
  }

  if (m.phase === 'retiring') {
    const previous = describe(m.previousCa);
    if (t >= previous.notAfter.getTime()) {
      return { action: 'retire-ca', reason: 'the previous CA has expired' };
    }
    if (
      isSignedBy(m.serving.cert, m.ca.cert) &&
      t - (serving.notBefore.getTime() + BACKDATE_MS) >= policy.caOverlapMs
    ) {
      return {
        action: 'retire-ca',
        reason: 'the new CA has signed the serving certificate for the whole overlap',
      };
    }
  }

  if (m.phase === 'steady' && needsRenewal(m.ca.cert, now, policy.caRenewFraction)) {
    return {
      action: 'introduce-ca',
      reason: `the CA expires at ${ca.notAfter.toISOString()}: starting its rotation`,
    };
  }

  const servingProblem = servingCertificateProblem(m, now, policy);
  if (servingProblem) return { action: 'reissue-serving', reason: servingProblem };
  return { action: 'keep' };
}

function servingCertificateProblem(m: TrustMaterial, now: Date, policy: RotationPolicy): string | undefined {
  const info = describe(m.serving.cert);
  if (!isSignedBy(m.serving.cert, m.ca.cert))
    return 'the serving certificate is not signed by the current CA';
  if (now.getTime() >= info.notAfter.getTime()) {
    return `the serving certificate expired at ${info.notAfter.toISOString()}`;
  }
  if (needsRenewal(m.serving.cert, now, policy.servingRenewFraction)) {
    return `the serving certificate expires at ${info.notAfter.toISOString()}: renewing it`;
  }
  const missing = policy.dnsNames.filter((n) => !info.dnsNames.includes(n));
  const x509 = new X509Certificate(m.serving.cert);
  const sans = x509.subjectAltName ?? '';
  const missingIps = policy.ipAddresses.filter((ip) => !sans.split(', ').includes(`IP Address:${ip}`));
  if (missing.length > 0 || missingIps.length > 0) {
    return `the serving certificate lacks the names ${[...missing, ...missingIps].join(', ')}`;
  }
  if (!keyMatches(m.serving)) return 'the serving key does not belong to the serving certificate';
  return undefined;
}

function keyMatches(pair: KeyPair): boolean {
  try {
    return new X509Certificate(pair.cert).checkPrivateKey(createPrivateKey(pair.key));
  } catch {
    return false;
  }
}

/** What creates certificates; the real one by default, replaceable to count calls in tests. */
export interface Issuer {
  createCa(commonName: string, validity: { days: number; notBefore: Date }): Promise<KeyPair>;
  issueServing(
    ca: KeyPair,
    opts: {
      commonName: string;
      dnsNames: readonly string[];
      ipAddresses: readonly string[];
      validity: { days: number; notBefore: Date };
    },
  ): Promise<KeyPair>;
}

export const realIssuer: Issuer = { createCa, issueServing };

/** Carries out one decision. Only certificate generation happens here; nothing is written. */
export async function applyDecision(
  observed: Observed,
  decision: Exclude<Decision, { action: 'keep' }>,
  now: Date,
  policy: RotationPolicy,
  issuer: Issuer = realIssuer,
): Promise<TrustMaterial> {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const newCa = () =>
    issuer.createCa(`bridge-injector-ca-${now.toISOString()}`, { days: policy.caValidityDays, notBefore });
  const serve = (ca: KeyPair) =>
    issuer.issueServing(ca, {
      commonName: policy.dnsNames[0] ?? policy.ipAddresses[0] ?? 'bridge-injector',
      dnsNames: policy.dnsNames,
      ipAddresses: policy.ipAddresses,
      validity: { days: policy.servingValidityDays, notBefore },
    });

  if (decision.action === 'initialize') {
    const ca = await newCa();
    return { phase: 'steady', ca, serving: await serve(ca) };
  }
  if (observed.kind !== 'material') throw new Error(`cannot ${decision.action} without stored material`);
  const m = observed.material;
  switch (decision.action) {
    case 'reissue-serving':
      return { ...m, serving: await serve(m.ca) };
    case 'introduce-ca':
      if (m.phase !== 'steady') throw new Error(`cannot introduce a CA in phase ${m.phase}`);
      return { phase: 'introducing', ca: m.ca, nextCa: await newCa(), serving: m.serving };
    case 'promote-ca':
      if (m.phase !== 'introducing') throw new Error(`cannot promote a CA in phase ${m.phase}`);
      return { phase: 'retiring', ca: m.nextCa, previousCa: m.ca.cert, serving: await serve(m.nextCa) };
    case 'retire-ca':
      if (m.phase !== 'retiring') throw new Error(`cannot retire a CA in phase ${m.phase}`);
      return { phase: 'steady', ca: m.ca, serving: m.serving };
  }
}

export interface Advanced {
  readonly material: TrustMaterial;
  /** Every step taken, with its reason; empty when the stored material was kept as it was. */
  readonly steps: readonly Exclude<Decision, { action: 'keep' }>[];
}

/** Applies decisions until the material needs nothing more at `now` (a handful of steps at most). */
export async function advance(
  observed: Observed,
  now: Date,
  policy: RotationPolicy,
  issuer: Issuer = realIssuer,
): Promise<Advanced> {
  const steps: Exclude<Decision, { action: 'keep' }>[] = [];
  let current = observed;
  // introduce → (promote) → reissue → … never needs more than a few steps; the bound turns a logic
  // error into an exception instead of a busy loop.
  for (let i = 0; i < 6; i++) {
    const d = decide(current, now, policy);
    if (d.action === 'keep') {
      if (current.kind !== 'material') throw new Error('unreachable: keep without material');
      return { material: current.material, steps };
    }
    steps.push(d);
    current = { kind: 'material', material: await applyDecision(current, d, now, policy, issuer) };
  }
  throw new Error(`certificate rotation did not settle: ${steps.map((s) => s.action).join(' → ')}`);
}

/** The CAs the API server must trust for this material, current first (the webhook's caBundle). */
export function trustedCas(m: TrustMaterial): string[] {
  switch (m.phase) {
    case 'steady':
      return [m.ca.cert];
    case 'introducing':
      return [m.ca.cert, m.nextCa.cert];
    case 'retiring':
      return [m.ca.cert, m.previousCa];
  }
}

export function caBundle(m: TrustMaterial): string {
  return trustedCas(m)
    .map((c) => (c.endsWith('\n') ? c : `${c}\n`))
    .join('');
}

/** Splits a PEM bundle into its certificates. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

/** True when `servingCert` was signed by one of the certificates in the PEM `bundle`. */
export function bundleTrusts(bundle: string, servingCert: string): boolean {
  return splitPem(bundle).some((ca) => {
    try {
      return isSignedBy(servingCert, ca);
    } catch {
      return false;
    }
  });
}
