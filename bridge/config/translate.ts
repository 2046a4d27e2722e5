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
import { parseJaasConfig } from './jaas.js';
import { RDKAFKA_PROPERTIES, type RdkafkaProperty } from './librdkafka-properties.js';
import { countPemBlocks, normalizePem } from './pem.js';
import { ConfigError, type ConfigNotice, type RdkafkaSettings } from './types.js';

export type ClientKind = 'producer' | 'consumer' | 'admin';

/** One Java-client setting for one client, after prefix merging. */
export interface ClientSetting {
  readonly value: string;
  /** The key as written, e.g. `kafka.producer.acks`; errors and notices name it. */
  readonly source: string;
  /** From `kafka.<client>.*`, which wins over `kafka.*`. */
  readonly specific: boolean;
}

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

// librdkafka aliases folded onto one name: the Java client's name where there is one.
const CANONICAL: ReadonlyMap<string, string> = new Map([
  ['metadata.broker.list', 'bootstrap.servers'],
  ['queue.buffering.max.ms', 'linger.ms'],
  ['message.send.max.retries', 'retries'],
  ['compression.codec', 'compression.type'],
  ['request.required.acks', 'acks'],
  ['message.timeout.ms', 'delivery.timeout.ms'],
  ['fetch.message.max.bytes', 'max.partition.fetch.bytes'],
  ['sasl.mechanism', 'sasl.mechanisms'],
  ['max.in.flight', 'max.in.flight.requests.per.connection'],
  ['sasl.oauthbearer.client.credentials.client.id', 'sasl.oauthbearer.client.id'],
  ['sasl.oauthbearer.client.credentials.client.secret', 'sasl.oauthbearer.client.secret'],
]);

export function canonicalName(name: string): string {
  return CANONICAL.get(name) ?? name;
}

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

const PEM_NAMES = new Set(['ssl.certificate.pem', 'ssl.ca.pem', 'https.ca.pem']);

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
function shown(source: string, value: string): string {
  return isSecretKey(source) ? 'the value' : JSON.stringify(value);
}

function invalid(setting: ClientSetting, allowed: string, target?: string): never {
  const bare = setting.source.replace(/^kafka\.(?:(?:producer|consumer|admin)\.)?/, '');
  const via = target && target !== bare ? ` (librdkafka ${target})` : '';
  throw new ConfigError(
    setting.source,
    `${setting.source}: ${shown(setting.source, setting.value.trim())} is not allowed${via}; allowed: ${allowed}`,
  );
}

