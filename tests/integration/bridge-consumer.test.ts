/**
 * The consumer API against the real broker: lifecycle, subscription, poll, commit, seek, the
 * error codes, and the places where we deliberately do better than the anchor.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTopic } from '../infra/kafka-admin.js';
import { requireKafka } from '../infra/state.js';
import {
  type BridgeUnderTest,
  CT,
  http,
  pollUntil,
  produce,
  startBridge,
  uniqueName,
} from './bridge-consumer-harness.js';

const kafka = requireKafka();
let bridge: BridgeUnderTest;

beforeAll(async () => {
  bridge = await startBridge({ bootstrap: kafka.plaintext });
});

afterAll(async () => {
  await bridge?.stop();
});

async function newConsumer(group: string, body: Record<string, unknown> = {}): Promise<string> {
  const r = await http(bridge.url, 'POST', `/consumers/${group}`, { body });
  expect(r.status).toBe(200);
  return new URL(r.json.base_uri).pathname;
}

const numbered = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`k${from + i}`),
    value: Buffer.from(`v${from + i}`),
  }));

describe('instances', () => {
  test('create answers instance_id and a base_uri built from Host; the name is unique per group', async () => {
    const group = uniqueName('g');
    const r = await http(bridge.url, 'POST', `/consumers/${group}`, { body: { name: 'c1', format: 'json' } });
    expect(r.status).toBe(200);
    expect(r.contentType).toContain(CT.v2);
    const port = new URL(bridge.url).port;
    expect(r.json).toEqual({
      instance_id: 'c1',
      base_uri: `http://127.0.0.1:${port}/consumers/${group}/instances/c1`,
    });
    const dup = await http(bridge.url, 'POST', `/consumers/${group}`, { body: { name: 'c1' } });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({
      error_code: 409,
      message: 'A consumer instance with the specified name already exists in the Kafka Bridge.',
    });
    // Same name, other group: fine.
    expect(
      (await http(bridge.url, 'POST', `/consumers/${group}-other`, { body: { name: 'c1' } })).status,
    ).toBe(200);
    expect((await http(bridge.url, 'DELETE', `/consumers/${group}/instances/c1`)).status).toBe(204);
    expect((await http(bridge.url, 'DELETE', `/consumers/${group}-other/instances/c1`)).status).toBe(204);
    const gone = await http(bridge.url, 'DELETE', `/consumers/${group}/instances/c1`);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ error_code: 404, message: 'The specified consumer instance was not found.' });
  });

  test('without a name the bridge generates <bridge.id>-<uuid>; forwarded headers shape base_uri', async () => {
    const group = uniqueName('g');
    const r = await http(bridge.url, 'POST', `/consumers/${group}`, {
      body: {},
      headers: { forwarded: 'for=1.2.3.4;host=bridge.example.com:9443;proto=https' },
    });
    expect(r.status).toBe(200);
    expect(r.json.instance_id).toMatch(/^test-bridge-[0-9a-f-]{36}$/);
    expect(r.json.base_uri).toBe(
      `https://bridge.example.com:9443/consumers/${group}/instances/${r.json.instance_id}`,
    );
    const x = await http(bridge.url, 'POST', `/consumers/${group}`, {
      body: { name: 'xf' },
      headers: {
        'x-forwarded-host': 'gw.example.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-path': `/kafka/consumers/${group}`,
      },
    });
    expect(x.json.base_uri).toBe(`https://gw.example.com:443/kafka/consumers/${group}/instances/xf`);
    await http(bridge.url, 'DELETE', `/consumers/${group}/instances/${r.json.instance_id}`);
    await http(bridge.url, 'DELETE', `/consumers/${group}/instances/xf`);
  });

  test('bad format and a value librdkafka refuses are 422 naming the problem', async () => {
    const group = uniqueName('g');
    const f = await http(bridge.url, 'POST', `/consumers/${group}`, { body: { format: 'avro' } });
    expect(f.status).toBe(422);
    expect(f.json.message).toBe('Invalid format type.');
    const a = await http(bridge.url, 'POST', `/consumers/${group}`, { body: { 'auto.offset.reset': 'foo' } });
    expect(a.status).toBe(422);
    expect(a.json.message).toContain('auto.offset.reset');
  });
});

describe('http.consumer.enabled=false', () => {
  test('every consumer endpoint answers 503 with the anchor text', async () => {
    const off = await startBridge({ bootstrap: kafka.plaintext, consumerEnabled: false });
    try {
      const message =
        'Consumer is disabled in config. To enable consumer update http.consumer.enabled to true';
      const create = await http(off.url, 'POST', '/consumers/g', { body: {} });
      expect(create.status).toBe(503);
      expect(create.json).toEqual({ error_code: 503, message });
      const poll = await http(off.url, 'GET', '/consumers/g/instances/x/records', { accept: CT.binary });
      expect(poll.status).toBe(503);
    } finally {
      await off.stop();
    }
  });
});

describe('subscribe, poll, commit', () => {
  test('every error code of subscribe, assign and poll', async () => {
    const group = uniqueName('g');
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 1);
    const path = await newConsumer(group, { format: 'binary' });

    const notSub = await http(bridge.url, 'GET', `${path}/records`, { accept: CT.binary });
    expect(notSub.status).toBe(500);
    expect(notSub.json.message).toBe('Consumer is not subscribed to any topics or assigned any partitions');

    const both = await http(bridge.url, 'POST', `${path}/subscription`, {
      body: { topics: [topic], topic_pattern: 'x.*' },
    });
    expect(both.status).toBe(409);
    const neither = await http(bridge.url, 'POST', `${path}/subscription`, { body: {} });
    expect(neither.status).toBe(422);
    expect(neither.json.message).toBe('A list (of Topics type) or a topic_pattern must be specified.');

    expect(
      (await http(bridge.url, 'POST', `${path}/subscription`, { body: { topics: [topic] } })).status,
    ).toBe(204);
    const assign = await http(bridge.url, 'POST', `${path}/assignments`, {
      body: { partitions: [{ topic, partition: 0 }] },
    });
    expect(assign.status).toBe(409);
    expect(assign.json.message).toBe(
      'Subscriptions to topics, partitions, and patterns are mutually exclusive.',
    );

    for (const accept of [CT.json, CT.text, '*/*', undefined]) {
      const r = await http(bridge.url, 'GET', `${path}/records`, accept ? { accept } : {});
      expect(r.status).toBe(406);
    }
    const unknown = await http(bridge.url, 'GET', `/consumers/${group}/instances/nobody/records`, {
      accept: CT.binary,
    });
    expect(unknown.status).toBe(404);

    // Assigned instance: subscribe is the conflict.
    const path2 = await newConsumer(group);
    expect(
      (
        await http(bridge.url, 'POST', `${path2}/assignments`, {
          body: { partitions: [{ topic, partition: 0 }] },
        })
      ).status,
    ).toBe(204);
    expect(
      (await http(bridge.url, 'POST', `${path2}/subscription`, { body: { topics: [topic] } })).status,
    ).toBe(409);
    await http(bridge.url, 'DELETE', path);
    await http(bridge.url, 'DELETE', path2);
  });

  test('subscription listing shows the subscribed topics and the current assignment', async () => {
    const group = uniqueName('g');
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 3);
    await produce(
      kafka.plaintext,
      topic,
      numbered(3).map((r, i) => ({ ...r, partition: i })),
    );
    const path = await newConsumer(group, { 'auto.offset.reset': 'earliest' });
    await http(bridge.url, 'POST', `${path}/subscription`, { body: { topics: [topic] } });
    await pollUntil(bridge.url, path, CT.binary, 3);
    const l = await http(bridge.url, 'GET', `${path}/subscription`);
    expect(l.status).toBe(200);
    expect(l.json).toEqual({ topics: [topic], partitions: [{ [topic]: [0, 1, 2] }] });
    expect((await http(bridge.url, 'DELETE', `${path}/subscription`)).status).toBe(204);
    expect((await http(bridge.url, 'GET', `${path}/subscription`)).json).toEqual({
      topics: [],
      partitions: [],
    });
    await http(bridge.url, 'DELETE', path);
  });

  test('committed offsets survive deleting and re-creating an instance', async () => {
    const group = uniqueName('g');
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 1);
    await produce(kafka.plaintext, topic, numbered(10));
    const path = await newConsumer(group, {
      name: 'a',
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
    });
    await http(bridge.url, 'POST', `${path}/subscription`, { body: { topics: [topic] } });
    const first = await pollUntil(bridge.url, path, CT.binary, 10);
    expect(first.map((r) => Buffer.from(r.value, 'base64').toString())).toEqual(
      numbered(10).map((r) => r.value.toString()),
    );
    // Commit up to offset 6 explicitly (next to read = 6), then delete.
    expect(
      (
        await http(bridge.url, 'POST', `${path}/offsets`, {
          body: { offsets: [{ topic, partition: 0, offset: 6 }] },
        })
      ).status,
    ).toBe(204);
    expect((await http(bridge.url, 'DELETE', path)).status).toBe(204);
    const again = await newConsumer(group, {
      name: 'a',
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
    });
    await http(bridge.url, 'POST', `${again}/subscription`, { body: { topics: [topic] } });
    const rest = await pollUntil(bridge.url, again, CT.binary, 4);
    expect(rest.map((r) => r.offset)).toEqual([6, 7, 8, 9]);
    // A body-less commit commits everything returned so far.
    expect((await http(bridge.url, 'POST', `${again}/offsets`)).status).toBe(204);
    await http(bridge.url, 'DELETE', again);
    const third = await newConsumer(group, { name: 'a', 'auto.offset.reset': 'earliest' });
    await http(bridge.url, 'POST', `${third}/subscription`, { body: { topics: [topic] } });
    await produce(kafka.plaintext, topic, numbered(1, 10));
    const last = await pollUntil(bridge.url, third, CT.binary, 1);
    expect(last.map((r) => r.offset)).toEqual([10]);
    await http(bridge.url, 'DELETE', third);
  });
});
