// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Kafka ${provider:...} placeholders are the subject of these tests
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUILT_IN_SOURCE,
  builtInProperties,
  CONFIG_KEYS,
  ConfigError,
  configFileFromArgv,
  configKeysMarkdown,
  loadConfig,
  redact,
} from '../../bridge/config/index.js';
import { normalizePem } from '../../bridge/config/pem.js';
import { createCa, issueClient, type KeyPair } from '../../certs/certificates.js';

// ../shared/seed/bridge-configmap.yaml, data."bridge.properties", verbatim.
const SCENARIO_PROPERTIES = `bridge.id=bridge-sidecar

# HTTP related settings
http.enabled=true
http.host=127.0.0.1
http.port=8080

# Configuration Providers
kafka.config.providers=env
kafka.config.providers.env.class=io.strimzi.kafka.EnvVarConfigProvider

# General Kafka settings
kafka.bootstrap.servers=\${env:BOOTSTRAP_SERVERS}
kafka.security.protocol=SSL
kafka.ssl.keystore.type=PEM
kafka.ssl.keystore.certificate.chain=\${env:USER_CRT}
kafka.ssl.keystore.key=\${env:USER_KEY}
kafka.ssl.truststore.type=PEM
kafka.ssl.truststore.certificates=\${env:CA_CRT}
kafka.ssl.endpoint.identification.algorithm=HTTPS

# Kafka Producer options
kafka.producer.acks=1

# Kafka Consumer options
kafka.consumer.auto.offset.reset=earliest
`;

const CONFIG_PATH = '/etc/strimzi-bridge/bridge.properties';

