import { normalizePem } from '../../bridge/config/pem.js';
import {
  type ClientKind,
  type ClientSetting,
  isSecretKey,
  redact,
  translateClient,
} from '../../bridge/config/translate.js';
import { ConfigError } from '../../bridge/config/types.js';
import { createCa, type KeyPair } from '../../certs/certificates.js';

/** Settings as loadConfig hands them over: `kafka.<name>` unless the name is given with a client prefix. */
function settings(entries: Record<string, string>): Map<string, ClientSetting> {
  const out = new Map<string, ClientSetting>();
  for (const [key, value] of Object.entries(entries)) {
    const m = /^(producer|consumer|admin)\.(.+)$/.exec(key);
    const name = m ? m[2]! : key;
    out.set(name, { value, source: `kafka.${key}`, specific: m !== null });
  }
  return out;
}

function t(kind: ClientKind, entries: Record<string, string>) {
  return translateClient(kind, settings(entries));
}

/** The settings without the Java-compatible defaults, to compare what a test wrote. */
function written(kind: ClientKind, entries: Record<string, string>): Record<string, string> {
  const { partitioner: _p, 'isolation.level': _i, ...rest } = t(kind, entries).settings;
  return rest;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

let ca: KeyPair;
beforeAll(async () => {
  ca = await createCa('translate');
});

describe('security.protocol and TLS', () => {
  it.each([
    ['PLAINTEXT', 'plaintext'],
    ['SSL', 'ssl'],
    ['SASL_PLAINTEXT', 'sasl_plaintext'],
    ['sasl_ssl', 'sasl_ssl'],
  ])('security.protocol=%s -> %s', (java, rd) => {
    expect(written('admin', { 'security.protocol': java })).toEqual({ 'security.protocol': rd });
  });

  it('ssl.endpoint.identification.algorithm: HTTPS -> https, empty -> none', () => {
    expect(written('admin', { 'ssl.endpoint.identification.algorithm': 'HTTPS' })).toEqual({
      'ssl.endpoint.identification.algorithm': 'https',
    });
    expect(written('admin', { 'ssl.endpoint.identification.algorithm': '' })).toEqual({
      'ssl.endpoint.identification.algorithm': 'none',
    });
  });

  it('inline PEM keystore and truststore -> ssl.certificate.pem, ssl.key.pem, ssl.ca.pem', () => {
    const out = written('consumer', {
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.certificate.chain': ca.cert,
      'ssl.keystore.key': ca.key,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.certificates': ca.cert,
      'ssl.key.password': 'kp',
    });
    expect(out).toEqual({
      'ssl.certificate.pem': normalizePem(ca.cert),
      'ssl.key.pem': normalizePem(ca.key),
      'ssl.ca.pem': normalizePem(ca.cert),
      'ssl.key.password': 'kp',
    });
  });

  it('PEM keystore/truststore files -> certificate+key location and CA location', () => {
    expect(
      written('producer', {
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': '/certs/user.bundle',
        'ssl.keystore.password': 'unused-for-pem',
        'ssl.truststore.location': '/certs/ca.crt',
        'ssl.truststore.password': 'unused',
      }),
    ).toEqual({
      'ssl.certificate.location': '/certs/user.bundle',
      'ssl.key.location': '/certs/user.bundle',
      'ssl.ca.location': '/certs/ca.crt',
    });
  });

  it('PKCS12 keystore -> ssl.keystore.location + password, as librdkafka reads PKCS#12 itself', () => {
    expect(
      written('admin', {
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': '/certs/user.p12',
        'ssl.keystore.password': 'store-pw',
      }),
    ).toEqual({ 'ssl.keystore.location': '/certs/user.p12', 'ssl.keystore.password': 'store-pw' });
    // Without a type, the extension decides.
    expect(written('admin', { 'ssl.keystore.location': '/certs/user.p12' })).toEqual({
      'ssl.keystore.location': '/certs/user.p12',
    });
  });

  it.each([
    [
      { 'ssl.keystore.type': 'JKS', 'ssl.keystore.location': '/x.jks' },
      'kafka.ssl.keystore.type',
      'kafka.ssl.keystore.type: librdkafka cannot read JKS keystores; allowed ssl.keystore.type: PEM or PKCS12',
    ],
    [
      { 'ssl.keystore.location': '/x.keystore' },
      'kafka.ssl.keystore.location',
      'kafka.ssl.keystore.location: librdkafka cannot read JKS keystores (no ssl.keystore.type, and /x.keystore does not end in .pem or .p12); allowed ssl.keystore.type: PEM or PKCS12',
    ],
    [
      { 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.location': '/t.p12' },
      'kafka.ssl.truststore.type',
      'kafka.ssl.truststore.type: librdkafka cannot read PKCS12 truststores; allowed ssl.truststore.type: PEM (a PEM file in ssl.truststore.location, or ssl.truststore.certificates)',
    ],
    [
      { 'ssl.keystore.type': 'BCFKS' },
      'kafka.ssl.keystore.type',
      'kafka.ssl.keystore.type: "BCFKS" is not allowed; allowed: PEM, PKCS12, JKS',
    ],
    [
      { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.key': 'k', 'ssl.keystore.certificate.chain': 'c' },
      'kafka.ssl.keystore.type',
      'kafka.ssl.keystore.type: must be PEM when kafka.ssl.keystore.certificate.chain is set; allowed: PEM',
    ],
    [
      { 'ssl.keystore.certificate.chain': 'c' },
      'kafka.ssl.keystore.certificate.chain',
      'kafka.ssl.keystore.certificate.chain: needs ssl.keystore.key as well (the certificate and its key)',
    ],
    [
      { 'ssl.truststore.certificates': 'not pem' },
      'kafka.ssl.truststore.certificates',
      'kafka.ssl.truststore.certificates: no PEM block found (expected -----BEGIN ...----- ... -----END ...-----); allowed: PEM text',
    ],
    [
      { 'ssl.endpoint.identification.algorithm': 'LDAPS' },
      'kafka.ssl.endpoint.identification.algorithm',
      'kafka.ssl.endpoint.identification.algorithm: "LDAPS" is not allowed; allowed: HTTPS (verify the broker host name) or empty (do not)',
    ],
    [
      { 'security.protocol': 'FOO' },
      'kafka.security.protocol',
      'kafka.security.protocol: "FOO" is not allowed; allowed: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL',
    ],
  ])('%j is refused naming %s', (entries, key, message) => {
    const err = errorOf(() => t('producer', entries));
    expect(err.key).toBe(key);
    expect(err.message).toBe(message);
  });

  it('a malformed private key is reported without quoting it', () => {
    const err = errorOf(() =>
      t('producer', {
        'ssl.keystore.certificate.chain': ca.cert,
        'ssl.keystore.key': '-----BEGIN PRIVATE KEY-----sup3r$ecret-----END PRIVATE KEY-----',
      }),
    );
    expect(err.message).toBe(
      'kafka.ssl.keystore.key: the PRIVATE KEY block is not base64; allowed: PEM text',
    );
  });
});

describe('SASL', () => {
  const plain =
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr\\"et";';
  const scram =
    'org.apache.kafka.common.security.scram.ScramLoginModule required username=bob password="pw";';

  it('PLAIN: sasl.jaas.config -> sasl.username/sasl.password, mechanism inferred', () => {
    expect(written('admin', { 'security.protocol': 'SASL_SSL', 'sasl.jaas.config': plain })).toEqual({
      'security.protocol': 'sasl_ssl',
      'sasl.mechanisms': 'PLAIN',
      'sasl.username': 'alice',
      'sasl.password': 's3cr"et',
    });
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-512'])('%s: sasl.mechanism + ScramLoginModule', (mechanism) => {
    expect(written('consumer', { 'sasl.mechanism': mechanism, 'sasl.jaas.config': scram })).toEqual({
      'sasl.mechanisms': mechanism,
      'sasl.username': 'bob',
      'sasl.password': 'pw',
    });
  });

  it('OAuth client credentials (Strimzi OAuth options) -> librdkafka OIDC', () => {
    const out = t('producer', {
      'sasl.mechanism': 'OAUTHBEARER',
      'sasl.jaas.config':
        'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required oauth.token.endpoint.uri="https://sso/token" oauth.client.id="bridge" oauth.client.secret="cs" oauth.scope="kafka" oauth.ssl.truststore.type="PEM";',
    });
    expect(out.settings).toMatchObject({
      'sasl.mechanisms': 'OAUTHBEARER',
      'sasl.oauthbearer.method': 'oidc',
      'sasl.oauthbearer.token.endpoint.url': 'https://sso/token',
      'sasl.oauthbearer.client.id': 'bridge',
      'sasl.oauthbearer.client.secret': 'cs',
      'sasl.oauthbearer.scope': 'kafka',
    });
    expect(out.notices).toEqual([
      { key: 'kafka.sasl.jaas.config option oauth.ssl.truststore.type', reason: 'no librdkafka equivalent' },
    ]);
  });

  it.each([
    [
      { 'sasl.jaas.config': scram },
      'kafka.sasl.mechanism',
      'kafka.sasl.mechanism: unset does not match the ScramLoginModule in kafka.sasl.jaas.config; allowed: SCRAM-SHA-256, SCRAM-SHA-512',
    ],
    [
      { 'sasl.mechanism': 'SCRAM-SHA-256', 'sasl.jaas.config': plain },
      'kafka.sasl.mechanism',
      'kafka.sasl.mechanism: SCRAM-SHA-256 does not match the PlainLoginModule in kafka.sasl.jaas.config; allowed: PLAIN',
    ],
    [
      { 'sasl.mechanism': 'DIGEST-MD5' },
      'kafka.sasl.mechanism',
      'kafka.sasl.mechanism: "DIGEST-MD5" is not allowed (librdkafka sasl.mechanisms); allowed: GSSAPI, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER',
    ],
    [
      {
        'sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="leaky"',
      },
      'kafka.sasl.jaas.config',
      'kafka.sasl.jaas.config: malformed JAAS configuration: it must end with ";"; expected <LoginModule class> required username="..." password="..."; for PLAIN and SCRAM',
    ],
    [
      {
        'sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="leaky;',
      },
      'kafka.sasl.jaas.config',
      'kafka.sasl.jaas.config: malformed JAAS configuration: a quoted value is not closed (missing "); expected <LoginModule class> required username="..." password="..."; for PLAIN and SCRAM',
    ],
    [
      {
        'sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule username="alice" password="leaky";',
      },
      'kafka.sasl.jaas.config',
      'kafka.sasl.jaas.config: malformed JAAS configuration: the login module class must be followed by a control flag (required, requisite, sufficient or optional); expected <LoginModule class> required username="..." password="..."; for PLAIN and SCRAM',
    ],
    [
      {
        'sasl.jaas.config':
          'org.apache.kafka.common.security.plain.PlainLoginModule required password="leaky";',
      },
      'kafka.sasl.jaas.config',
      'kafka.sasl.jaas.config: PlainLoginModule needs the option username; expected <LoginModule class> required username="..." password="..."; for PLAIN and SCRAM',
    ],
    [
      { 'sasl.jaas.config': `${plain} ${plain}` },
      'kafka.sasl.jaas.config',
      'kafka.sasl.jaas.config: malformed JAAS configuration: it holds more than one login module; a Kafka client takes exactly one; expected <LoginModule class> required username="..." password="..."; for PLAIN and SCRAM',
    ],
    [
      { 'sasl.jaas.config': 'com.example.CustomLoginModule required token="leaky";' },
      'kafka.sasl.jaas.config',
      'kafka.sasl.jaas.config: login module com.example.CustomLoginModule has no librdkafka equivalent; allowed: PlainLoginModule, ScramLoginModule, OAuthBearerLoginModule (client credentials), Krb5LoginModule',
    ],
  ])('%j is refused naming %s, without the credentials', (entries, key, message) => {
    const err = errorOf(() => t('consumer', entries));
    expect(err.key).toBe(key);
    expect(err.message).toBe(message);
    expect(err.message).not.toMatch(/leaky|s3cr|alice/);
  });
});

describe('producer settings', () => {
  it.each([
    ['all', '-1'],
    ['-1', '-1'],
    ['0', '0'],
    ['1', '1'],
  ])('acks=%s -> %s', (java, rd) => {
    expect(written('producer', { acks: java })).toEqual({ acks: rd });
  });

  it('translates and checks the common producer settings', () => {
    expect(
      written('producer', {
        'linger.ms': '20',
        'batch.size': '16384',
        'compression.type': 'zstd',
        'max.request.size': '2097152',
        'request.timeout.ms': '30000',
        retries: '5',
        'enable.idempotence': 'false',
        'delivery.timeout.ms': '120000',
        'client.id': 'me',
        'buffer.memory': '33554432',
        'send.buffer.bytes': '-1',
        'max.in.flight.requests.per.connection': '5',
      }),
    ).toEqual({
      'linger.ms': '20',
      'batch.size': '16384',
      'compression.type': 'zstd',
      'message.max.bytes': '2097152',
      'request.timeout.ms': '30000',
      retries: '5',
      'enable.idempotence': 'false',
      'delivery.timeout.ms': '120000',
      'client.id': 'me',
      'queue.buffering.max.kbytes': '32768',
      'socket.send.buffer.bytes': '0',
      'max.in.flight.requests.per.connection': '5',
    });
  });

  it('keeps keys on Java’s murmur2 partitioning unless told otherwise', () => {
    expect(t('producer', {}).settings.partitioner).toBe('murmur2_random');
    expect(t('producer', { partitioner: 'consistent' }).settings.partitioner).toBe('consistent');
    expect(t('consumer', {}).settings.partitioner).toBeUndefined();
  });

  it('batch.size=0 (Java: no batching) becomes librdkafka’s smallest batch', () => {
    expect(written('producer', { 'batch.size': '0' })).toEqual({ 'batch.size': '1' });
  });

  it.each([
    [{ acks: '2' }, 'kafka.acks', 'kafka.acks: "2" is not allowed; allowed: all, -1, 0, 1'],
    [
      { 'linger.ms': 'soon' },
      'kafka.linger.ms',
      'kafka.linger.ms: "soon" is not allowed; allowed: a number 0 .. 900000',
    ],
    [
      { 'linger.ms': '-5' },
      'kafka.linger.ms',
      'kafka.linger.ms: "-5" is not allowed; allowed: a number 0 .. 900000',
    ],
    [
      { 'compression.type': 'brotli' },
      'kafka.compression.type',
      'kafka.compression.type: "brotli" is not allowed; allowed: none, gzip, snappy, lz4, zstd',
    ],
    [
      { 'max.request.size': '10' },
      'kafka.max.request.size',
      'kafka.max.request.size: "10" is not allowed (librdkafka message.max.bytes); allowed: an integer 1000 .. 1000000000',
    ],
    [
      { 'enable.idempotence': 'yes' },
      'kafka.enable.idempotence',
      'kafka.enable.idempotence: "yes" is not allowed; allowed: true or false',
    ],
    [
      { 'enable.idempotence': 'true', 'producer.acks': '1' },
      'kafka.enable.idempotence',
      'kafka.enable.idempotence: true needs acks=all, but kafka.producer.acks is 1; allowed: false, or set acks=all',
    ],
    [
      { 'buffer.memory': 'lots' },
      'kafka.buffer.memory',
      'kafka.buffer.memory: "lots" is not allowed; allowed: a number of bytes, 0 or more',
    ],
  ])('%j is refused naming %s', (entries, key, message) => {
    const err = errorOf(() => t('producer', entries));
    expect(err.key).toBe(key);
    expect(err.message).toBe(message);
  });
});

describe('consumer settings', () => {
  it('translates and checks the common consumer settings', () => {
    const out = t('consumer', {
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': 'FALSE',
      'auto.commit.interval.ms': '1000',
      'session.timeout.ms': '10000',
      'heartbeat.interval.ms': '3000',
      'max.poll.interval.ms': '300000',
      'fetch.min.bytes': '512',
      'fetch.max.bytes': '52428800',
      'max.partition.fetch.bytes': '1048576',
      'fetch.max.wait.ms': '100',
      'isolation.level': 'read_committed',
      'group.instance.id': 'pod-1',
      'max.poll.records': '50',
      'request.timeout.ms': '20000',
      'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
    });
    expect(out.settings).toEqual({
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': 'false',
      'auto.commit.interval.ms': '1000',
      'session.timeout.ms': '10000',
      'heartbeat.interval.ms': '3000',
      'max.poll.interval.ms': '300000',
      'fetch.min.bytes': '512',
      'fetch.max.bytes': '52428800',
      'max.partition.fetch.bytes': '1048576',
      'fetch.wait.max.ms': '100',
      'isolation.level': 'read_committed',
      'group.instance.id': 'pod-1',
      'socket.timeout.ms': '20000',
      'partition.assignment.strategy': 'cooperative-sticky',
    });
    // No librdkafka setting: the bridge caps each poll itself.
    expect(out.maxPollRecords).toBe(50);
    expect(out.notices).toEqual([]);
  });

  it('reads uncommitted records by default, like the Java consumer, and max.poll.records defaults to 500', () => {
    const out = t('consumer', {});
    expect(out.settings).toEqual({ 'isolation.level': 'read_uncommitted' });
    expect(out.maxPollRecords).toBe(500);
    expect(t('producer', {}).maxPollRecords).toBeUndefined();
  });

  it('auto.offset.reset=none (fail without a committed offset) is librdkafka’s error', () => {
    expect(t('consumer', { 'auto.offset.reset': 'none' }).settings['auto.offset.reset']).toBe('error');
  });

  it('group.id is explained, not passed: the URL names the group', () => {
    const out = t('consumer', { 'group.id': 'g' });
    expect(out.settings['group.id']).toBeUndefined();
    expect(out.notices).toEqual([
      {
        key: 'kafka.group.id',
        reason: 'ignored: each consumer takes its group id from the URL (POST /consumers/{groupid})',
      },
    ]);
  });

  it.each([
    [
      { 'auto.offset.reset': 'by_duration:P1D' },
      'kafka.auto.offset.reset',
      'kafka.auto.offset.reset: "by_duration:P1D" is not allowed; allowed: smallest, earliest, beginning, largest, latest, end, error',
    ],
    [
      { 'max.poll.records': '0' },
      'kafka.max.poll.records',
      'kafka.max.poll.records: "0" is not allowed; allowed: an integer 1 .. 2147483647',
    ],
    [
      { 'session.timeout.ms': '1.5s' },
      'kafka.session.timeout.ms',
      'kafka.session.timeout.ms: "1.5s" is not allowed; allowed: an integer 1 .. 3600000',
    ],
    [
      { 'isolation.level': 'serializable' },
      'kafka.isolation.level',
      'kafka.isolation.level: "serializable" is not allowed; allowed: read_uncommitted, read_committed',
    ],
    [
      {
        'partition.assignment.strategy':
          'org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
      },
      'kafka.partition.assignment.strategy',
      'kafka.partition.assignment.strategy: "org.apache.kafka.clients.consumer.RangeAssignor,org.apache.kafka.clients.consumer.CooperativeStickyAssignor" is not allowed; allowed: RangeAssignor, RoundRobinAssignor or CooperativeStickyAssignor (or range, roundrobin, cooperative-sticky), not mixing cooperative with the others',
    ],
  ])('%j is refused naming %s', (entries, key, message) => {
    const err = errorOf(() => t('consumer', entries));
    expect(err.key).toBe(key);
    expect(err.message).toBe(message);
  });
});

describe('what is not passed on', () => {
  it('config.providers* are consumed silently for every client', () => {
    for (const kind of ['producer', 'consumer', 'admin'] as const) {
      const out = t(kind, {
        'config.providers': 'env',
        'config.providers.env.class': 'io.strimzi.kafka.EnvVarConfigProvider',
        [`${kind}.config.providers.strimzidir.param.allowed.paths`]: '/opt/strimzi',
      });
      expect(out.notices).toEqual([]);
      expect(Object.keys(out.settings).some((k) => k.includes('providers'))).toBe(false);
    }
  });

  it('serializers and Java-only settings get a notice with the reason', () => {
    const producer = t('producer', {
      'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
      'max.block.ms': '1000',
      'interceptor.classes': 'x.Y',
    });
    expect(producer.notices).toEqual([
      {
        key: 'kafka.key.serializer',
        reason: 'no librdkafka equivalent: the bridge encodes keys and values itself (embedded formats)',
      },
      {
        key: 'kafka.max.block.ms',
        reason:
          'no librdkafka equivalent: librdkafka never blocks a send; a full queue fails the record at once (see queue.buffering.max.messages)',
      },
      { key: 'kafka.interceptor.classes', reason: 'no librdkafka equivalent: Java classes cannot be loaded' },
    ]);
    expect(Object.keys(producer.settings)).toEqual(['partitioner']);
  });

  it('an unknown key is a notice, never a setting', () => {
    const out = t('admin', { 'bootstrap.server': 'typo:9092' });
    expect(out.settings).toEqual({});
    expect(out.notices).toEqual([
      {
        key: 'kafka.bootstrap.server',
        reason:
          'no librdkafka equivalent: not a librdkafka setting, nor a Java client setting the bridge translates',
      },
    ]);
  });

  it('a kafka.* setting for another client is dropped quietly; a misplaced kafka.<client>.* one is explained', () => {
    expect(t('consumer', { acks: '1', 'linger.ms': '5', 'key.serializer': 'x' }).notices).toEqual([]);
    expect(t('consumer', { 'consumer.acks': '1' }).notices).toEqual([
      { key: 'kafka.consumer.acks', reason: 'a producer setting; the consumer does not use it' },
    ]);
    expect(t('admin', { 'admin.auto.offset.reset': 'earliest' }).notices).toEqual([
      { key: 'kafka.admin.auto.offset.reset', reason: 'a consumer setting; the admin does not use it' },
    ]);
  });

  it('callbacks are the bridge’s own', () => {
    expect(t('producer', { dr_cb: 'true' }).notices).toEqual([
      {
        key: 'kafka.dr_cb',
        reason: 'set by the bridge itself through the librdkafka API; it cannot be configured',
      },
    ]);
  });

  it('passes other librdkafka settings through after checking them', () => {
    expect(
      written('admin', { debug: 'broker,Security', 'statistics.interval.ms': '5000', 'client.rack': 'a' }),
    ).toEqual({
      debug: 'broker,security',
      'statistics.interval.ms': '5000',
      'client.rack': 'a',
    });
    expect(() => t('admin', { debug: 'everything' })).toThrow(
      'kafka.debug: "everything" is not allowed; allowed: a comma-separated list of generic, broker',
    );
  });
});

describe('secrets', () => {
  it('isSecretKey covers Java, librdkafka and prefixed names', () => {
    for (const key of [
      'kafka.ssl.keystore.key',
      'kafka.producer.ssl.key.pem',
      'sasl.password',
      'kafka.sasl.jaas.config',
      'ssl.truststore.password',
      'sasl.oauthbearer.client.secret',
    ]) {
      expect(isSecretKey(key)).toBe(true);
    }
    for (const key of ['ssl.certificate.pem', 'sasl.username', 'bootstrap.servers'])
      expect(isSecretKey(key)).toBe(false);
  });

  it('an invalid secret value is not echoed', () => {
    // ssl.key.password is a plain string for librdkafka, so check a secret that is validated: a JAAS password.
    const err = errorOf(() =>
      t('producer', {
        'sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required username=u password="hunter2";',
      }),
    );
    expect(err.message).not.toContain('hunter2');
  });

  it('redact() hides every secret librdkafka setting the translation can produce', () => {
    const out = t('producer', {
      'ssl.keystore.certificate.chain': ca.cert,
      'ssl.keystore.key': ca.key,
      'ssl.key.password': 'kp-secret',
      'ssl.keystore.password': 'ks-secret',
      'sasl.mechanism': 'OAUTHBEARER',
      'sasl.jaas.config':
        'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required oauth.token.endpoint.uri="https://t" oauth.client.id="c" oauth.client.secret="oauth-secret";',
    });
    const shown = JSON.stringify(redact(out.settings));
    for (const secret of ['kp-secret', 'oauth-secret', ca.key.split(/\r?\n/)[1]!]) {
      expect(JSON.stringify(out.settings)).toContain(secret);
      expect(shown).not.toContain(secret);
    }
  });
});
