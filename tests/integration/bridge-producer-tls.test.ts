/**
 * The scenario's sidecar setup against the broker's mutual-TLS listener with ACLs: the
 * scenario's bridge-configmap.yaml used verbatim as bridge.properties, the certificate, key and
 * CA arriving in USER_CRT/USER_KEY/CA_CRT and the bootstrap address in BOOTSTRAP_SERVERS, as
 * the pod's env does. ACLs as the scenario's KafkaUser: Read and Write on the topic, Read on the group.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { parse } from 'yaml';
import { addAcls, clientCertFor, createTopic } from '../infra/kafka-admin.js';
import { requireKafka } from '../infra/state.js';
import { type BridgeProcess, CT, call, readBack, startBridgeProcess } from './bridge-producer-harness.js';

jest.setTimeout(90_000);
const kafka = requireKafka();
const run = Math.random().toString(36).slice(2, 8);
const allowed = `my-topic-${run}`;
const denied = `secret-${run}`;
const principal = `bridge-${run}`;

let bridge: BridgeProcess;
let keyPem: string;

beforeAll(async () => {
  await createTopic(kafka, allowed, 1);
  await createTopic(kafka, denied, 1);
  const cert = await clientCertFor(kafka, principal);
  await addAcls(kafka, principal, [
    { resource: { topic: allowed }, operations: ['Read', 'Write'] },
    { resource: { group: `my-group-${run}` }, operations: ['Read'] },
  ]);
  const configMap = parse(
    readFileSync(join(process.cwd(), 'tests/fixtures/scenario/bridge-configmap.yaml'), 'utf8'),
  ) as {
    data: Record<string, string>;
  };
  const properties = configMap.data['bridge.properties'];
  if (!properties) throw new Error('bridge-configmap.yaml has no bridge.properties');
  keyPem = readFileSync(cert.keyFile, 'utf8');
  bridge = await startBridgeProcess({
    properties,
    env: {
      BOOTSTRAP_SERVERS: kafka.ssl,
      USER_CRT: readFileSync(cert.certFile, 'utf8'),
      USER_KEY: keyPem,
      CA_CRT: readFileSync(cert.caFile, 'utf8'),
    },
  });
});

afterAll(async () => {
  await bridge?.stop();
});

describe('mutual TLS with the scenario configuration', () => {
  test('produce to the allowed topic: 200 with offsets, and the records are in Kafka', async () => {
    const r = await call(bridge.url, 'POST', `/topics/${allowed}`, {
      ct: CT.json,
      body: { records: [{ value: 'Hello World!' }] },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ offsets: [{ partition: 0, offset: expect.any(Number) }] });
    const back = await readBack(kafka.plaintext, allowed, 0, r.body.offsets[0].offset, 1);
    expect(back[0]!.value!.toString()).toBe('"Hello World!"');
  });

  test('GET /topics/{t} without the DescribeConfigs ACL: 200 with name and partitions (the anchor answered 500)', async () => {
    const r = await call(bridge.url, 'GET', `/topics/${allowed}`);
    expect(r.status).toBe(200);
    expect(r.body.name).toBe(allowed);
    expect(r.body.partitions).toHaveLength(1);
    expect(r.body.configs).toBeUndefined();
    expect(r.body.configs_unavailable).toContain(`Not authorized to DescribeConfigs on topic ${allowed}`);
    expect((await call(bridge.url, 'GET', '/topics')).body).toContain(allowed);
  });

  test('with the DescribeConfigs ACL granted, the same request carries the configs', async () => {
    await addAcls(kafka, principal, [{ resource: { topic: allowed }, operations: ['DescribeConfigs'] }]);
    // ACLs reach the authorizer asynchronously: ask until they apply.
    let r = await call(bridge.url, 'GET', `/topics/${allowed}`);
    for (let i = 0; i < 50 && r.body.configs === undefined; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await call(bridge.url, 'GET', `/topics/${allowed}`);
    }
    expect(r.status).toBe(200);
    expect(r.body.configs['cleanup.policy']).toBe('delete');
    expect(r.body.configs_unavailable).toBeUndefined();
  });

  test('an ACL denial names the operation and the resource: produce (per record), describe, create', async () => {
    const p = await call(bridge.url, 'POST', `/topics/${denied}`, {
      ct: CT.text,
      body: { records: [{ value: 'x' }] },
    });
    expect(p.status).toBe(200);
    expect(p.body.offsets).toEqual([
      { error_code: 403, message: `Not authorized to Write on topic ${denied}` },
    ]);
    const d = await call(bridge.url, 'GET', `/topics/${denied}`);
    expect(d.status).toBe(403);
    expect(d.body).toEqual({ error_code: 403, message: `Not authorized to Describe on topic ${denied}` });
    const o = await call(bridge.url, 'GET', `/topics/${denied}/partitions/0/offsets`);
    expect(o.status).toBe(403);
    const c = await call(bridge.url, 'POST', '/admin/topics', {
      ct: CT.json,
      body: { topic_name: `new-${run}` },
    });
    expect(c.status).toBe(403);
    expect(c.body.message).toBe(`Not authorized to Create on topic new-${run}`);
  });

  test('the log holds no secret and no "unknown config" noise about config providers', () => {
    const log = readFileSync(bridge.proc.logFile, 'utf8');
    expect(log).toContain('kafka-bridge ready');
    const keyBody = keyPem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----'));
    expect(keyBody).toBeDefined();
    expect(log).not.toContain(keyBody!);
    expect(log).not.toContain('PRIVATE KEY');
    expect(log).not.toMatch(/config\.providers.*(unknown|not a known)/i);
  });
});
