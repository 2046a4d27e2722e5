/**
 * GET /topics/{t} and its configs (DescribeConfigs, read through kafkajs) against the real broker:
 * - over PLAINTEXT every config entry comes back, defaults included, and a change made with Kafka's
 *   own ConfigCommand shows in the next answer;
 * - over mutual TLS with PEM files (truststore/keystore locations, host name verification on), a
 *   principal with Read+Write but no DescribeConfigs gets name + partitions and a
 *   `configs_unavailable` naming DescribeConfigs and the topic; once granted, the configs appear.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { runKafkaTool } from '../infra/kafka.js';
import { addAcls, clientCertFor, createTopic } from '../infra/kafka-admin.js';
import { requireKafka } from '../infra/state.js';
import { type BridgeProcess, call, eventually, startBridgeProcess } from './bridge-producer-harness.js';

jest.setTimeout(120_000);
const kafka = requireKafka();
const run = Math.random().toString(36).slice(2, 8);
const plainTopic = `configs-plain-${run}`;
const tlsTopic = `configs-tls-${run}`;
const hidden = `configs-hidden-${run}`;
const principal = `configs-${run}`;

let plain: BridgeProcess | undefined;
let tls: BridgeProcess | undefined;
let keyPem = '';

function alterTopicConfig(topic: string, settings: string): Promise<string> {
  return runKafkaTool('kafka.admin.ConfigCommand', [
    '--bootstrap-server',
    kafka.plaintext,
    '--alter',
    '--entity-type',
    'topics',
    '--entity-name',
    topic,
    '--add-config',
    settings,
  ]);
}

beforeAll(async () => {
  await Promise.all([
    createTopic(kafka, plainTopic, 2),
    createTopic(kafka, tlsTopic, 1),
    createTopic(kafka, hidden, 1),
  ]);
  const cert = await clientCertFor(kafka, principal);
  await addAcls(kafka, principal, [{ resource: { topic: tlsTopic }, operations: ['Read', 'Write'] }]);
  keyPem = readFileSync(cert.keyFile, 'utf8');
  // A PEM keystore file holds the key and the chain together, as Strimzi's user secrets can.
  const dir = mkdtempSync(join(tmpdir(), 'topic-configs-'));
  const keystore = join(dir, 'user.pem');
  writeFileSync(keystore, `${readFileSync(cert.certFile, 'utf8')}\n${keyPem}`);
  [plain, tls] = await Promise.all([
    startBridgeProcess({
      properties: `bridge.id=configs-plain\nkafka.bootstrap.servers=${kafka.plaintext}\n`,
    }),
    startBridgeProcess({
      properties: [
        'bridge.id=configs-tls',
        `kafka.bootstrap.servers=${kafka.ssl}`,
        'kafka.security.protocol=SSL',
        'kafka.ssl.truststore.type=PEM',
        `kafka.ssl.truststore.location=${cert.caFile}`,
        'kafka.ssl.keystore.type=PEM',
        `kafka.ssl.keystore.location=${keystore}`,
        'kafka.ssl.endpoint.identification.algorithm=HTTPS',
        '',
      ].join('\n'),
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([plain?.stop(), tls?.stop()]);
});

describe('GET /topics/{t} over PLAINTEXT', () => {
  test('name, partitions and every config entry (defaults included) as strings', async () => {
    const r = await call(plain!.url, 'GET', `/topics/${plainTopic}`);
    expect(r.status).toBe(200);
    expect(r.body.name).toBe(plainTopic);
    expect(r.body.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1]);
    expect(r.body.configs_unavailable).toBeUndefined();
    expect(r.body.configs['cleanup.policy']).toBe('delete');
    expect(r.body.configs['min.insync.replicas']).toBe('1');
    // Kafka 4.1 describes ~30 topic settings; all strings (the contract's additionalProperties).
    expect(Object.keys(r.body.configs).length).toBeGreaterThan(20);
    for (const v of Object.values(r.body.configs)) expect(typeof v).toBe('string');
  });

  test('a change made with ConfigCommand shows in the next answer (read live, not remembered)', async () => {
    await alterTopicConfig(plainTopic, 'cleanup.policy=compact,retention.ms=123456789');
    await eventually(
      async () =>
        (await call(plain!.url, 'GET', `/topics/${plainTopic}`)).body.configs?.['cleanup.policy'] ===
        'compact',
      20_000,
      'cleanup.policy=compact in GET /topics/{t}',
    );
    const r = await call(plain!.url, 'GET', `/topics/${plainTopic}`);
    expect(r.body.configs['retention.ms']).toBe('123456789');
  });

  test('an unknown topic is still 404 (the config read does not change that)', async () => {
    const r = await call(plain!.url, 'GET', `/topics/no-such-topic-${run}`);
    expect(r.status).toBe(404);
    expect(r.body.error_code).toBe(404);
    expect(r.body.configs_unavailable).toBeUndefined();
  });
});

describe('GET /topics/{t} over mutual TLS (PEM files, host name verified), ACLs enforced', () => {
  test('Read+Write but no DescribeConfigs: 200 with name and partitions, configs left out and why', async () => {
    const r = await call(tls!.url, 'GET', `/topics/${tlsTopic}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      name: tlsTopic,
      partitions: [
        { partition: 0, leader: expect.any(Number), replicas: [expect.objectContaining({ leader: true })] },
      ],
      configs_unavailable: `Not authorized to DescribeConfigs on topic ${tlsTopic}: grant the DescribeConfigs ACL on this topic to read its configs`,
    });
    expect(r.text).not.toContain('Topic authorization failed');
  });

  test('no Describe at all: still 403 naming Describe (metadata decides, as before)', async () => {
    const r = await call(tls!.url, 'GET', `/topics/${hidden}`);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ error_code: 403, message: `Not authorized to Describe on topic ${hidden}` });
  });

  test('after granting DescribeConfigs on the topic, the configs appear', async () => {
    await addAcls(kafka, principal, [{ resource: { topic: tlsTopic }, operations: ['DescribeConfigs'] }]);
    await eventually(
      async () => (await call(tls!.url, 'GET', `/topics/${tlsTopic}`)).body.configs !== undefined,
      20_000,
      'configs in GET /topics/{t} after the grant',
    );
    const r = await call(tls!.url, 'GET', `/topics/${tlsTopic}`);
    expect(r.status).toBe(200);
    expect(r.body.configs['cleanup.policy']).toBe('delete');
    expect(r.body.configs_unavailable).toBeUndefined();
    expect(r.body.partitions).toHaveLength(1);
  });

  test('the log holds no key material and no kafkajs noise on stderr', () => {
    const log = readFileSync(tls!.proc.logFile, 'utf8');
    const keyBody = keyPem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----'));
    expect(keyBody).toBeDefined();
    expect(log).not.toContain(keyBody!);
    expect(log).not.toContain('PRIVATE KEY');
    expect(log).not.toMatch(/kafkajs/i);
  });
});
