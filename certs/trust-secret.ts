import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KeyPair } from './certificates.js';
import type { Observed, TrustMaterial } from './rotation.js';

/**
 * How trust material is laid out in the webhook's Secret (type `kubernetes.io/tls`, so tools that
 * know TLS Secrets read `tls.crt`/`tls.key`/`ca.crt` as usual). Values are PEM, base64-encoded by
 * the API as for any Secret.
 */
export const SECRET_KEYS = {
  servingCert: 'tls.crt',
  servingKey: 'tls.key',
  caCert: 'ca.crt',
  caKey: 'ca.key',
  /** Present only while a new CA is being introduced (trusted, not yet signing). */
  nextCaCert: 'ca-next.crt',
  nextCaKey: 'ca-next.key',
  /** Present only while the old CA is being retired (still trusted, no longer signing). */
  previousCaCert: 'ca-previous.crt',
} as const;

export const SECRET_TYPE = 'kubernetes.io/tls';

/** Secret `data` (base64 values) from trust material. */
export function encodeTrustSecret(m: TrustMaterial): Record<string, string> {
  const plain: Record<string, string> = {
    [SECRET_KEYS.servingCert]: m.serving.cert,
    [SECRET_KEYS.servingKey]: m.serving.key,
    [SECRET_KEYS.caCert]: m.ca.cert,
    [SECRET_KEYS.caKey]: m.ca.key,
  };
  if (m.phase === 'introducing') {
    plain[SECRET_KEYS.nextCaCert] = m.nextCa.cert;
    plain[SECRET_KEYS.nextCaKey] = m.nextCa.key;
  }
  if (m.phase === 'retiring') plain[SECRET_KEYS.previousCaCert] = m.previousCa;
  return Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
}

/**
 * Trust material from Secret `data`; anything missing or unparseable is `unreadable` with the
 * reason, so the caller starts over instead of serving a broken certificate.
 */
export function decodeTrustSecret(data: Record<string, string> | undefined): Observed {
  if (!data) return { kind: 'unreadable', reason: 'the Secret has no data' };
  const read = (key: string): string | undefined => {
    const v = data[key];
    return v === undefined || v === '' ? undefined : Buffer.from(v, 'base64').toString('utf8');
  };
  const missing = [
    SECRET_KEYS.servingCert,
    SECRET_KEYS.servingKey,
    SECRET_KEYS.caCert,
    SECRET_KEYS.caKey,
  ].filter((k) => read(k) === undefined);
  if (missing.length > 0) return { kind: 'unreadable', reason: `missing ${missing.join(', ')}` };
  const pair = (certKey: string, keyKey: string): KeyPair => ({ cert: read(certKey)!, key: read(keyKey)! });
  const ca = pair(SECRET_KEYS.caCert, SECRET_KEYS.caKey);
  const serving = pair(SECRET_KEYS.servingCert, SECRET_KEYS.servingKey);
  const nextCert = read(SECRET_KEYS.nextCaCert);
  const nextKey = read(SECRET_KEYS.nextCaKey);
  const previous = read(SECRET_KEYS.previousCaCert);

  let material: TrustMaterial;
  if (nextCert !== undefined && nextKey !== undefined && previous === undefined) {
    material = { phase: 'introducing', ca, nextCa: { cert: nextCert, key: nextKey }, serving };
  } else if (previous !== undefined && nextCert === undefined) {
    material = { phase: 'retiring', ca, previousCa: previous, serving };
  } else if (nextCert === undefined && nextKey === undefined && previous === undefined) {
    material = { phase: 'steady', ca, serving };
  } else {
    return {
      kind: 'unreadable',
      reason: 'inconsistent CA rotation keys (ca-next.* together with ca-previous.crt)',
    };
  }
  const certs = [ca.cert, serving.cert, ...(nextCert ? [nextCert] : []), ...(previous ? [previous] : [])];
  for (const pem of certs) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      return { kind: 'unreadable', reason: `a certificate does not parse: ${(err as Error).message}` };
    }
  }
  try {
    createPrivateKey(ca.key);
    if (nextKey) createPrivateKey(nextKey);
  } catch (err) {
    return { kind: 'unreadable', reason: `a CA key does not parse: ${(err as Error).message}` };
  }
  return { kind: 'material', material };
}
