/**
 * Java Kafka client settings -> librdkafka settings, for one client (producer, consumer or admin).
 *
 * Files written for the Strimzi bridge use the Java client's names and values (`ssl.keystore.key`,
 * `sasl.jaas.config`, `acks=all`, `security.protocol=SSL`). This module turns them into what librdkafka
 * reads, passes through what librdkafka already understands (checked against its documented ranges), and
 * explains everything else in a notice. Nothing unknown reaches librdkafka: it would either fail client
 * creation with a native error or warn about it at every start, the anchor's misleading behaviour.
 *
 * Precedence, when two settings end up on the same librdkafka property: `kafka.<client>.*` beats `kafka.*`;
 * at the same level a librdkafka-native name beats a translated Java name; defaults lose to everything.
 * librdkafka's own aliases (linger.ms / queue.buffering.max.ms, ...) are folded onto one name so this
 * precedence holds for them too.
 */
import {
  applies,
  CLIENT_OF_SCOPE,
  type ClientKind,
  type ClientSetting,
  Collector,
  checkNative,
  invalid,
  parseJavaInt,
} from './client-settings.js';
import { RDKAFKA_PROPERTIES } from './librdkafka-properties.js';
import { translateSasl } from './sasl.js';
import { PEM_NAMES } from './secrets.js';
import { pem, translateKeystore, translateTruststore } from './tls.js';
import { ConfigError, type ConfigNotice, type RdkafkaSettings } from './types.js';

export { type ClientKind, type ClientSetting, canonicalName } from './client-settings.js';
export { isSecretKey, redact } from './secrets.js';

export interface TranslatedClient {
  readonly settings: RdkafkaSettings;
  readonly notices: readonly ConfigNotice[];
  /** `max.poll.records` (consumer only): librdkafka has none, the bridge caps each poll itself. */
  readonly maxPollRecords?: number;
}

/** Java client default for max.poll.records, which the bridge applies to polls. */
export const DEFAULT_MAX_POLL_RECORDS = 500;

/**
 * Defaults where librdkafka's differ from the Java client's in a way a bridge user would notice.
 * - partitioner: Java hashes keys with murmur2; librdkafka's default (CRC32) would route the same key to
 *   another partition than every Java producer writing to the topic.
 * - isolation.level: the Java consumer reads uncommitted records by default, librdkafka committed ones.
 */
export const JAVA_COMPATIBLE_DEFAULTS: Readonly<Record<ClientKind, Readonly<Record<string, string>>>> = {
  producer: { partitioner: 'murmur2_random' },
  consumer: { 'isolation.level': 'read_uncommitted' },
  admin: {},
};

