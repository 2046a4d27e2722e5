/** Every key the bridge reads, with default and meaning: the source of README's configuration table. */
import { DEFAULTS } from './defaults.js';
import { placeholder } from './placeholders.js';

export interface ConfigKeyDoc {
  readonly key: string;
  readonly default: string;
  readonly meaning: string;
}

/** Every key the bridge reads, for documentation (README's configuration table). */
export const CONFIG_KEYS: readonly ConfigKeyDoc[] = [
  {
    key: 'bridge.id',
    default: 'unset (`bridge-sidecar` in the built-in defaults)',
    meaning:
      'Instance id: generated consumer names are `<bridge.id>-<uuid>` (`kafka-bridge-consumer-<uuid>` when unset); also the base of the producer and admin `client.id`.',
  },
  {
    key: 'bridge.shutdown.timeoutMs',
    default: String(DEFAULTS.shutdownTimeoutMs),
    meaning:
      'On SIGTERM, how long (ms) to wait for in-flight requests and deliveries before exiting. Our addition.',
  },
  {
    key: 'http.host',
    default: DEFAULTS.host,
    meaning: 'API bind address. A loopback host (127.0.0.1, localhost, ::1) binds both 127.0.0.1 and ::1.',
  },
  { key: 'http.port', default: String(DEFAULTS.port), meaning: 'API port, 1-65535.' },
  {
    key: 'http.management.port',
    default: String(DEFAULTS.managementPort),
    meaning: '`/healthy`, `/ready`, `/metrics` on all interfaces, 1-65535, different from `http.port`.',
  },
  { key: 'http.cors.enabled', default: 'false', meaning: 'Answer CORS preflight and add CORS headers.' },
  {
    key: 'http.cors.allowedOrigins',
    default: '`*`',
    meaning: 'Comma-separated origins (each an origin or a regular expression).',
  },
  {
    key: 'http.cors.allowedMethods',
    default: `\`${DEFAULTS.corsMethods.join(',')}\``,
    meaning: 'Comma-separated HTTP methods allowed cross-origin.',
  },
  {
    key: 'http.consumer.enabled',
    default: 'true',
    meaning: 'Consumer API on; when false its endpoints answer 503.',
  },
  { key: 'http.producer.enabled', default: 'true', meaning: 'Producer API on; when false send answers 503.' },
  {
    key: 'http.timeoutSeconds',
    default: String(DEFAULTS.timeoutSeconds),
    meaning: 'Idle consumer instances are deleted after this many seconds; -1 never.',
  },
  {
    key: 'http.maxBodyBytes',
    default: `${DEFAULTS.maxBodyBytes} (1 MiB)`,
    meaning: 'Largest request body; a larger one gets 413. Our addition.',
  },
  { key: 'http.enabled', default: '-', meaning: 'Obsolete (pre-1.0 bridge); accepted and ignored.' },
  {
    key: 'http.ssl.enable',
    default: 'false',
    meaning:
      'TLS on the API is not supported (the API is on loopback in the pod): `true` stops start-up; other `http.ssl.*` keys are ignored with a notice.',
  },
  {
    key: 'log.level',
    default: DEFAULTS.logLevel,
    meaning: 'trace, debug, info, warn, error, fatal or silent. Our addition.',
  },
  {
    key: 'kafka.<setting>',
    default: '-',
    meaning:
      'Kafka client setting (Java or librdkafka name) for the producer, the consumers and the admin client.',
  },
  {
    key: 'kafka.producer.<setting>',
    default: '`acks=1` in the built-in defaults',
    meaning: 'Producer only; wins over `kafka.<setting>`.',
  },
  {
    key: 'kafka.consumer.<setting>',
    default: '`auto.offset.reset=earliest` in the built-in defaults',
    meaning: 'Consumers only; wins over `kafka.<setting>`. `max.poll.records` (default 500) caps each poll.',
  },
  { key: 'kafka.admin.<setting>', default: '-', meaning: 'Admin client only; wins over `kafka.<setting>`.' },
  {
    key: 'kafka.bootstrap.servers',
    default: `\`${placeholder('env', 'BOOTSTRAP_SERVERS')}\` in the built-in defaults`,
    meaning: 'Required: `host:port[,host:port...]`.',
  },
  {
    key: 'kafka.config.providers*',
    default: '-',
    meaning:
      'Kafka config-provider declarations, also under `kafka.producer.`, `kafka.consumer.`, `kafka.admin.`: understood (extra aliases, `param.allowed.paths`, `param.allowlist.pattern`), never passed to librdkafka.',
  },
];

export function describeConfigKeys(): readonly ConfigKeyDoc[] {
  return CONFIG_KEYS;
}

/** The key table as Markdown, for README. */
export function configKeysMarkdown(): string {
  const rows = CONFIG_KEYS.map((k) => `| \`${k.key}\` | ${k.default} | ${k.meaning} |`);
  return ['| key | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
