/**
 * Topic configs for GET /topics/{t} (DescribeConfigs), read with kafkajs.
 *
 * node-rdkafka 3.6's AdminClient has no describeConfigs, and Kafka's wire protocol with TLS and SASL
 * is not this project's core, so a second, pure-JS client does this one read. It is given the same
 * settings as the bridge's librdkafka admin client (`kafka.*` + `kafka.admin.*`), translated here, so
 * it connects as the same principal. kafkajs is imported on first use: a sidecar that never asks
 * for a topic's configs never loads it.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Admin, KafkaConfig, LogEntry, SASLOptions } from 'kafkajs';
import type { RdkafkaSettings } from '../config/types.js';
import type { Logger } from '../log.js';

export type KafkaJsTranslation =
  | { readonly ok: true; readonly config: KafkaConfig }
  | { readonly ok: false; readonly reason: string };

export interface TranslateOptions {
  /** client.id when the settings carry none. */
  readonly clientId: string;
  /** Reads a file named by an `ssl.*.location` setting (default: fs.readFileSync). */
  readonly readFile?: (path: string) => Buffer;
}

const PROTOCOLS = ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const;
const KAFKAJS_MECHANISMS: Record<string, 'plain' | 'scram-sha-256' | 'scram-sha-512'> = {
  PLAIN: 'plain',
  'SCRAM-SHA-256': 'scram-sha-256',
  'SCRAM-SHA-512': 'scram-sha-512',
};

/** Why the translation stopped; the message names the setting, never its value. */
class Untranslatable extends Error {}

/** `[proto://]host[:port]` (librdkafka's bootstrap syntax) -> `host:port` as kafkajs wants it. */
function brokerAddress(entry: string, key: string): string {
  const hostPort = entry.replace(/^[a-z_]+:\/\//i, '');
  // kafkajs splits an address at its first ':', so an IPv6 literal cannot be a seed broker.
  if (hostPort.startsWith('[') || (hostPort.match(/:/g)?.length ?? 0) > 1) {
    throw new Untranslatable(
      `${key}: ${entry} is an IPv6 literal, which the topic-config reader (kafkajs) cannot connect to; use a host name`,
    );
  }
  const [host, port] = hostPort.split(':');
  if (!host) throw new Untranslatable(`${key}: ${entry} has no host`);
  if (port === undefined) return `${host}:9092`; // librdkafka's default port
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new Untranslatable(`${key}: ${entry} has an invalid port; allowed: 1-65535`);
  }
  return `${host}:${port}`;
}

/**
 * The PEM text of `<pemKey>` or, failing that, the contents of the file at `<locationKey>`.
 * Binary files (PKCS12) are returned as read.
 */
function material(
  settings: RdkafkaSettings,
  pemKey: string | undefined,
  locationKey: string,
  readFile: (path: string) => Buffer,
): string | Buffer | undefined {
  const inline = pemKey === undefined ? undefined : settings[pemKey];
  if (inline !== undefined && inline !== '') return inline;
  const path = settings[locationKey]?.trim();
  if (!path) return undefined;
  try {
    return readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const hint = code === 'EISDIR' ? ' (a CA directory is not supported here; give a PEM file)' : '';
    throw new Untranslatable(`${locationKey}: cannot read ${path}: ${code}${hint}`);
  }
}

function tlsOptions(settings: RdkafkaSettings, readFile: (path: string) => Buffer): ConnectionOptions {
  const tls: ConnectionOptions = {};
  const caLocation = settings['ssl.ca.location']?.trim();
  // `probe` asks librdkafka for the system's CA paths: Node's default roots are the same idea.
  const ca =
    caLocation === 'probe'
      ? settings['ssl.ca.pem'] || undefined
      : material(settings, 'ssl.ca.pem', 'ssl.ca.location', readFile);
  if (ca !== undefined) tls.ca = ca;
  const cert = material(settings, 'ssl.certificate.pem', 'ssl.certificate.location', readFile);
  if (cert !== undefined) tls.cert = cert;
  const key = material(settings, 'ssl.key.pem', 'ssl.key.location', readFile);
  if (key !== undefined) tls.key = key;
  const pfx = material(settings, undefined, 'ssl.keystore.location', readFile);
  if (pfx !== undefined) tls.pfx = pfx;
  const passphrase =
    pfx !== undefined ? settings['ssl.keystore.password'] : (settings['ssl.key.password'] ?? undefined);
  if (passphrase !== undefined) tls.passphrase = passphrase;

  const identification = (settings['ssl.endpoint.identification.algorithm'] ?? 'https').trim().toLowerCase();
  if (identification === 'none') {
    // The certificate chain is still verified; only the host name check is off, as in librdkafka.
    tls.checkServerIdentity = () => undefined;
  } else if (identification !== 'https') {
    throw new Untranslatable(
      `ssl.endpoint.identification.algorithm: ${identification} is not known; allowed: https, none`,
    );
  }
  if ((settings['enable.ssl.certificate.verification'] ?? 'true').trim().toLowerCase() === 'false') {
    tls.rejectUnauthorized = false;
  }
  return tls;
}

