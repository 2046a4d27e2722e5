/**
 * Defaults: of each bridge key, and the built-in configuration used without --config-file (the
 * scenario's bridge-configmap.yaml, so an injected sidecar needs no ConfigMap).
 */
import { placeholder } from './placeholders.js';
import { ConfigError } from './types.js';

export const BUILT_IN_SOURCE = 'built-in defaults';

export const DEFAULTS = {
  // Unset, as in the Java bridge: consumers are then named kafka-bridge-consumer-<uuid>.
  bridgeId: '',
  host: '127.0.0.1',
  port: 8080,
  managementPort: 8081,
  corsOrigins: ['*'],
  corsMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'],
  timeoutSeconds: -1,
  maxBodyBytes: 1024 * 1024,
  shutdownTimeoutMs: 10000,
  logLevel: 'info',
} as const;

/** What the injector sets for SASL/SCRAM users (webhook/sidecar.ts). */
const SASL_ENV = ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * The scenario's bridge-configmap.yaml, so an injected sidecar needs no ConfigMap: the bootstrap address
 * from BOOTSTRAP_SERVERS, and TLS when USER_CRT/USER_KEY (client certificate) or CA_CRT (trusted CA) are set.
 * SASL (what the injector sets for `auth: scram-sha-512`) when KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and
 * KAFKA_SASL_PASSWORD are set: librdkafka's own key names, so a password with quotes needs no JAAS escaping.
 */
export function builtInProperties(env: Readonly<Record<string, string | undefined>>): string {
  const has = (name: string) => env[name] !== undefined && env[name] !== '';
  if (has('USER_CRT') !== has('USER_KEY')) {
    const missing = has('USER_CRT') ? 'USER_KEY' : 'USER_CRT';
    throw new ConfigError(
      missing,
      `${missing}: not set, but ${missing === 'USER_KEY' ? 'USER_CRT' : 'USER_KEY'} is; the built-in defaults need both for a client certificate (or neither)`,
    );
  }
  const lines = [
    'bridge.id=bridge-sidecar',
    'http.host=127.0.0.1',
    'http.port=8080',
    `kafka.bootstrap.servers=${placeholder('env', 'BOOTSTRAP_SERVERS')}`,
  ];
  const sasl = SASL_ENV.filter(has);
  if (sasl.length > 0 && sasl.length < SASL_ENV.length) {
    const missing = SASL_ENV.filter((n) => !has(n));
    throw new ConfigError(
      missing[0]!,
      `${missing.join(', ')}: not set, but ${sasl.join(', ')} ${sasl.length > 1 ? 'are' : 'is'}; the built-in defaults need all of ${SASL_ENV.join(', ')} for SASL (or none)`,
    );
  }
  const tls = has('USER_CRT') || has('CA_CRT');
  if (sasl.length > 0) {
    lines.push(
      `kafka.security.protocol=${tls ? 'SASL_SSL' : 'SASL_PLAINTEXT'}`,
      `kafka.sasl.mechanisms=${placeholder('env', 'KAFKA_SASL_MECHANISM')}`,
      `kafka.sasl.username=${placeholder('env', 'KAFKA_SASL_USERNAME')}`,
      `kafka.sasl.password=${placeholder('env', 'KAFKA_SASL_PASSWORD')}`,
    );
    if (tls) lines.push('kafka.ssl.endpoint.identification.algorithm=HTTPS');
  } else if (tls)
    lines.push('kafka.security.protocol=SSL', 'kafka.ssl.endpoint.identification.algorithm=HTTPS');
  if (has('USER_CRT')) {
    lines.push(
      'kafka.ssl.keystore.type=PEM',
      `kafka.ssl.keystore.certificate.chain=${placeholder('env', 'USER_CRT')}`,
      `kafka.ssl.keystore.key=${placeholder('env', 'USER_KEY')}`,
    );
  }
  if (has('CA_CRT')) {
    lines.push(
      'kafka.ssl.truststore.type=PEM',
      `kafka.ssl.truststore.certificates=${placeholder('env', 'CA_CRT')}`,
    );
  }
  lines.push('kafka.producer.acks=1', 'kafka.consumer.auto.offset.reset=earliest');
  return `${lines.join('\n')}\n`;
}
