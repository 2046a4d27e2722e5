/**
 * The bridge's configuration: `--config-file` (or the built-in defaults), environment overrides,
 * placeholders, then typed values and one librdkafka map per Kafka client.
 *
 * Environment override rule (the Strimzi bridge's ConfigRetriever): every environment variable whose name
 * is a configuration key, i.e. starts with `bridge.`, `http.`, `kafka.` or `log.`, replaces that key of the
 * file. Names are taken verbatim (Kubernetes allows dots in env names): `kafka.producer.acks=all` in the
 * container's env beats the ConfigMap. Other variables are only read through `${env:NAME}` placeholders.
 *
 * Placeholders are resolved in every value (the Java bridge resolves them in `kafka.*` only, through Kafka
 * config providers; doing it everywhere lets e.g. `http.port=${env:PORT}` work too).
 */
import { readFileSync } from 'node:fs';
import {
  describeReadError,
  isProviderKey,
  type PlaceholderContext,
  placeholder,
  providersFrom,
  type ReadFile,
  resolvePlaceholders,
} from './placeholders.js';
import { PropertiesSyntaxError, parseProperties } from './properties.js';
import { type ClientKind, type ClientSetting, translateClient } from './translate.js';
import { type BridgeConfig, ConfigError, type ConfigNotice, type HttpConfig } from './types.js';

export { isSecretKey, redact } from './translate.js';
export type { BridgeConfig, ConfigNotice, HttpConfig, KafkaClientsConfig, RdkafkaSettings } from './types.js';
export { ConfigError } from './types.js';

export interface LoadConfigOptions {
  /** Command-line arguments after the program name; default `process.argv.slice(2)`. */
  readonly argv?: readonly string[];
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file as UTF-8 (config file and `${file:}`/`${dir:}` placeholders); default fs.readFileSync. */
  readonly readFile?: ReadFile;
}

export const BUILT_IN_SOURCE = 'built-in defaults';

const DEFAULTS = {
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

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

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
      'Instance id: generated consumer names are `<bridge.id>-<uuid>` (`kafka-bridge-consumer-<uuid>` when unset); also the `client.id` of the producer and admin client.',
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
    key: '[kafka.[producer.|consumer.|admin.]]config.providers*',
    default: '-',
    meaning:
      'Kafka config-provider declarations: understood (extra aliases, `param.allowed.paths`, `param.allowlist.pattern`), never passed to librdkafka.',
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

/**
 * The scenario's bridge-configmap.yaml, so an injected sidecar needs no ConfigMap: the bootstrap address
 * from BOOTSTRAP_SERVERS, and TLS when USER_CRT/USER_KEY (client certificate) or CA_CRT (trusted CA) are set.
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
  const tls = has('USER_CRT') || has('CA_CRT');
  if (tls) lines.push('kafka.security.protocol=SSL', 'kafka.ssl.endpoint.identification.algorithm=HTTPS');
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

/** `--config-file PATH` or `--config-file=PATH`; undefined when absent. Other arguments are not ours. */
export function configFileFromArgv(argv: readonly string[]): string | undefined {
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config-file') {
      const next = argv[i + 1];
      if (next === undefined || next === '' || next.startsWith('--')) {
        throw new ConfigError(
          '--config-file',
          '--config-file: needs a path (--config-file /path/to/bridge.properties)',
        );
      }
      path = next;
      i++;
    } else if (arg.startsWith('--config-file=')) {
      path = arg.slice('--config-file='.length);
      if (path === '') {
        throw new ConfigError(
          '--config-file',
          '--config-file: needs a path (--config-file /path/to/bridge.properties)',
        );
      }
    }
  }
  return path;
}

const OVERRIDABLE = /^(?:bridge|http|kafka|log)\./;

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

const CLIENTS: readonly ClientKind[] = ['producer', 'consumer', 'admin'];

/** Notices for bridge.* and http.* keys the Java bridge has and this one does not. */
const IGNORED_BRIDGE_KEYS: ReadonlyMap<string, string> = new Map([
  ['bridge.metrics', 'ignored: metrics are always served on /metrics (Prometheus text)'],
  [
    'bridge.metrics.exporter.config.path',
    'ignored: there is no JMX exporter; metrics are served on /metrics',
  ],
  ['bridge.tracing', 'ignored: tracing is not supported'],
  ['bridge.executor.pool.size', 'ignored: Kafka calls do not run on a thread pool here'],
  ['bridge.executor.queue.size', 'ignored: Kafka calls do not run on a thread pool here'],
]);

