/**
 * Java keystore/truststore settings -> librdkafka's TLS settings. PEM (inline or a file) maps directly;
 * a PKCS12 keystore is read by librdkafka itself; JKS, and PKCS12 truststores, librdkafka cannot read,
 * so they stop start-up with the settings that would work instead.
 */
import { type ClientSetting, type Collector, invalid } from './client-settings.js';
import { normalizePem } from './pem.js';
import { ConfigError } from './types.js';

const STORE_TYPES = ['PEM', 'PKCS12', 'JKS'];

export function pem(setting: ClientSetting): string {
  try {
    return normalizePem(setting.value);
  } catch (err) {
    throw new ConfigError(setting.source, `${setting.source}: ${(err as Error).message}; allowed: PEM text`);
  }
}

function inferStoreType(location: string): 'PEM' | 'PKCS12' | 'JKS' {
  if (/\.(pem|crt|cer|key)$/i.test(location)) return 'PEM';
  if (/\.(p12|pfx|pkcs12)$/i.test(location)) return 'PKCS12';
  return 'JKS'; // the Java client's default type
}

function storeType(setting: ClientSetting | undefined): 'PEM' | 'PKCS12' | 'JKS' | undefined {
  if (!setting) return undefined;
  const upper = setting.value.trim().toUpperCase();
  if (!STORE_TYPES.includes(upper)) invalid(setting, STORE_TYPES.join(', '));
  return upper as 'PEM' | 'PKCS12' | 'JKS';
}

export function translateKeystore(get: (k: string) => ClientSetting | undefined, out: Collector): void {
  const type = get('ssl.keystore.type');
  const declared = storeType(type);
  const chain = get('ssl.keystore.certificate.chain');
  const key = get('ssl.keystore.key');
  const location = get('ssl.keystore.location');
  if (chain || key) {
    const which = (chain ?? key)!;
    if (declared && declared !== 'PEM') {
      throw new ConfigError(
        type!.source,
        `${type!.source}: must be PEM when ${which.source} is set; allowed: PEM`,
      );
    }
    if (!chain || !key) {
      const missing = chain ? 'ssl.keystore.key' : 'ssl.keystore.certificate.chain';
      throw new ConfigError(
        which.source,
        `${which.source}: needs ${missing} as well (the certificate and its key)`,
      );
    }
    if (location) {
      throw new ConfigError(
        location.source,
        `${location.source}: set either ssl.keystore.location or ssl.keystore.certificate.chain + ssl.keystore.key, not both`,
      );
    }
    out.put('ssl.certificate.pem', pem(chain), chain, false);
    out.put('ssl.key.pem', pem(key), key, false);
    return;
  }
  if (!location) return;
  const kind = declared ?? inferStoreType(location.value.trim());
  const path = location.value.trim();
  if (kind === 'PEM') {
    // A PEM keystore file holds the key and the chain; OpenSSL picks each out of the same file.
    out.put('ssl.certificate.location', path, location, false);
    out.put('ssl.key.location', path, location, false);
  } else if (kind === 'PKCS12') {
    out.put('ssl.keystore.location', path, location, true);
    const password = get('ssl.keystore.password');
    if (password) out.put('ssl.keystore.password', password.value.trim(), password, true);
  } else {
    throw new ConfigError(
      (type ?? location).source,
      `${(type ?? location).source}: librdkafka cannot read JKS keystores${declared ? '' : ` (no ssl.keystore.type, and ${path} does not end in .pem or .p12)`}; allowed ssl.keystore.type: PEM or PKCS12`,
    );
  }
}

export function translateTruststore(get: (k: string) => ClientSetting | undefined, out: Collector): void {
  const type = get('ssl.truststore.type');
  const declared = storeType(type);
  const certificates = get('ssl.truststore.certificates');
  const location = get('ssl.truststore.location');
  if (certificates) {
    if (declared && declared !== 'PEM') {
      throw new ConfigError(
        type!.source,
        `${type!.source}: must be PEM when ${certificates.source} is set; allowed: PEM`,
      );
    }
    if (location) {
      throw new ConfigError(
        location.source,
        `${location.source}: set either ssl.truststore.location or ssl.truststore.certificates, not both`,
      );
    }
    out.put('ssl.ca.pem', pem(certificates), certificates, false);
    return;
  }
  if (!location) return;
  const path = location.value.trim();
  const kind = declared ?? inferStoreType(path);
  if (kind !== 'PEM') {
    throw new ConfigError(
      (type ?? location).source,
      `${(type ?? location).source}: librdkafka cannot read ${kind} truststores${declared ? '' : ` (no ssl.truststore.type, and ${path} does not end in .pem or .crt)`}; allowed ssl.truststore.type: PEM (a PEM file in ssl.truststore.location, or ssl.truststore.certificates)`,
    );
  }
  out.put('ssl.ca.location', path, location, false);
}