/** Java-only settings: what the bridge says about them instead of passing them on. */
const NO_EQUIVALENT: ReadonlyMap<string, { scope: '*' | 'C' | 'P'; reason: string }> = new Map([
  ...['key.serializer', 'value.serializer'].map(
    (k) =>
      [
        k,
        {
          scope: 'P' as const,
          reason: 'no librdkafka equivalent: the bridge encodes keys and values itself (embedded formats)',
        },
      ] as const,
  ),
  ...['key.deserializer', 'value.deserializer'].map(
    (k) =>
      [
        k,
        {
          scope: 'C' as const,
          reason: 'no librdkafka equivalent: the bridge decodes keys and values itself (embedded formats)',
        },
      ] as const,
  ),
  [
    'max.block.ms',
    {
      scope: 'P',
      reason:
        'no librdkafka equivalent: librdkafka never blocks a send; a full queue fails the record at once (see queue.buffering.max.messages)',
    },
  ],
  [
    'partitioner.class',
    {
      scope: 'P',
      reason:
        'no librdkafka equivalent: keys are hashed with murmur2 like the Java default (librdkafka partitioner)',
    },
  ],
  ['partitioner.ignore.keys', { scope: 'P', reason: 'no librdkafka equivalent' }],
  ['partitioner.adaptive.partitioning.enable', { scope: 'P', reason: 'no librdkafka equivalent' }],
  ['partitioner.availability.timeout.ms', { scope: 'P', reason: 'no librdkafka equivalent' }],
  [
    'default.api.timeout.ms',
    { scope: '*', reason: 'no librdkafka equivalent: each bridge operation has its own timeout' },
  ],
  ['interceptor.classes', { scope: '*', reason: 'no librdkafka equivalent: Java classes cannot be loaded' }],
  ['metric.reporters', { scope: '*', reason: 'no librdkafka equivalent: metrics are served on /metrics' }],
  ['metrics.num.samples', { scope: '*', reason: 'no librdkafka equivalent: metrics are served on /metrics' }],
  [
    'metrics.sample.window.ms',
    { scope: '*', reason: 'no librdkafka equivalent: metrics are served on /metrics' },
  ],
  [
    'metrics.recording.level',
    { scope: '*', reason: 'no librdkafka equivalent: metrics are served on /metrics' },
  ],
  ['auto.include.jmx.reporter', { scope: '*', reason: 'no librdkafka equivalent: there is no JMX' }],
  [
    'exclude.internal.topics',
    { scope: 'C', reason: 'no librdkafka equivalent: internal topics are not subscribed' },
  ],
  ['metadata.max.idle.ms', { scope: 'P', reason: 'no librdkafka equivalent' }],
  ['socket.connection.setup.timeout.max.ms', { scope: '*', reason: 'no librdkafka equivalent' }],
  ['security.providers', { scope: '*', reason: 'no librdkafka equivalent: TLS is OpenSSL' }],
  ['ssl.protocol', { scope: '*', reason: 'no librdkafka equivalent: OpenSSL negotiates the TLS version' }],
  [
    'ssl.enabled.protocols',
    { scope: '*', reason: 'no librdkafka equivalent: OpenSSL negotiates the TLS version' },
  ],
  ['ssl.provider', { scope: '*', reason: 'no librdkafka equivalent: TLS is OpenSSL' }],
  ['ssl.keymanager.algorithm', { scope: '*', reason: 'no librdkafka equivalent: TLS is OpenSSL' }],
  ['ssl.trustmanager.algorithm', { scope: '*', reason: 'no librdkafka equivalent: TLS is OpenSSL' }],
  ['ssl.secure.random.implementation', { scope: '*', reason: 'no librdkafka equivalent: TLS is OpenSSL' }],
  [
    'ssl.engine.factory.class',
    { scope: '*', reason: 'no librdkafka equivalent: Java classes cannot be loaded' },
  ],
  [
    'sasl.client.callback.handler.class',
    { scope: '*', reason: 'no librdkafka equivalent: Java classes cannot be loaded' },
  ],
  [
    'sasl.login.callback.handler.class',
    { scope: '*', reason: 'no librdkafka equivalent: Java classes cannot be loaded' },
  ],
  ['sasl.login.class', { scope: '*', reason: 'no librdkafka equivalent: Java classes cannot be loaded' }],
  [
    'sasl.kerberos.ticket.renew.window.factor',
    { scope: '*', reason: 'no librdkafka equivalent (see sasl.kerberos.min.time.before.relogin)' },
  ],
  ['sasl.kerberos.ticket.renew.jitter', { scope: '*', reason: 'no librdkafka equivalent' }],
]);

const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

const ASSIGNORS: ReadonlyMap<string, string> = new Map([
  ['org.apache.kafka.clients.consumer.RangeAssignor', 'range'],
  ['org.apache.kafka.clients.consumer.RoundRobinAssignor', 'roundrobin'],
  ['org.apache.kafka.clients.consumer.CooperativeStickyAssignor', 'cooperative-sticky'],
  ['range', 'range'],
  ['roundrobin', 'roundrobin'],
  ['cooperative-sticky', 'cooperative-sticky'],
]);