function describeAllowed(prop: RdkafkaProperty): string {
  switch (prop.type) {
    case 'int':
      return `an integer ${prop.min} .. ${prop.max}`;
    case 'float':
      return `a number ${prop.min} .. ${prop.max}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return (prop.values ?? []).join(', ');
    case 'flags':
      return `a comma-separated list of ${(prop.values ?? []).join(', ')}`;
    default:
      return 'a string';
  }
}

/** Checks a value against librdkafka's documented type and range; returns it in librdkafka's spelling. */
function checkNative(
  name: string,
  prop: RdkafkaProperty,
  setting: ClientSetting,
  raw = setting.value,
): string {
  const value = raw.trim();
  const fail = () => invalid({ ...setting, value }, describeAllowed(prop), name);
  switch (prop.type) {
    case 'int': {
      if (!/^[-+]?\d+$/.test(value)) fail();
      const n = Number(value);
      if (prop.min !== undefined && n < prop.min) fail();
      if (prop.max !== undefined && n > prop.max) fail();
      return String(n);
    }
    case 'float': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) fail();
      if (prop.min !== undefined && n < prop.min) fail();
      if (prop.max !== undefined && n > prop.max) fail();
      return String(n);
    }
    case 'bool': {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') fail();
      return lower;
    }
    case 'enum': {
      const hit = prop.values?.find((v) => v.toLowerCase() === value.toLowerCase());
      if (hit === undefined) fail();
      return hit as string;
    }
    case 'flags': {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (prop.values) {
        const out = items.map((item) => prop.values?.find((v) => v.toLowerCase() === item.toLowerCase()));
        if (out.some((v) => v === undefined)) fail();
        return out.join(',');
      }
      return items.join(',');
    }
    default:
      return value;
  }
}

function applies(kind: ClientKind, scope: '*' | 'C' | 'P'): boolean {
  return scope === '*' || (scope === 'P' && kind === 'producer') || (scope === 'C' && kind === 'consumer');
}

const CLIENT_OF_SCOPE = { C: 'consumer', P: 'producer', '*': 'Kafka client' } as const;

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
const SASL_MECHANISMS = ['GSSAPI', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];
const STORE_TYPES = ['PEM', 'PKCS12', 'JKS'];

const ASSIGNORS: ReadonlyMap<string, string> = new Map([
  ['org.apache.kafka.clients.consumer.RangeAssignor', 'range'],
  ['org.apache.kafka.clients.consumer.RoundRobinAssignor', 'roundrobin'],
  ['org.apache.kafka.clients.consumer.CooperativeStickyAssignor', 'cooperative-sticky'],
  ['range', 'range'],
  ['roundrobin', 'roundrobin'],
  ['cooperative-sticky', 'cooperative-sticky'],
]);

interface OutEntry {
  readonly value: string;
  readonly rank: number;
  readonly source: string;
}

/** Collects librdkafka settings, keeping per property the one with the highest precedence. */
class Collector {
  readonly entries = new Map<string, OutEntry>();

  put(name: string, value: string, from: ClientSetting | undefined, native: boolean): void {
    const key = canonicalName(name);
    // Ranks: default -1; kafka.* translated 0, native 1; kafka.<client>.* translated 2, native 3.
    const rank = from ? (from.specific ? 2 : 0) + (native ? 1 : 0) : -1;
    const prev = this.entries.get(key);
    if (prev && prev.rank > rank) return;
    this.entries.set(key, { value, rank, source: from?.source ?? '(default)' });
  }

  get(name: string): OutEntry | undefined {
    return this.entries.get(canonicalName(name));
  }
}

function pem(setting: ClientSetting): string {
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

function translateKeystore(get: (k: string) => ClientSetting | undefined, out: Collector): void {
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

function translateTruststore(get: (k: string) => ClientSetting | undefined, out: Collector): void {
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

const JAAS_EXPECTED =
  'expected <LoginModule class> required username="..." password="..."; for PLAIN and SCRAM';

function translateSasl(
  get: (k: string) => ClientSetting | undefined,
  out: Collector,
  notices: ConfigNotice[],
): void {
  const mechanismSetting = get('sasl.mechanism') ?? get('sasl.mechanisms');
  let mechanism: string | undefined;
  if (mechanismSetting) {
    mechanism = mechanismSetting.value.trim().toUpperCase();
    if (!SASL_MECHANISMS.includes(mechanism))
      invalid(mechanismSetting, SASL_MECHANISMS.join(', '), 'sasl.mechanisms');
    out.put('sasl.mechanisms', mechanism, mechanismSetting, true);
  }
  const jaasSetting = get('sasl.jaas.config');
  if (!jaasSetting) return;
  let jaas: ReturnType<typeof parseJaasConfig>;
  try {
    jaas = parseJaasConfig(jaasSetting.value);
  } catch (err) {
    throw new ConfigError(
      jaasSetting.source,
      `${jaasSetting.source}: malformed JAAS configuration: ${(err as Error).message}; ${JAAS_EXPECTED}`,
    );
  }
  const moduleName = jaas.loginModule.slice(jaas.loginModule.lastIndexOf('.') + 1);
  const option = (name: string): string => {
    const v = jaas.options.get(name);
    if (v === undefined) {
      throw new ConfigError(
        jaasSetting.source,
        `${jaasSetting.source}: ${moduleName} needs the option ${name}; ${JAAS_EXPECTED}`,
      );
    }
    return v;
  };
  const needMechanism = (allowed: string[], fallback: string | undefined): void => {
    if (mechanism === undefined && fallback !== undefined) {
      out.put('sasl.mechanisms', fallback, jaasSetting, false);
      return;
    }
    if (mechanism === undefined || !allowed.includes(mechanism)) {
      const key =
        mechanismSetting?.source ?? jaasSetting.source.replace(/sasl\.jaas\.config$/, 'sasl.mechanism');
      throw new ConfigError(
        key,
        `${key}: ${mechanism ?? 'unset'} does not match the ${moduleName} in ${jaasSetting.source}; allowed: ${allowed.join(', ')}`,
      );
    }
  };
  switch (moduleName) {
    case 'PlainLoginModule':
      needMechanism(['PLAIN'], 'PLAIN');
      out.put('sasl.username', option('username'), jaasSetting, false);
      out.put('sasl.password', option('password'), jaasSetting, false);
      break;
    case 'ScramLoginModule':
      needMechanism(['SCRAM-SHA-256', 'SCRAM-SHA-512'], undefined);
      out.put('sasl.username', option('username'), jaasSetting, false);
      out.put('sasl.password', option('password'), jaasSetting, false);
      break;
    case 'OAuthBearerLoginModule': {
      needMechanism(['OAUTHBEARER'], 'OAUTHBEARER');
      // Strimzi's OAuth client options, client-credentials grant: librdkafka's built-in OIDC does the same.
      const endpoint = jaas.options.get('oauth.token.endpoint.uri');
      if (endpoint === undefined) {
        throw new ConfigError(
          jaasSetting.source,
          `${jaasSetting.source}: OAuthBearerLoginModule needs oauth.token.endpoint.uri, oauth.client.id and oauth.client.secret (client-credentials, as librdkafka's OIDC supports); other OAuth flows are not supported`,
        );
      }
      out.put('sasl.oauthbearer.method', 'oidc', jaasSetting, false);
      out.put('sasl.oauthbearer.token.endpoint.url', endpoint, jaasSetting, false);
      out.put('sasl.oauthbearer.client.id', option('oauth.client.id'), jaasSetting, false);
      out.put('sasl.oauthbearer.client.secret', option('oauth.client.secret'), jaasSetting, false);
      const scope = jaas.options.get('oauth.scope');
      if (scope !== undefined) out.put('sasl.oauthbearer.scope', scope, jaasSetting, false);
      for (const name of jaas.options.keys()) {
        if (
          !['oauth.token.endpoint.uri', 'oauth.client.id', 'oauth.client.secret', 'oauth.scope'].includes(
            name,
          )
        ) {
          notices.push({ key: `${jaasSetting.source} option ${name}`, reason: 'no librdkafka equivalent' });
        }
      }
      break;
    }
    case 'Krb5LoginModule': {
      needMechanism(['GSSAPI'], 'GSSAPI');
      const keytab = jaas.options.get('keyTab');
      const principal = jaas.options.get('principal');
      if (keytab !== undefined) out.put('sasl.kerberos.keytab', keytab, jaasSetting, false);
      if (principal !== undefined) out.put('sasl.kerberos.principal', principal, jaasSetting, false);
      break;
    }
    default:
      throw new ConfigError(
        jaasSetting.source,
        `${jaasSetting.source}: login module ${jaas.loginModule} has no librdkafka equivalent; allowed: PlainLoginModule, ScramLoginModule, OAuthBearerLoginModule (client credentials), Krb5LoginModule`,
      );
  }
}

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

function parseJavaInt(setting: ClientSetting, min: number, max: number, allowed: string): number {
  const v = setting.value.trim();
  if (!/^[-+]?\d+$/.test(v)) invalid(setting, allowed);
  const n = Number(v);
  if (n < min || n > max) invalid(setting, allowed);
  return n;
}

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