function configText(path: string | undefined, env: LoadConfigOptions['env'], readFile: ReadFile): string {
  if (path === undefined) return builtInProperties(env ?? {});
  try {
    return readFile(path);
  } catch (err) {
    throw new ConfigError('--config-file', `--config-file: ${path} ${describeReadError(err)}`);
  }
}

/** Reads, merges, resolves and translates the configuration; throws ConfigError with a one-line message. */
export function loadConfig(options: LoadConfigOptions = {}): BridgeConfig {
  const argv = options.argv ?? process.argv.slice(2);
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));

  const path = configFileFromArgv(argv);
  const source = path ?? BUILT_IN_SOURCE;
  let raw: Map<string, string>;
  try {
    raw = parseProperties(configText(path, env, readFile));
  } catch (err) {
    if (err instanceof PropertiesSyntaxError) {
      throw new ConfigError('--config-file', `${source}: ${err.message}`);
    }
    throw err;
  }
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && OVERRIDABLE.test(name)) raw.set(name, value);
  }

  const { providers, unsupported } = providersFrom(raw);
  const ctx: PlaceholderContext = { env, readFile, providers, unsupported };
  const config = new Map<string, string>();
  for (const [key, value] of raw) {
    if (isProviderKey(key)) continue; // understood above, never passed on
    config.set(key, resolvePlaceholders(key, value, ctx));
  }

  const notices: ConfigNotice[] = [];
  const get = (key: string) => config.get(key);
  const bridgeId = get('bridge.id')?.trim() || DEFAULTS.bridgeId;
  const http = httpConfig(get);
  const logLevel = (get('log.level') ?? DEFAULTS.logLevel).trim().toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      'log.level',
      `log.level: ${JSON.stringify(logLevel)} is not allowed; allowed: ${LOG_LEVELS.join(', ')}`,
    );
  }

  const common = new Map<string, ClientSetting>();
  const specific: Record<ClientKind, Map<string, ClientSetting>> = {
    producer: new Map(),
    consumer: new Map(),
    admin: new Map(),
  };
  for (const [key, value] of config) {
    const kafka = /^kafka\.(?:(producer|consumer|admin)\.)?(.+)$/.exec(key);
    if (kafka) {
      const client = kafka[1] as ClientKind | undefined;
      const name = kafka[2]!;
      if (client) specific[client].set(name, { value, source: key, specific: true });
      else common.set(name, { value, source: key, specific: false });
      continue;
    }
    if (KNOWN_KEYS.has(key)) continue;
    const ignored = IGNORED_BRIDGE_KEYS.get(key);
    if (ignored) notices.push({ key, reason: ignored });
    else if (key.startsWith('http.ssl.'))
      notices.push({ key, reason: 'ignored: TLS on the HTTP API is not supported' });
    else notices.push({ key, reason: 'unknown setting, ignored' });
  }

  const clients = {} as Record<ClientKind, ReturnType<typeof translateClient>>;
  for (const kind of CLIENTS) {
    const merged = new Map(common);
    for (const [name, setting] of specific[kind]) merged.set(name, setting);
    // client.id defaults (bridge.id for producer and admin, the instance name for consumers) are set
    // where the clients are created, below whatever the user configured.
    clients[kind] = translateClient(kind, merged);
    notices.push(...clients[kind].notices);
  }

  const enabled: Record<ClientKind, boolean> = {
    producer: http.producerEnabled,
    consumer: http.consumerEnabled,
    admin: true,
  };
  for (const kind of CLIENTS) {
    if (enabled[kind] && clients[kind].settings['bootstrap.servers'] === undefined) {
      const hint = path === undefined ? ' (the built-in defaults take it from BOOTSTRAP_SERVERS)' : '';
      throw new ConfigError(
        'kafka.bootstrap.servers',
        `kafka.bootstrap.servers: not set for the ${kind}${hint}; allowed: host:port[,host:port...]`,
      );
    }
  }

  return {
    bridgeId,
    http,
    kafka: {
      producer: clients.producer.settings,
      consumer: clients.consumer.settings,
      admin: clients.admin.settings,
      bootstrapServers:
        clients.admin.settings['bootstrap.servers'] ?? clients.producer.settings['bootstrap.servers'] ?? '',
      maxPollRecords: clients.consumer.maxPollRecords!,
    },
    notices: dedupe(notices),
    source,
    logLevel,
  };
}

const KNOWN_KEYS = new Set([
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

function httpConfig(get: (key: string) => string | undefined): HttpConfig {
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

function dedupe(notices: readonly ConfigNotice[]): ConfigNotice[] {
  const seen = new Set<string>();
  return notices.filter((n) => {
    const id = `${n.key}\u0000${n.reason}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
