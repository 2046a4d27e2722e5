/**
 * The bridge's own keys (`bridge.*`, `http.*`, `log.*`): typed, checked, each error naming the key and
 * what is allowed. Keys of the Java bridge this one does not have get a notice saying why.
 */
import { DEFAULTS, LOG_LEVELS } from './defaults.js';
import { ConfigError, type HttpConfig } from './types.js';

function parseBoolean(key: string, value: string): boolean {
  const lower = value.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new ConfigError(
    key,
    `${key}: ${JSON.stringify(value.trim())} is not allowed; allowed: true or false`,
  );
}

function parseInteger(key: string, value: string, min: number, max: number, allowed: string): number {
  const v = value.trim();
  const n = Number(v);
  if (!/^[-+]?\d+$/.test(v) || n < min || n > max) {
    throw new ConfigError(key, `${key}: ${JSON.stringify(v)} is not allowed; allowed: ${allowed}`);
  }
  return n;
}

function parsePort(key: string, value: string): number {
  return parseInteger(key, value, 1, 65535, 'a port number 1-65535');
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export const KNOWN_KEYS = new Set([
  'bridge.id',
  'bridge.shutdown.timeoutMs',
  'http.host',
  'http.port',
  'http.management.port',
  'http.cors.enabled',
  'http.cors.allowedOrigins',
  'http.cors.allowedMethods',
  'http.consumer.enabled',
  'http.producer.enabled',
  'http.timeoutSeconds',
  'http.maxBodyBytes',
  'http.enabled',
  'http.ssl.enable',
  'log.level',
]);

/** Notices for bridge.* and http.* keys the Java bridge has and this one does not. */
export const IGNORED_BRIDGE_KEYS: ReadonlyMap<string, string> = new Map([
  ['bridge.metrics', 'ignored: metrics are always served on /metrics (Prometheus text)'],
  [
    'bridge.metrics.exporter.config.path',
    'ignored: there is no JMX exporter; metrics are served on /metrics',
  ],
  ['bridge.tracing', 'ignored: tracing is not supported'],
  ['bridge.executor.pool.size', 'ignored: Kafka calls do not run on a thread pool here'],
  ['bridge.executor.queue.size', 'ignored: Kafka calls do not run on a thread pool here'],
]);

export function httpConfig(get: (key: string) => string | undefined): HttpConfig {
  // `[::1]` is how IPv6 hosts are written in URLs; listen() wants the bare address.
  const host = (get('http.host') ?? DEFAULTS.host).trim().replace(/^\[(.*)\]$/, '$1');
  if (host === '' || /\s/.test(host)) {
    throw new ConfigError(
      'http.host',
      `http.host: ${JSON.stringify(host)} is not allowed; allowed: an IP address or host name`,
    );
  }
  const port = get('http.port') === undefined ? DEFAULTS.port : parsePort('http.port', get('http.port')!);
  const managementPort =
    get('http.management.port') === undefined
      ? DEFAULTS.managementPort
      : parsePort('http.management.port', get('http.management.port')!);
  if (managementPort === port) {
    throw new ConfigError(
      'http.management.port',
      `http.management.port: ${managementPort} is also http.port; allowed: a different port 1-65535`,
    );
  }
  const bool = (key: string, fallback: boolean) => {
    const v = get(key);
    return v === undefined ? fallback : parseBoolean(key, v);
  };
  if (bool('http.ssl.enable', false)) {
    throw new ConfigError(
      'http.ssl.enable',
      'http.ssl.enable: TLS on the HTTP API is not supported (the API listens on loopback inside the pod); allowed: false',
    );
  }
  const origins = get('http.cors.allowedOrigins');
  const methodsRaw = get('http.cors.allowedMethods');
  const methods =
    methodsRaw === undefined ? [...DEFAULTS.corsMethods] : list(methodsRaw).map((m) => m.toUpperCase());
  for (const m of methods) {
    if (!/^[A-Z]+$/.test(m)) {
      throw new ConfigError(
        'http.cors.allowedMethods',
        `http.cors.allowedMethods: ${JSON.stringify(m)} is not allowed; allowed: comma-separated HTTP methods such as GET,POST`,
      );
    }
  }
  const timeoutRaw = get('http.timeoutSeconds');
  const timeoutSeconds =
    timeoutRaw === undefined
      ? DEFAULTS.timeoutSeconds
      : parseInteger(
          'http.timeoutSeconds',
          timeoutRaw,
          -1,
          2147483647,
          '-1 (never) or a number of seconds 1 or more',
        );
  if (timeoutSeconds === 0) {
    throw new ConfigError(
      'http.timeoutSeconds',
      'http.timeoutSeconds: "0" is not allowed; allowed: -1 (never) or a number of seconds 1 or more',
    );
  }
  const bodyRaw = get('http.maxBodyBytes');
  const maxBodyBytes =
    bodyRaw === undefined
      ? DEFAULTS.maxBodyBytes
      : parseInteger(
          'http.maxBodyBytes',
          bodyRaw,
          1,
          1024 * 1024 * 1024,
          'a number of bytes 1 .. 1073741824',
        );
  const shutdownRaw = get('bridge.shutdown.timeoutMs');
  const shutdownTimeoutMs =
    shutdownRaw === undefined
      ? DEFAULTS.shutdownTimeoutMs
      : parseInteger('bridge.shutdown.timeoutMs', shutdownRaw, 0, 3600000, 'milliseconds 0 .. 3600000');
  return {
    host,
    port,
    managementPort,
    cors: {
      enabled: bool('http.cors.enabled', false),
      allowedOrigins: origins === undefined ? [...DEFAULTS.corsOrigins] : list(origins),
      allowedMethods: methods,
    },
    consumerEnabled: bool('http.consumer.enabled', true),
    producerEnabled: bool('http.producer.enabled', true),
    timeoutSeconds,
    maxBodyBytes,
    shutdownTimeoutMs,
  };
}

export function logLevelFrom(value: string | undefined): string {
  const level = (value ?? DEFAULTS.logLevel).trim().toLowerCase();
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(
      'log.level',
      `log.level: ${JSON.stringify(level)} is not allowed; allowed: ${LOG_LEVELS.join(', ')}`,
    );
  }
  return level;
}