function saslOptions(settings: RdkafkaSettings): SASLOptions {
  const key = settings['sasl.mechanisms'] !== undefined ? 'sasl.mechanisms' : 'sasl.mechanism';
  // librdkafka's default mechanism is GSSAPI.
  const mechanism = (settings[key] ?? 'GSSAPI').trim().toUpperCase();
  const kafkajsMechanism = KAFKAJS_MECHANISMS[mechanism];
  if (!kafkajsMechanism) {
    throw new Untranslatable(
      `${key}=${mechanism}: the topic-config reader (kafkajs) is wired for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 only`,
    );
  }
  const username = settings['sasl.username'];
  const password = settings['sasl.password'];
  if (username === undefined || password === undefined) {
    const missing = username === undefined ? 'sasl.username' : 'sasl.password';
    throw new Untranslatable(`${missing}: not set, but ${mechanism} needs it`);
  }
  return { mechanism: kafkajsMechanism, username, password } as SASLOptions;
}

/**
 * The bridge's librdkafka admin settings as a kafkajs client config, or why they cannot be: a
 * mechanism kafkajs is not wired for here, an unreadable file. Pure but for `readFile`.
 */
export function toKafkaJsConfig(settings: RdkafkaSettings, opts: TranslateOptions): KafkaJsTranslation {
  const readFile = opts.readFile ?? ((path: string) => readFileSync(path));
  try {
    const serversKey =
      settings['bootstrap.servers'] !== undefined ? 'bootstrap.servers' : 'metadata.broker.list';
    const servers = (settings[serversKey] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (servers.length === 0) throw new Untranslatable('bootstrap.servers: not set');
    const brokers = servers.map((s) => brokerAddress(s, serversKey));

    const protocol = (settings['security.protocol'] ?? 'plaintext').trim().toLowerCase();
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new Untranslatable(
        `security.protocol: ${protocol} is not known; allowed: ${PROTOCOLS.join(', ')}`,
      );
    }
    const config: KafkaConfig = {
      brokers,
      clientId: settings['client.id'] || opts.clientId,
    };
    if (protocol === 'ssl' || protocol === 'sasl_ssl') config.ssl = tlsOptions(settings, readFile);
    if (protocol === 'sasl_plaintext' || protocol === 'sasl_ssl') config.sasl = saslOptions(settings);
    return { ok: true, config };
  } catch (err) {
    if (err instanceof Untranslatable) return { ok: false, reason: err.message };
    throw err;
  }
}

export type TopicConfigResult =
  | { readonly configs: Record<string, string> }
  | { readonly unavailable: string; readonly status?: 403 };

export interface TopicConfigReader {
  /** Never rejects: a failure is `{ unavailable }` saying why, 403 when an ACL denies the read. */
  describe(topic: string): Promise<TopicConfigResult>;
  close(): Promise<void>;
}

export interface TopicConfigReaderOptions {
  /** client.id when the settings carry none, default `kafka-bridge-admin`. */
  readonly clientId?: string;
  /** Bound on one describe(), connecting included; default 10 s. */
  readonly timeoutMs?: number;
  readonly readFile?: (path: string) => Buffer;
}

const AUTHORIZATION_FAILED = new Set(['TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED']);

