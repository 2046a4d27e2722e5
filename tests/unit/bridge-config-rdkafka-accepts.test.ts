/**
 * librdkafka itself accepts what the translation produces: property values are checked when a client is
 * constructed, and OpenSSL loads the PEM material when it connects. No broker: the clients connect to a
 * closed port, so a good configuration fails with a transport error and a bad one with a configuration
 * or SSL error (e.g. "ssl.key.pem failed: not in PEM format").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../bridge/config/index.js';
import type { RdkafkaSettings } from '../../bridge/config/types.js';
import { createCa, issueClient, type KeyPair } from '../../certs/certificates.js';
import { freePort } from '../infra/ports.js';

const require = createRequire(import.meta.url);
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');

/** The error a producer/consumer reports when it connects with `settings` to a port nobody listens on. */
function connectError(kind: 'producer' | 'consumer', settings: RdkafkaSettings): Promise<string> {
  const client =
    kind === 'producer'
      ? new Kafka.Producer({ ...settings })
      : new Kafka.KafkaConsumer({ ...settings, 'group.id': 'config-test' }, {});
  return new Promise((resolve) => {
    client.connect({ timeout: 500 }, (err) => resolve(err ? err.message : 'connected'));
  });
}

const NOT_A_CONFIG_PROBLEM = /transport failure|timed out|connection refused|all broker/i;

let ca: KeyPair;
let user: KeyPair;
let bootstrap: string;
let dir: string;

beforeAll(async () => {
  ca = await createCa('accepts-ca');
  user = await issueClient(ca, 'bridge');
  bootstrap = `127.0.0.1:${await freePort()}`;
  dir = mkdtempSync(join(tmpdir(), 'bridge-rdkafka-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(properties: string, env: Record<string, string> = {}) {
  const path = join(dir, `bridge-${Math.random().toString(36).slice(2)}.properties`);
  writeFileSync(path, properties);
  return loadConfig({ argv: ['--config-file', path], env });
}

describe('librdkafka accepts the translated settings', () => {
  it('the scenario’s mutual-TLS settings (PEM from env vars), producer and consumer', async () => {
    const config = loadConfig({
      argv: [],
      env: { BOOTSTRAP_SERVERS: bootstrap, USER_CRT: user.cert, USER_KEY: user.key, CA_CRT: ca.cert },
    });
    expect(await connectError('producer', config.kafka.producer)).toMatch(NOT_A_CONFIG_PROBLEM);
    expect(await connectError('consumer', config.kafka.consumer)).toMatch(NOT_A_CONFIG_PROBLEM);
  });

  it('a PEM folded with \\ continuations in the properties file', async () => {
    const fold = (pem: string) => pem.trim().split(/\r?\n/).join(' \\\n    ');
    const config = load(
      [
        `kafka.bootstrap.servers=${bootstrap}`,
        'kafka.security.protocol=SSL',
        'kafka.ssl.keystore.type=PEM',
        `kafka.ssl.keystore.certificate.chain=${fold(user.cert)}`,
        `kafka.ssl.keystore.key=${fold(user.key)}`,
        'kafka.ssl.truststore.type=PEM',
        `kafka.ssl.truststore.certificates=${fold(ca.cert)}`,
        'kafka.producer.acks=all',
        'kafka.producer.linger.ms=5',
        'kafka.producer.compression.type=lz4',
        'kafka.consumer.auto.offset.reset=none',
        'kafka.consumer.partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor',
      ].join('\n'),
    );
    expect(await connectError('producer', config.kafka.producer)).toMatch(NOT_A_CONFIG_PROBLEM);
    expect(await connectError('consumer', config.kafka.consumer)).toMatch(NOT_A_CONFIG_PROBLEM);
  });

  it('a PEM keystore file holding key and chain, and a PEM truststore file', async () => {
    const keystore = join(dir, 'user.pem');
    const truststore = join(dir, 'ca.crt');
    writeFileSync(keystore, `${user.key}\n${user.cert}\n`);
    writeFileSync(truststore, ca.cert);
    const config = load(
      [
        `kafka.bootstrap.servers=${bootstrap}`,
        'kafka.security.protocol=SSL',
        'kafka.ssl.keystore.type=PEM',
        `kafka.ssl.keystore.location=${keystore}`,
        'kafka.ssl.truststore.type=PEM',
        `kafka.ssl.truststore.location=${truststore}`,
      ].join('\n'),
    );
    expect(await connectError('producer', config.kafka.producer)).toMatch(NOT_A_CONFIG_PROBLEM);
  });

  it('while a broken key is refused by OpenSSL (the check above can fail)', async () => {
    const config = loadConfig({
      argv: [],
      env: { BOOTSTRAP_SERVERS: bootstrap, USER_CRT: user.cert, USER_KEY: ca.cert, CA_CRT: ca.cert },
    });
    expect(await connectError('producer', config.kafka.producer)).toMatch(/ssl\.key\.pem failed/);
  });
});
