import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import {
  createTopicConfigReader,
  type KafkaJsTranslation,
  notAuthorizedToDescribeConfigs,
  toKafkaJsConfig,
} from '../../bridge/kafka/topic-configs.js';
import { createLogger } from '../../bridge/log.js';

const CA = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n';

function translate(settings: Record<string, string>): KafkaJsTranslation {
  return toKafkaJsConfig(settings, { clientId: 'bridge-admin' });
}

function config(settings: Record<string, string>) {
  const t = translate(settings);
  if (!t.ok) throw new Error(`expected a config, got: ${t.reason}`);
  return t.config;
}

function reason(settings: Record<string, string>): string {
  const t = translate(settings);
  if (t.ok) throw new Error('expected the settings to be refused');
  return t.reason;
}

function tlsOf(settings: Record<string, string>) {
  const ssl = config(settings).ssl;
  if (typeof ssl !== 'object') throw new Error('expected TLS options');
  return ssl;
}

const dir = mkdtempSync(join(tmpdir(), 'topic-configs-'));
const caFile = join(dir, 'ca.crt');
const certFile = join(dir, 'client.crt');
const keyFile = join(dir, 'client.key');
const keystoreFile = join(dir, 'client.p12');
writeFileSync(caFile, CA);
writeFileSync(certFile, CERT);
writeFileSync(keyFile, KEY);
writeFileSync(keystoreFile, Buffer.from([0x30, 0x82, 0xff, 0x00, 0x01]));

