import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

/** A PEM certificate with its PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`, what Kafka's PEM store parses). */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface Validity {
  /** Lifetime in days from `notBefore`. */
  readonly days: number;
  /** Defaults to now minus one minute, so a peer whose clock runs a little behind accepts it. */
  readonly notBefore?: Date;
}

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 90;

const DAY_MS = 86_400_000;

// The API server rejects SHA-1 signatures, which is what selfsigned picks by default.
const SIGNATURE = 'sha256';
// P-256 keys take milliseconds to generate where RSA-2048 takes hundreds; every consumer
// here (kube-apiserver, Kafka's PEM store, librdkafka/OpenSSL, Node) accepts them.
const KEY = { keyType: 'ec', curve: 'P-256' } as const;

function window(v: Validity): { notBeforeDate: Date; notAfterDate: Date } {
  const notBeforeDate = v.notBefore ?? new Date(Date.now() - 60_000);
  return { notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + v.days * DAY_MS) };
}

export async function createCa(
  commonName: string,
  validity: Validity = { days: CA_VALIDITY_DAYS },
): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    ...KEY,
    ...window(validity),
    algorithm: SIGNATURE,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface ServingOptions {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validity?: Validity;
}

/** A TLS server certificate signed by `ca`. Kubernetes ignores the CN: the names must be SANs. */
export async function issueServing(ca: KeyPair, opts: ServingOptions): Promise<KeyPair> {
  const altNames = [
    ...opts.dnsNames.map((value) => ({ type: 2 as const, value })),
    ...(opts.ipAddresses ?? []).map((ip) => ({ type: 7 as const, ip })),
  ];
  const pems = await generate([{ name: 'commonName', value: opts.commonName }], {
    ...KEY,
    ...window(opts.validity ?? { days: LEAF_VALIDITY_DAYS }),
    algorithm: SIGNATURE,
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A TLS client certificate: Kafka maps the CN to the principal (`User:<cn>`), Kubernetes to the user name. */
export async function issueClient(
  ca: KeyPair,
  commonName: string,
  opts: { organization?: string; validity?: Validity } = {},
): Promise<KeyPair> {
  const subject = [{ name: 'commonName', value: commonName }];
  if (opts.organization) subject.push({ name: 'organizationName', value: opts.organization });
  const pems = await generate(subject, {
    ...KEY,
    ...window(opts.validity ?? { days: LEAF_VALIDITY_DAYS }),
    algorithm: SIGNATURE,
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The names a client may use to reach Service `service` in `namespace`, in the order kube-dns resolves them. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly dnsNames: string[];
  readonly fingerprint256: string;
  readonly isCa: boolean;
}

export function describe(certPem: string): CertificateInfo {
  const x = new X509Certificate(certPem);
  const dnsNames = (x.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  return {
    subject: x.subject,
    issuer: x.issuer,
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    dnsNames,
    fingerprint256: x.fingerprint256,
    isCa: x.ca,
  };
}

/** True once less than `fraction` of the certificate's lifetime is left (cert-manager renews at 1/3). */
export function needsRenewal(certPem: string, now: Date = new Date(), fraction = 1 / 3): boolean {
  const { notBefore, notAfter } = describe(certPem);
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return notAfter.getTime() - now.getTime() < lifetime * fraction;
}

/** True when `certPem` was signed by `caPem` (signature check, not just matching names). */
export function isSignedBy(certPem: string, caPem: string): boolean {
  const ca = new X509Certificate(caPem);
  const cert = new X509Certificate(certPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}
