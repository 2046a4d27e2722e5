/**
 * Which settings hold secrets, and a log-safe view of librdkafka settings. Error messages and notices
 * consult the same list, so a secret never reaches a log line.
 */
import { countPemBlocks } from './pem.js';

const SECRET_NAMES = new Set([
  'ssl.key.password',
  'ssl.key.pem',
  'ssl.keystore.password',
  'ssl.keystore.key',
  'ssl.truststore.password',
  'sasl.password',
  'sasl.jaas.config',
  'sasl.oauthbearer.config',
  'sasl.oauthbearer.client.secret',
  'sasl.oauthbearer.client.credentials.client.secret',
  'sasl.oauthbearer.assertion.private.key.passphrase',
  'sasl.oauthbearer.assertion.private.key.pem',
  'http.ssl.key',
]);

/** True for keys (Java, librdkafka or bridge, with or without `kafka.*` prefix) whose value is a secret. */
export function isSecretKey(key: string): boolean {
  const bare = key.replace(/^kafka\.(?:(?:producer|consumer|admin)\.)?/, '');
  return SECRET_NAMES.has(bare) || /password|secret|jaas|private\.key|credentials/i.test(bare);
}

export const PEM_NAMES = new Set(['ssl.certificate.pem', 'ssl.ca.pem', 'https.ca.pem']);

/** A copy of librdkafka settings that is safe to log: secrets hidden, PEM certificates summarised. */
export function redact(settings: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (isSecretKey(k)) out[k] = '[hidden]';
    else if (PEM_NAMES.has(k)) out[k] = `[PEM, ${countPemBlocks(v)} block(s)]`;
    else out[k] = v;
  }
  return out;
}

/** `"value"` for error messages, or a neutral phrase when the value is a secret. */
export function shown(source: string, value: string): string {
  return isSecretKey(source) ? 'the value' : JSON.stringify(value);
}