describe('librdkafka admin settings -> kafkajs client config', () => {
  it('plaintext: the bootstrap list as host:port, no TLS, no SASL, client.id kept', () => {
    expect(
      config({ 'bootstrap.servers': 'kafka-0:9092, kafka-1:9093', 'client.id': 'my-bridge-admin' }),
    ).toEqual({ brokers: ['kafka-0:9092', 'kafka-1:9093'], clientId: 'my-bridge-admin' });
  });

  it("takes librdkafka's bootstrap syntax: default port 9092, protocol prefixes, metadata.broker.list", () => {
    expect(config({ 'bootstrap.servers': 'SSL://kafka:9093,kafka-2' }).brokers).toEqual([
      'kafka:9093',
      'kafka-2:9092',
    ]);
    expect(config({ 'metadata.broker.list': 'kafka:9092' }).brokers).toEqual(['kafka:9092']);
    expect(config({ 'bootstrap.servers': 'kafka:9092' }).clientId).toBe('bridge-admin');
  });

  it('refuses a missing bootstrap list, a bad port and IPv6 literals, naming the setting', () => {
    expect(reason({})).toBe('bootstrap.servers: not set');
    expect(reason({ 'bootstrap.servers': 'kafka:http' })).toBe(
      'bootstrap.servers: kafka:http has an invalid port; allowed: 1-65535',
    );
    expect(reason({ 'bootstrap.servers': '[::1]:9092' })).toContain('IPv6 literal');
  });

  it('refuses an unknown security.protocol, listing the allowed ones', () => {
    expect(reason({ 'bootstrap.servers': 'k:1', 'security.protocol': 'tls' })).toBe(
      'security.protocol: tls is not known; allowed: plaintext, ssl, sasl_plaintext, sasl_ssl',
    );
  });

  it('ssl with inline PEM (the scenario: truststore.certificates, keystore chain + key)', () => {
    const tls = tlsOf({
      'bootstrap.servers': 'k:9093',
      'security.protocol': 'SSL',
      'ssl.ca.pem': CA,
      'ssl.certificate.pem': CERT,
      'ssl.key.pem': KEY,
      'ssl.endpoint.identification.algorithm': 'https',
    });
    expect(tls).toEqual({ ca: CA, cert: CERT, key: KEY });
    // Host name verification stays Node's default (on), as librdkafka's `https`.
    expect(tls.checkServerIdentity).toBeUndefined();
    expect(tls.rejectUnauthorized).toBeUndefined();
  });

  it('ssl with PEM files: the files are read; an encrypted key gets its password', () => {
    const tls = tlsOf({
      'bootstrap.servers': 'k:9093',
      'security.protocol': 'ssl',
      'ssl.ca.location': caFile,
      'ssl.certificate.location': certFile,
      'ssl.key.location': keyFile,
      'ssl.key.password': 'key-secret',
    });
    expect(tls.ca?.toString()).toBe(CA);
    expect(tls.cert?.toString()).toBe(CERT);
    expect(tls.key?.toString()).toBe(KEY);
    expect(tls.passphrase).toBe('key-secret');
  });

  it('inline PEM wins over a location, as in librdkafka', () => {
    const tls = tlsOf({
      'bootstrap.servers': 'k:9093',
      'security.protocol': 'ssl',
      'ssl.ca.pem': CA,
      'ssl.ca.location': join(dir, 'missing.crt'),
    });
    expect(tls.ca).toBe(CA);
  });

  it('ssl.ca.location=probe leaves the CA to Node (system roots)', () => {
    expect(
      tlsOf({ 'bootstrap.servers': 'k:9093', 'security.protocol': 'ssl', 'ssl.ca.location': 'probe' }),
    ).toEqual({});
  });

  it('a PKCS12 keystore is read as bytes with its password', () => {
    const tls = tlsOf({
      'bootstrap.servers': 'k:9093',
      'security.protocol': 'ssl',
      'ssl.keystore.location': keystoreFile,
      'ssl.keystore.password': 'store-secret',
    });
    expect(Buffer.isBuffer(tls.pfx)).toBe(true);
    expect(tls.pfx).toEqual(Buffer.from([0x30, 0x82, 0xff, 0x00, 0x01]));
    expect(tls.passphrase).toBe('store-secret');
  });

  it('an unreadable file is refused naming the setting and the path, not crashed on', () => {
    const missing = join(dir, 'nope.crt');
    expect(
      reason({ 'bootstrap.servers': 'k:9093', 'security.protocol': 'ssl', 'ssl.ca.location': missing }),
    ).toBe(`ssl.ca.location: cannot read ${missing}: ENOENT`);
    expect(
      reason({ 'bootstrap.servers': 'k:9093', 'security.protocol': 'ssl', 'ssl.ca.location': dir }),
    ).toContain('a CA directory is not supported here');
  });

  it('ssl.endpoint.identification.algorithm=none: the chain is still verified, the host name is not', () => {
    const tls = tlsOf({
      'bootstrap.servers': 'k:9093',
      'security.protocol': 'ssl',
      'ssl.ca.pem': CA,
      'ssl.endpoint.identification.algorithm': 'none',
    });
    expect(tls.checkServerIdentity?.('not-the-cert-host', {} as PeerCertificate)).toBeUndefined();
    expect(tls.rejectUnauthorized).toBeUndefined();
    expect(
      reason({
        'bootstrap.servers': 'k:9093',
        'security.protocol': 'ssl',
        'ssl.endpoint.identification.algorithm': 'dns',
      }),
    ).toBe('ssl.endpoint.identification.algorithm: dns is not known; allowed: https, none');
  });

  it('enable.ssl.certificate.verification=false turns off chain verification', () => {
    const tls = tlsOf({
      'bootstrap.servers': 'k:9093',
      'security.protocol': 'ssl',
      'enable.ssl.certificate.verification': 'false',
    });
    expect(tls.rejectUnauthorized).toBe(false);
  });

  it('TLS settings are ignored when the protocol is plaintext (as librdkafka does)', () => {
    expect(
      config({ 'bootstrap.servers': 'k:9092', 'ssl.ca.location': join(dir, 'missing') }).ssl,
    ).toBeUndefined();
  });

  it.each([
    ['PLAIN', 'plain'],
    ['SCRAM-SHA-256', 'scram-sha-256'],
    ['SCRAM-SHA-512', 'scram-sha-512'],
  ])('sasl_plaintext with %s', (mechanism, kafkajs) => {
    const c = config({
      'bootstrap.servers': 'k:9094',
      'security.protocol': 'sasl_plaintext',
      'sasl.mechanisms': mechanism,
      'sasl.username': 'alice',
      'sasl.password': 'alice-secret',
    });
    expect(c.sasl).toEqual({ mechanism: kafkajs, username: 'alice', password: 'alice-secret' });
    expect(c.ssl).toBeUndefined();
  });

  it('sasl_ssl: TLS and SCRAM together', () => {
    const c = config({
      'bootstrap.servers': 'k:9094',
      'security.protocol': 'SASL_SSL',
      'ssl.ca.pem': CA,
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'alice',
      'sasl.password': 'pw',
    });
    expect(c.ssl).toEqual({ ca: CA });
    expect(c.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'alice', password: 'pw' });
  });

  it('OAUTHBEARER, GSSAPI (also the default mechanism) are refused with a reason, never a crash', () => {
    const base = { 'bootstrap.servers': 'k:9094', 'security.protocol': 'sasl_ssl' };
    expect(reason({ ...base, 'sasl.mechanisms': 'OAUTHBEARER' })).toBe(
      'sasl.mechanisms=OAUTHBEARER: the topic-config reader (kafkajs) is wired for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 only',
    );
    expect(reason({ ...base, 'sasl.mechanisms': 'GSSAPI' })).toContain('sasl.mechanisms=GSSAPI');
    expect(reason(base)).toContain('=GSSAPI');
  });

  it('a SASL user without a password is refused naming the missing setting', () => {
    expect(
      reason({
        'bootstrap.servers': 'k:9094',
        'security.protocol': 'sasl_plaintext',
        'sasl.mechanisms': 'PLAIN',
        'sasl.username': 'alice',
      }),
    ).toBe('sasl.password: not set, but PLAIN needs it');
  });

  it('no reason ever carries a secret value', () => {
    const secret = 'very-secret-value';
    const reasons = [
      reason({ 'bootstrap.servers': 'k:1', 'security.protocol': 'sasl_ssl', 'sasl.password': secret }),
      reason({
        'bootstrap.servers': 'k:1',
        'security.protocol': 'sasl_ssl',
        'sasl.mechanisms': 'PLAIN',
        'sasl.password': secret,
      }),
    ];
    for (const r of reasons) expect(r).not.toContain(secret);
  });
});

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger('debug', sink), lines };
}