/** The Kafka error type of a kafkajs error, looking through the retrier's wrappers. */
function errorType(err: unknown): string | undefined {
  for (let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string') return e.type;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** A connection that dropped (the broker closes idle ones after connections.max.idle.ms) is worth one retry. */
function isConnectionLoss(err: unknown): boolean {
  const name = (err as Error | undefined)?.name ?? '';
  return name === 'KafkaJSConnectionClosedError' || name === 'KafkaJSConnectionError';
}

export function notAuthorizedToDescribeConfigs(topic: string): string {
  return `Not authorized to DescribeConfigs on topic ${topic}: grant the DescribeConfigs ACL on this topic to read its configs`;
}

/** kafkajs's own logger would print to stderr; its errors and warnings go to ours at debug. */
function logCreatorFor(log: Logger) {
  return () =>
    ({ namespace, log: entry }: LogEntry) => {
      const { message, error, broker } = entry as { message: string; error?: unknown; broker?: unknown };
      log.debug(
        { kafkajs: namespace, ...(error !== undefined ? { err: String(error) } : {}), broker },
        `topic-config reader: ${message}`,
      );
    };
}

export function createTopicConfigReader(
  adminSettings: RdkafkaSettings,
  log: Logger,
  opts: TopicConfigReaderOptions = {},
): TopicConfigReader {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let translation: KafkaJsTranslation | undefined;
  let admin: Promise<Admin> | undefined;
  let topicType = 2; // ConfigResourceTypes.TOPIC, replaced by kafkajs's own value on load
  let closed = false;

  const connect = (config: KafkaConfig): Promise<Admin> => {
    admin ??= (async () => {
      const kafkajs = (await import('kafkajs')).default;
      topicType = kafkajs.ConfigResourceTypes.TOPIC;
      const client = new kafkajs.Kafka({
        ...config,
        connectionTimeout: Math.min(timeoutMs, 5000),
        authenticationTimeout: timeoutMs,
        requestTimeout: timeoutMs,
        retry: { retries: 2, initialRetryTime: 200, maxRetryTime: timeoutMs },
        logLevel: kafkajs.logLevel.WARN,
        logCreator: logCreatorFor(log),
      });
      const a = client.admin();
      try {
        await a.connect();
      } catch (err) {
        await a.disconnect().catch(() => undefined);
        throw err;
      }
      return a;
    })();
    const pending = admin;
    // A failed connect is forgotten, so the next request tries again.
    pending.catch(() => {
      if (admin === pending) admin = undefined;
    });
    return pending;
  };

  const read = async (config: KafkaConfig, topic: string): Promise<TopicConfigResult> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const a = await connect(config);
        const reply = await a.describeConfigs({
          resources: [{ type: topicType, name: topic }],
          includeSynonyms: false,
        });
        const configs: Record<string, string> = {};
        for (const r of reply.resources) {
          for (const e of r.configEntries) {
            // Sensitive entries come back without a value; the contract's configs are strings only.
            if (e.configValue !== null && e.configValue !== undefined) configs[e.configName] = e.configValue;
          }
        }
        return { configs };
      } catch (err) {
        const type = errorType(err);
        if (type && AUTHORIZATION_FAILED.has(type)) {
          return { unavailable: notAuthorizedToDescribeConfigs(topic), status: 403 };
        }
        if (attempt === 0 && isConnectionLoss(err) && !closed) continue;
        const reason = type ?? (err as Error).message;
        log.debug({ topic, err: reason }, 'topic-config reader: DescribeConfigs failed');
        return { unavailable: `DescribeConfigs on topic ${topic} failed: ${reason}` };
      }
    }
  };

  return {
    async describe(topic) {
      if (closed) return { unavailable: 'the bridge is shutting down' };
      if (!translation) {
        translation = toKafkaJsConfig(adminSettings, {
          clientId: opts.clientId ?? 'kafka-bridge-admin',
          ...(opts.readFile ? { readFile: opts.readFile } : {}),
        });
        if (!translation.ok) log.warn({ reason: translation.reason }, 'topic configs cannot be read');
      }
      if (!translation.ok) return { unavailable: `topic configs cannot be read: ${translation.reason}` };
      const config = translation.config;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<TopicConfigResult>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              unavailable: `DescribeConfigs on topic ${topic} did not answer within ${timeoutMs} ms`,
            }),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([read(config, topic), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },

    async close() {
      closed = true;
      const pending = admin;
      admin = undefined;
      if (!pending) return;
      // A connect still in progress (a broker that does not answer) is not waited for: its client
      // is disconnected whenever it settles, within kafkajs's own timeouts.
      const settled = pending.then(
        (a) => a,
        () => undefined,
      );
      const a = await Promise.race([settled, new Promise<undefined>((r) => setTimeout(r, 200, undefined))]);
      if (a) await a.disconnect().catch(() => undefined);
      else void settled.then((late) => late?.disconnect().catch(() => undefined));
    },
  };
}

export interface TopicConfigsOptions {
  readonly settings: RdkafkaSettings;
  /** The bridge's client id; the reader connects as `<clientId>-admin`, like the librdkafka admin. */
  readonly clientId: string;
  readonly log: Logger;
  readonly timeoutMs?: number;
}

/** The reader as KafkaAdmin holds it (admin.ts). */
export class TopicConfigs implements TopicConfigReader {
  private readonly reader: TopicConfigReader;

  constructor(opts: TopicConfigsOptions) {
    this.reader = createTopicConfigReader(opts.settings, opts.log, {
      clientId: `${opts.clientId}-admin`,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  describe(topic: string): Promise<TopicConfigResult> {
    return this.reader.describe(topic);
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}