/** A readFile over an in-memory file system, failing like fs does for anything else. */
function files(contents: Record<string, string>) {
  return (path: string): string => {
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

function load(text: string, env: Record<string, string> = {}, extra: Record<string, string> = {}) {
  return loadConfig({
    argv: ['--config-file', CONFIG_PATH],
    env,
    readFile: files({ [CONFIG_PATH]: text, ...extra }),
  });
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
let user: KeyPair;
let scenarioEnv: Record<string, string>;

beforeAll(async () => {
  ca = await createCa('my-cluster-cluster-ca');
  user = await issueClient(ca, 'bridge');
  scenarioEnv = {
    BOOTSTRAP_SERVERS: 'my-cluster-kafka-bootstrap:9093',
    USER_CRT: user.cert,
    USER_KEY: user.key,
    CA_CRT: ca.cert,
  };
});

describe('loadConfig with the scenario’s bridge-configmap.yaml', () => {
  it('gives each client the exact librdkafka settings, PEM text included, and nothing about config providers', () => {
    const config = load(SCENARIO_PROPERTIES, scenarioEnv);
    const tls = {
      'bootstrap.servers': 'my-cluster-kafka-bootstrap:9093',
      'security.protocol': 'ssl',
      'ssl.certificate.pem': normalizePem(user.cert),
      'ssl.key.pem': normalizePem(user.key),
      'ssl.ca.pem': normalizePem(ca.cert),
      'ssl.endpoint.identification.algorithm': 'https',
    };
    expect(config.kafka.producer).toEqual({
      ...tls,
      partitioner: 'murmur2_random',
      acks: '1',
    });
    expect(config.kafka.consumer).toEqual({
      ...tls,
      'isolation.level': 'read_uncommitted',
      'auto.offset.reset': 'earliest',
    });
    expect(config.kafka.admin).toEqual(tls);
    expect(config.kafka.bootstrapServers).toBe('my-cluster-kafka-bootstrap:9093');
    expect(config.kafka.maxPollRecords).toBe(500);
    // The scenario's user was sent hunting by "config.providers ... isn't a known config" warnings.
    expect(config.notices).toEqual([]);
    for (const settings of [config.kafka.producer, config.kafka.consumer, config.kafka.admin]) {
      expect(Object.keys(settings).filter((k) => k.includes('config.providers'))).toEqual([]);
    }
    expect(config.bridgeId).toBe('bridge-sidecar');
    expect(config.source).toBe(CONFIG_PATH);
    expect(config.logLevel).toBe('info');
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8080,
      managementPort: 8081,
      cors: {
        enabled: false,
        allowedOrigins: ['*'],
        allowedMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'],
      },
      consumerEnabled: true,
      producerEnabled: true,
      timeoutSeconds: -1,
      maxBodyBytes: 1048576,
      shutdownTimeoutMs: 10000,
    });
  });

  it('hands OpenSSL the same certificates the Secret holds', () => {
    const config = load(SCENARIO_PROPERTIES, scenarioEnv);
    const cert = new X509Certificate(config.kafka.producer['ssl.certificate.pem']!);
    expect(cert.fingerprint256).toBe(new X509Certificate(user.cert).fingerprint256);
    expect(cert.subject).toContain('CN=bridge');
    expect(new X509Certificate(config.kafka.consumer['ssl.ca.pem']!).fingerprint256).toBe(
      new X509Certificate(ca.cert).fingerprint256,
    );
  });

  it('names the key and the variable when an env placeholder cannot be resolved', () => {
    const { USER_KEY: _omitted, ...env } = scenarioEnv;
    const err = errorOf(() => load(SCENARIO_PROPERTIES, env));
    expect(err.key).toBe('kafka.ssl.keystore.key');
    expect(err.message).toBe(
      'kafka.ssl.keystore.key: cannot resolve ${env:USER_KEY}: environment variable USER_KEY is not set',
    );
  });

  it('keeps the private key out of notices, errors and redact() output', () => {
    const config = load(
      `${SCENARIO_PROPERTIES}kafka.sasl.jaas.config=\${env:JAAS}\nkafka.something.odd=1\n`,
      {
        ...scenarioEnv,
        JAAS: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="pw-SECRET-1";',
      },
    );
    const logged = JSON.stringify([
      config.notices,
      redact(config.kafka.producer),
      redact(config.kafka.consumer),
    ]);
    const keyBody = normalizePem(user.key).split('\n')[1]!;
    expect(config.kafka.producer['ssl.key.pem']).toContain(keyBody);
    expect(config.kafka.producer['sasl.password']).toBe('pw-SECRET-1');
    expect(logged).not.toContain(keyBody);
    expect(logged).not.toContain('pw-SECRET-1');
    expect(logged).toContain('kafka.something.odd'); // the notice itself is there
    expect(redact(config.kafka.producer)['ssl.key.pem']).toBe('[hidden]');
    expect(redact(config.kafka.producer)['sasl.password']).toBe('[hidden]');
    expect(redact(config.kafka.producer)['ssl.certificate.pem']).toBe('[PEM, 1 block(s)]');
    expect(redact(config.kafka.producer)['bootstrap.servers']).toBe('my-cluster-kafka-bootstrap:9093');
  });
});

describe('built-in defaults (no --config-file)', () => {
  it('with USER_CRT/USER_KEY/CA_CRT set, equals the scenario’s ConfigMap', () => {
    const builtIn = loadConfig({ argv: [], env: scenarioEnv, readFile: files({}) });
    const fromFile = load(SCENARIO_PROPERTIES, scenarioEnv);
    expect(builtIn.kafka).toEqual(fromFile.kafka);
    expect(builtIn.http).toEqual(fromFile.http);
    expect(builtIn.bridgeId).toBe('bridge-sidecar');
    expect(builtIn.notices).toEqual([]);
    expect(builtIn.source).toBe(BUILT_IN_SOURCE);
  });

  it('without them, is plaintext to BOOTSTRAP_SERVERS', () => {
    const config = loadConfig({ argv: [], env: { BOOTSTRAP_SERVERS: 'kafka:9092' }, readFile: files({}) });
    expect(config.kafka.producer).toEqual({
      'bootstrap.servers': 'kafka:9092',
      partitioner: 'murmur2_random',
      acks: '1',
    });
    expect(config.kafka.consumer).toEqual({
      'bootstrap.servers': 'kafka:9092',
      'isolation.level': 'read_uncommitted',
      'auto.offset.reset': 'earliest',
    });
    expect(
      Object.keys(config.kafka.admin).some((k) => k.startsWith('ssl.') || k === 'security.protocol'),
    ).toBe(false);
  });

  it('with only CA_CRT, is TLS without a client certificate', () => {
    const config = loadConfig({
      argv: [],
      env: { BOOTSTRAP_SERVERS: 'kafka:9093', CA_CRT: ca.cert },
      readFile: files({}),
    });
    expect(config.kafka.admin['security.protocol']).toBe('ssl');
    expect(config.kafka.admin['ssl.ca.pem']).toBe(normalizePem(ca.cert));
    expect(config.kafka.admin['ssl.certificate.pem']).toBeUndefined();
  });

  it('with the SCRAM env the injector sets for auth scram-sha-512, is SASL over TLS to the cluster CA', () => {
    const config = loadConfig({
      argv: [],
      env: {
        BOOTSTRAP_SERVERS: 'kafka:9093',
        CA_CRT: ca.cert,
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'bridge',
        KAFKA_SASL_PASSWORD: 'pa"ss word',
      },
      readFile: files({}),
    });
    for (const client of [config.kafka.producer, config.kafka.consumer, config.kafka.admin]) {
      expect(client).toMatchObject({
        'security.protocol': 'sasl_ssl',
        'sasl.mechanisms': 'SCRAM-SHA-512',
        'sasl.username': 'bridge',
        'sasl.password': 'pa"ss word',
        'ssl.ca.pem': normalizePem(ca.cert),
      });
    }
    expect(config.notices).toEqual([]);
  });

  it('without CA_CRT, SASL goes over plaintext; a partial SASL env is refused naming what is missing', () => {
    const config = loadConfig({
      argv: [],
      env: {
        BOOTSTRAP_SERVERS: 'kafka:9092',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'bridge',
        KAFKA_SASL_PASSWORD: 'secret',
      },
      readFile: files({}),
    });
    expect(config.kafka.admin['security.protocol']).toBe('sasl_plaintext');
    expect(() =>
      builtInProperties({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'bridge' }),
    ).toThrow('KAFKA_SASL_PASSWORD: not set, but KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME are');
  });

  it('refuses USER_CRT without USER_KEY, and says where the bootstrap address comes from', () => {
    expect(() => builtInProperties({ USER_CRT: user.cert })).toThrow(
      'USER_KEY: not set, but USER_CRT is; the built-in defaults need both for a client certificate (or neither)',
    );
    const err = errorOf(() => loadConfig({ argv: [], env: {}, readFile: files({}) }));
    expect(err.key).toBe('kafka.bootstrap.servers');
    expect(err.message).toContain('environment variable BOOTSTRAP_SERVERS is not set');
  });
});

describe('--config-file', () => {
  it('accepts both spellings and rejects a missing value', () => {
    expect(configFileFromArgv(['--config-file', '/a'])).toBe('/a');
    expect(configFileFromArgv(['--config-file=/b'])).toBe('/b');
    expect(configFileFromArgv(['--other'])).toBeUndefined();
    expect(() => configFileFromArgv(['--config-file'])).toThrow('--config-file: needs a path');
  });

  it('names a file that does not exist', () => {
    const err = errorOf(() =>
      loadConfig({ argv: ['--config-file', '/nope.properties'], env: {}, readFile: files({}) }),
    );
    expect(err.key).toBe('--config-file');
    expect(err.message).toBe('--config-file: /nope.properties does not exist');
  });

  it('reads a real file from disk with the default reader', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
    try {
      const path = join(dir, 'bridge.properties');
      writeFileSync(path, 'kafka.bootstrap.servers=localhost:9092\nhttp.port=18080\n');
      const config = loadConfig({ argv: ['--config-file', path], env: {} });
      expect(config.http.port).toBe(18080);
      expect(config.kafka.bootstrapServers).toBe('localhost:9092');
      expect(config.bridgeId).toBe(''); // unset, as in the Java bridge
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a properties syntax error with the file and line', () => {
    expect(() => load('a=1\nb=\\uZZZZ\n')).toThrow(`${CONFIG_PATH}: line 2: malformed \\uXXXX escape`);
  });
});

describe('environment overrides (verbatim key names, as the Strimzi bridge merges System.getenv())', () => {
  const base =
    'bridge.id=from-file\nkafka.bootstrap.servers=file:9092\nkafka.producer.acks=1\nhttp.port=8080\n';

  it('an env var named like a key replaces the file’s value', () => {
    const config = load(base, {
      'bridge.id': 'from-env',
      'kafka.producer.acks': 'all',
      'http.port': '9090',
      'kafka.bootstrap.servers': 'env:9092',
    });
    expect(config.bridgeId).toBe('from-env');
    expect(config.kafka.producer.acks).toBe('-1');
    expect(config.http.port).toBe(9090);
    expect(config.kafka.bootstrapServers).toBe('env:9092');
  });

  it('other env vars are not configuration, whatever their name', () => {
    const config = load(base, {
      BRIDGE_ID: 'x',
      HTTP_PORT: '1',
      KAFKA_BOOTSTRAP_SERVERS: 'y:1',
      PATH: '/bin',
    });
    expect(config.bridgeId).toBe('from-file');
    expect(config.http.port).toBe(8080);
    expect(config.kafka.bootstrapServers).toBe('file:9092');
    expect(config.notices).toEqual([]);
  });

  it('an env override is itself placeholder-resolved and validated', () => {
    expect(load(base, { 'http.port': '${env:PORT}', PORT: '7070' }).http.port).toBe(7070);
    expect(() => load(base, { 'http.port': '70000' })).toThrow(
      'http.port: "70000" is not allowed; allowed: a port number 1-65535',
    );
  });
});

describe('prefix precedence', () => {
  it('kafka.<client>.* beats kafka.* for that client only', () => {
    const config = load(
      'kafka.bootstrap.servers=all:9092\nkafka.admin.bootstrap.servers=admin:9092\nkafka.client.id=common\nkafka.consumer.client.id=cons\nkafka.linger.ms=5\nkafka.producer.linger.ms=50\n',
    );
    expect(config.kafka.admin['bootstrap.servers']).toBe('admin:9092');
    expect(config.kafka.producer['bootstrap.servers']).toBe('all:9092');
    expect(config.kafka.producer['client.id']).toBe('common');
    expect(config.kafka.consumer['client.id']).toBe('cons');
    expect(config.kafka.producer['linger.ms']).toBe('50');
    expect(config.kafka.consumer['linger.ms']).toBeUndefined();
    expect(config.kafka.bootstrapServers).toBe('admin:9092');
  });

  it('holds across librdkafka aliases and translated names', () => {
    const config = load(
      'kafka.bootstrap.servers=b:1\nkafka.producer.queue.buffering.max.ms=7\nkafka.linger.ms=5\nkafka.request.timeout.ms=5000\nkafka.consumer.socket.timeout.ms=1000\n',
    );
    expect(config.kafka.producer['linger.ms']).toBe('7');
    expect(config.kafka.producer['queue.buffering.max.ms']).toBeUndefined();
    expect(config.kafka.consumer['socket.timeout.ms']).toBe('1000');
    expect(config.kafka.admin['socket.timeout.ms']).toBe('5000');
    expect(config.kafka.producer['request.timeout.ms']).toBe('5000');
  });

  it('joins keystore settings written at different levels', () => {
    const config = load(
      `kafka.bootstrap.servers=b:1\nkafka.ssl.keystore.type=PEM\nkafka.producer.ssl.keystore.location=/certs/user.pem\n`,
    );
    expect(config.kafka.producer['ssl.certificate.location']).toBe('/certs/user.pem');
    expect(config.kafka.producer['ssl.key.location']).toBe('/certs/user.pem');
    expect(config.kafka.consumer['ssl.key.location']).toBeUndefined();
  });
});

describe('bridge and http keys', () => {
  const kafka = 'kafka.bootstrap.servers=b:1\n';

  it('parses every http key', () => {
    const config = load(
      `${kafka}http.host=::1\nhttp.port=1\nhttp.management.port=65535\nhttp.cors.enabled=TRUE\nhttp.cors.allowedOrigins=https://a.example, https://b.example\nhttp.cors.allowedMethods=get,post\nhttp.consumer.enabled=false\nhttp.producer.enabled=false\nhttp.timeoutSeconds=30\nhttp.maxBodyBytes=2048\nbridge.shutdown.timeoutMs=0\nlog.level=DEBUG\n`,
    );
    expect(config.http).toEqual({
      host: '::1',
      port: 1,
      managementPort: 65535,
      cors: {
        enabled: true,
        allowedOrigins: ['https://a.example', 'https://b.example'],
        allowedMethods: ['GET', 'POST'],
      },
      consumerEnabled: false,
      producerEnabled: false,
      timeoutSeconds: 30,
      maxBodyBytes: 2048,
      shutdownTimeoutMs: 0,
    });
    expect(config.logLevel).toBe('debug');
    expect(load(`${kafka}http.host=[::1]\n`).http.host).toBe('::1');
  });

  it.each([
    ['http.port=0', 'http.port: "0" is not allowed; allowed: a port number 1-65535'],
    ['http.port=65536', 'http.port: "65536" is not allowed; allowed: a port number 1-65535'],
    ['http.port=80a', 'http.port: "80a" is not allowed; allowed: a port number 1-65535'],
    [
      'http.management.port=8080',
      'http.management.port: 8080 is also http.port; allowed: a different port 1-65535',
    ],
    ['http.cors.enabled=yes', 'http.cors.enabled: "yes" is not allowed; allowed: true or false'],
    ['http.producer.enabled=1', 'http.producer.enabled: "1" is not allowed; allowed: true or false'],
    [
      'http.timeoutSeconds=0',
      'http.timeoutSeconds: "0" is not allowed; allowed: -1 (never) or a number of seconds 1 or more',
    ],
    [
      'http.timeoutSeconds=-2',
      'http.timeoutSeconds: "-2" is not allowed; allowed: -1 (never) or a number of seconds 1 or more',
    ],
    [
      'http.maxBodyBytes=0',
      'http.maxBodyBytes: "0" is not allowed; allowed: a number of bytes 1 .. 1073741824',
    ],
    [
      'http.cors.allowedMethods=GET,P-ST',
      'http.cors.allowedMethods: "P-ST" is not allowed; allowed: comma-separated HTTP methods such as GET,POST',
    ],
    [
      'http.ssl.enable=true',
      'http.ssl.enable: TLS on the HTTP API is not supported (the API listens on loopback inside the pod); allowed: false',
    ],
    [
      'log.level=verbose',
      'log.level: "verbose" is not allowed; allowed: trace, debug, info, warn, error, fatal, silent',
    ],
    [
      'bridge.shutdown.timeoutMs=soon',
      'bridge.shutdown.timeoutMs: "soon" is not allowed; allowed: milliseconds 0 .. 3600000',
    ],
  ])('%s stops start-up naming the key', (line, message) => {
    const key = line.slice(0, line.indexOf('='));
    const err = errorOf(() => load(`${kafka}${line}\n`));
    expect(err.key).toBe(key);
    expect(err.message).toBe(message);
  });

  it('accepts the obsolete http.enabled silently and explains the Java bridge’s other keys', () => {
    const config = load(
      `${kafka}http.enabled=false\nbridge.metrics=jmxPrometheusExporter\nbridge.tracing=opentelemetry\nhttp.ssl.certificate.location=/x\nmystery.key=1\nhttp.unknown=2\n`,
    );
    expect(config.notices).toEqual([
      { key: 'bridge.metrics', reason: 'ignored: metrics are always served on /metrics (Prometheus text)' },
      { key: 'bridge.tracing', reason: 'ignored: tracing is not supported' },
      { key: 'http.ssl.certificate.location', reason: 'ignored: TLS on the HTTP API is not supported' },
      { key: 'mystery.key', reason: 'unknown setting, ignored' },
      { key: 'http.unknown', reason: 'unknown setting, ignored' },
    ]);
  });

  it('needs a bootstrap address for every enabled client', () => {
    expect(() => load('kafka.producer.bootstrap.servers=p:1\n')).toThrow(
      'kafka.bootstrap.servers: not set for the consumer; allowed: host:port[,host:port...]',
    );
    const producerOnly = load(
      'kafka.producer.bootstrap.servers=p:1\nkafka.admin.bootstrap.servers=a:1\nhttp.consumer.enabled=false\n',
    );
    expect(producerOnly.kafka.bootstrapServers).toBe('a:1');
  });

  it('reports each Java-only setting once, not once per client', () => {
    const config = load(
      `${kafka}kafka.key.serializer=org.apache.kafka.common.serialization.StringSerializer\nkafka.fancy.thing=1\n`,
    );
    expect(config.notices.map((n) => n.key)).toEqual(['kafka.key.serializer', 'kafka.fancy.thing']);
  });
});

describe('placeholders through loadConfig', () => {
  it('resolves file and dir placeholders, also with declared provider aliases, honouring allowed.paths', () => {
    const config = load(
      [
        'kafka.config.providers=secrets,mounted',
        'kafka.config.providers.secrets.class=org.apache.kafka.common.config.provider.FileConfigProvider',
        'kafka.config.providers.mounted.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider',
        'kafka.config.providers.mounted.param.allowed.paths=/opt/strimzi',
        'kafka.bootstrap.servers=${secrets:/etc/kafka/client.properties:bootstrap}',
        'kafka.consumer.client.rack=${mounted:/opt/strimzi/init:rack.id}',
        'kafka.producer.client.id=${strimzifile:/etc/kafka/client.properties:id}',
      ].join('\n'),
      {},
      {
        '/etc/kafka/client.properties': 'bootstrap=k:9093\nid = producer-1\n',
        '/opt/strimzi/init/rack.id': 'zone-a',
      },
    );
    expect(config.kafka.bootstrapServers).toBe('k:9093');
    expect(config.kafka.consumer['client.rack']).toBe('zone-a');
    expect(config.kafka.producer['client.id']).toBe('producer-1');
    expect(config.notices).toEqual([]);
  });

  it('an alias of an unsupported provider class fails only when used, naming the key', () => {
    const declared =
      'kafka.config.providers=secrets\nkafka.config.providers.secrets.class=io.strimzi.kafka.KubernetesSecretConfigProvider\nkafka.bootstrap.servers=b:1\n';
    expect(load(declared).notices).toEqual([]);
    const err = errorOf(() => load(`${declared}kafka.sasl.password=\${secrets:ns/secret:password}\n`));
    expect(err.key).toBe('kafka.sasl.password');
    expect(err.message).toContain(
      'config provider "secrets" (io.strimzi.kafka.KubernetesSecretConfigProvider) is not supported',
    );
  });
});

describe('describeConfigKeys', () => {
  it('documents every key loadConfig reads, with a default', () => {
    const keys = CONFIG_KEYS.map((k) => k.key);
    for (const key of [
      'bridge.id',
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
      'bridge.shutdown.timeoutMs',
      'log.level',
    ]) {
      expect(keys).toContain(key);
    }
    expect(CONFIG_KEYS.every((k) => k.default !== '' && k.meaning !== '')).toBe(true);
    const rows = configKeysMarkdown().split('\n');
    expect(rows).toHaveLength(CONFIG_KEYS.length + 2);
    // Three cells per row: no stray | inside a cell.
    for (const row of rows) expect(row.split('|')).toHaveLength(5);
  });
});