describe('the topic-config reader without a broker', () => {
  it('settings it cannot map: every describe says why (configs unavailable), logged once', async () => {
    const { log, lines } = capture();
    const reader = createTopicConfigReader(
      {
        'bootstrap.servers': 'k:9094',
        'security.protocol': 'sasl_ssl',
        'sasl.mechanisms': 'OAUTHBEARER',
        'sasl.oauthbearer.client.secret': 'oauth-secret',
      },
      log,
    );
    const first = await reader.describe('my-topic');
    expect(first).toEqual({
      unavailable:
        'topic configs cannot be read: sasl.mechanisms=OAUTHBEARER: the topic-config reader (kafkajs) is wired for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 only',
    });
    expect(await reader.describe('other')).toEqual(first);
    expect(lines.filter((l) => l.includes('topic configs cannot be read'))).toHaveLength(1);
    expect(lines.join('')).not.toContain('oauth-secret');
    await reader.close();
  });

  it('a broker that never answers: unavailable with a reason (no hang, no crash), no secret logged', async () => {
    // A port that accepts TCP connections and never speaks Kafka.
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const { log, lines } = capture();
    const reader = createTopicConfigReader(
      {
        'bootstrap.servers': `127.0.0.1:${port}`,
        'security.protocol': 'sasl_plaintext',
        'sasl.mechanisms': 'SCRAM-SHA-512',
        'sasl.username': 'alice',
        'sasl.password': 'alice-secret',
      },
      log,
      { timeoutMs: 1500 },
    );
    try {
      const r = await reader.describe('my-topic');
      expect('unavailable' in r && r.unavailable).toMatch(/DescribeConfigs on topic my-topic/);
      expect(r).not.toHaveProperty('status');
    } finally {
      await reader.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
    expect(lines.join('')).not.toContain('alice-secret');
  });

  it('after close, describe answers at once that the bridge is shutting down', async () => {
    const { log } = capture();
    const reader = createTopicConfigReader({ 'bootstrap.servers': '127.0.0.1:1' }, log);
    await reader.close();
    expect(await reader.describe('t')).toEqual({ unavailable: 'the bridge is shutting down' });
  });

  it('the ACL denial message names the operation, the topic and the fix', () => {
    expect(notAuthorizedToDescribeConfigs('my-topic')).toBe(
      'Not authorized to DescribeConfigs on topic my-topic: grant the DescribeConfigs ACL on this topic to read its configs',
    );
  });
});