/** Keys handled above as a group, never one by one. */
const GROUPED = new Set([
  'ssl.keystore.type',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.key',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.truststore.type',
  'ssl.truststore.certificates',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'sasl.mechanism',
  'sasl.mechanisms',
  'sasl.jaas.config',
]);

/**
 * Translates the merged settings of one client. `defaults` sit below everything the user wrote.
 * Throws ConfigError (naming the key as written) for a value neither client would accept.
 */
export function translateClient(
  kind: ClientKind,
  settings: ReadonlyMap<string, ClientSetting>,
  defaults: Readonly<Record<string, string>> = {},
): TranslatedClient {
  const out = new Collector();
  const notices: ConfigNotice[] = [];
  let maxPollRecords: number | undefined;
  for (const [name, value] of Object.entries({ ...JAVA_COMPATIBLE_DEFAULTS[kind], ...defaults })) {
    out.put(name, value, undefined, true);
  }
  const get = (k: string) => settings.get(k);
  translateKeystore(get, out);
  translateTruststore(get, out);
  translateSasl(get, out, notices);

  const notice = (s: ClientSetting, reason: string) => notices.push({ key: s.source, reason });
  const elsewhere = (s: ClientSetting, scope: '*' | 'C' | 'P') => {
    // A `kafka.*` setting is meant for whichever client uses it; only a misplaced specific one is news.
    if (s.specific) notice(s, `a ${CLIENT_OF_SCOPE[scope]} setting; the ${kind} does not use it`);
  };
  const native = (name: string, s: ClientSetting, raw?: string, asNative = true) => {
    const prop = RDKAFKA_PROPERTIES.get(name)!;
    if (!applies(kind, prop.scope)) return elsewhere(s, prop.scope);
    out.put(name, checkNative(name, prop, s, raw), s, asNative);
  };

  for (const [name, s] of settings) {
    if (GROUPED.has(name) || name.startsWith('config.providers')) continue;
    const value = s.value.trim();
    switch (name) {
      case 'bootstrap.servers':
      case 'metadata.broker.list': {
        // Java trims each entry of a list; keep librdkafka's list free of blanks too.
        const servers = value
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
        if (servers.length === 0 || servers.some((v) => /\s/.test(v))) invalid(s, 'host:port[,host:port...]');
        out.put('bootstrap.servers', servers.join(','), s, true);
        continue;
      }
      case 'security.protocol': {
        const upper = value.toUpperCase();
        if (!SECURITY_PROTOCOLS.includes(upper)) invalid(s, SECURITY_PROTOCOLS.join(', '));
        out.put(name, upper.toLowerCase(), s, true);
        continue;
      }
      case 'ssl.endpoint.identification.algorithm': {
        const lower = value.toLowerCase();
        if (lower !== 'https' && lower !== '' && lower !== 'none') {
          invalid(s, 'HTTPS (verify the broker host name) or empty (do not)');
        }
        out.put(name, lower === 'https' ? 'https' : 'none', s, true);
        continue;
      }
      case 'acks': {
        if (kind !== 'producer') {
          elsewhere(s, 'P');
          continue;
        }
        const lower = value.toLowerCase();
        if (!['all', '-1', '0', '1'].includes(lower)) invalid(s, 'all, -1, 0, 1');
        out.put('acks', lower === 'all' ? '-1' : lower, s, true);
        continue;
      }
      case 'auto.offset.reset': {
        if (kind !== 'consumer') {
          elsewhere(s, 'C');
          continue;
        }
        // Java's `none` (fail when there is no committed offset) is librdkafka's `error`.
        native(name, s, value.toLowerCase() === 'none' ? 'error' : value);
        continue;
      }
      case 'batch.size':
        // Java's 0 disables batching; librdkafka's smallest batch is 1 byte, which does the same.
        native(name, s, value === '0' ? '1' : value);
        continue;
      case 'max.request.size':
        if (kind !== 'producer') elsewhere(s, 'P');
        else native('message.max.bytes', s, value, false);
        continue;
      case 'buffer.memory': {
        if (kind !== 'producer') {
          elsewhere(s, 'P');
          continue;
        }
        const bytes = parseJavaInt(s, 0, Number.MAX_SAFE_INTEGER, 'a number of bytes, 0 or more');
        native('queue.buffering.max.kbytes', s, String(Math.max(1, Math.ceil(bytes / 1024))), false);
        continue;
      }
      case 'send.buffer.bytes':
      case 'receive.buffer.bytes': {
        const bytes = parseJavaInt(
          s,
          -1,
          100000000,
          'a number of bytes 0 .. 100000000, or -1 for the OS default',
        );
        native(`socket.${name}`, s, String(Math.max(0, bytes)), false);
        continue;
      }
      case 'fetch.max.wait.ms':
        native('fetch.wait.max.ms', s, value, false);
        continue;
      case 'request.timeout.ms':
        // librdkafka's request.timeout.ms is the producer's; socket.timeout.ms bounds every other request.
        if (kind === 'producer') native(name, s, value);
        else native('socket.timeout.ms', s, value, false);
        continue;
      case 'max.poll.records':
        if (kind !== 'consumer') elsewhere(s, 'C');
        else maxPollRecords = parseJavaInt(s, 1, 2147483647, 'an integer 1 .. 2147483647');
        continue;
      case 'group.id':
        if (kind === 'consumer' || s.specific) {
          notice(s, 'ignored: each consumer takes its group id from the URL (POST /consumers/{groupid})');
        }
        continue;
      case 'partition.assignment.strategy': {
        if (kind !== 'consumer') {
          elsewhere(s, 'C');
          continue;
        }
        const names = value
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
        const mapped = names.map((n) => ASSIGNORS.get(n));
        const allowed =
          'RangeAssignor, RoundRobinAssignor or CooperativeStickyAssignor (or range, roundrobin, cooperative-sticky), not mixing cooperative with the others';
        if (names.length === 0 || mapped.some((m) => m === undefined)) invalid(s, allowed);
        const cooperative = mapped.filter((m) => m === 'cooperative-sticky').length;
        if (cooperative > 0 && cooperative < mapped.length) invalid(s, allowed);
        out.put(name, [...new Set(mapped)].join(','), s, true);
        continue;
      }
    }
    const rd = RDKAFKA_PROPERTIES.get(name);
    const java = NO_EQUIVALENT.get(name);
    if (rd) {
      if (rd.type === 'api') {
        notice(s, 'set by the bridge itself through the librdkafka API; it cannot be configured');
        continue;
      }
      if (PEM_NAMES.has(name) || name === 'ssl.key.pem') {
        if (!applies(kind, rd.scope)) elsewhere(s, rd.scope);
        else out.put(name, pem(s), s, true);
        continue;
      }
      native(name, s);
      continue;
    }
    if (java) {
      if (applies(kind, java.scope)) notice(s, java.reason);
      else elsewhere(s, java.scope);
      continue;
    }
    notice(
      s,
      'no librdkafka equivalent: not a librdkafka setting, nor a Java client setting the bridge translates',
    );
  }

  if (kind === 'producer') {
    const idempotence = out.get('enable.idempotence');
    const acks = out.get('acks');
    if (idempotence?.value === 'true' && acks && acks.value !== '-1') {
      throw new ConfigError(
        idempotence.source,
        `${idempotence.source}: true needs acks=all, but ${acks.source} is ${acks.value}; allowed: false, or set acks=all`,
      );
    }
  }

  const result: Record<string, string> = {};
  for (const [name, entry] of out.entries) result[name] = entry.value;
  return {
    settings: result,
    notices,
    ...(kind === 'consumer' ? { maxPollRecords: maxPollRecords ?? DEFAULT_MAX_POLL_RECORDS } : {}),
  };
}
