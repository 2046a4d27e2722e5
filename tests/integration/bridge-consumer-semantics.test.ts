/**
 * Consumer semantics against the real broker: group balancing, auto.offset.reset, seek, byte-exact
 * formats with headers, max_bytes, undecodable JSON, topic patterns and the idle sweep.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
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

jest.setTimeout(90_000);

const kafka = requireKafka();
let bridge: BridgeUnderTest;

beforeAll(async () => {
  // Pattern subscriptions see new topics at the next metadata refresh (librdkafka default 5 min).
  bridge = await startBridge({
    bootstrap: kafka.plaintext,
    consumerSettings: { 'topic.metadata.refresh.interval.ms': '1000' },
  });
});

afterAll(async () => {
  await bridge?.stop();
});

async function newConsumer(group: string, body: Record<string, unknown> = {}): Promise<string> {
  const r = await http(bridge.url, 'POST', `/consumers/${group}`, { body });
  if (r.status !== 200) throw new Error(`create answered ${r.status}: ${r.text}`);
  return new URL(r.json.base_uri).pathname;
}

async function subscribe(path: string, body: Record<string, unknown>): Promise<void> {
  const r = await http(bridge.url, 'POST', `${path}/subscription`, { body });
  if (r.status !== 204) throw new Error(`subscribe answered ${r.status}: ${r.text}`);
}

const values = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${from + i}`) }));
const decode = (b64: string) => Buffer.from(b64, 'base64').toString();

describe('groups and offsets', () => {
  test('two instances in one group split the partitions and together read every record once', async () => {
    const group = uniqueName('g');
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 4);
    const a = await newConsumer(group, { 'auto.offset.reset': 'earliest' });
    const b = await newConsumer(group, { 'auto.offset.reset': 'earliest' });
    await subscribe(a, { topics: [topic] });
    await subscribe(b, { topics: [topic] });
    // Both poll until the group has settled with both members holding partitions.
    const deadline = Date.now() + 30_000;
    let pa: number[] = [];
    let pb: number[] = [];
    while (Date.now() < deadline) {
      await Promise.all([
        http(bridge.url, 'GET', `${a}/records?timeout=200`, { accept: CT.binary }),
        http(bridge.url, 'GET', `${b}/records?timeout=200`, { accept: CT.binary }),
      ]);
      pa = (await http(bridge.url, 'GET', `${a}/subscription`)).json.partitions[0]?.[topic] ?? [];
      pb = (await http(bridge.url, 'GET', `${b}/subscription`)).json.partitions[0]?.[topic] ?? [];
      if (pa.length === 2 && pb.length === 2) break;
    }
    expect([...pa, ...pb].sort()).toEqual([0, 1, 2, 3]);
    await produce(
      kafka.plaintext,
      topic,
      values(40).map((r, i) => ({ ...r, partition: i % 4 })),
    );
    const got: Array<{ partition: number; value: string }> = [];
    const until = Date.now() + 30_000;
    while (got.length < 40 && Date.now() < until) {
      const [ra, rb] = await Promise.all([
        http(bridge.url, 'GET', `${a}/records?timeout=300`, { accept: CT.binary }),
        http(bridge.url, 'GET', `${b}/records?timeout=300`, { accept: CT.binary }),
      ]);
      for (const r of ra.json) {
        expect(pa).toContain(r.partition);
        got.push({ partition: r.partition, value: decode(r.value) });
      }
      for (const r of rb.json) {
        expect(pb).toContain(r.partition);
        got.push({ partition: r.partition, value: decode(r.value) });
      }
    }
    expect(got.map((g) => g.value).sort()).toEqual(
      values(40)
        .map((v) => v.value.toString())
        .sort(),
    );
    await http(bridge.url, 'DELETE', a);
    await http(bridge.url, 'DELETE', b);
  });

  test('auto.offset.reset earliest reads the backlog, latest only what comes after joining', async () => {
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 1);
    await produce(kafka.plaintext, topic, values(5));
    const early = await newConsumer(uniqueName('g'), { 'auto.offset.reset': 'earliest' });
    const late = await newConsumer(uniqueName('g'), { 'auto.offset.reset': 'latest' });
    await subscribe(early, { topics: [topic] });
    await subscribe(late, { topics: [topic] });
    expect((await pollUntil(bridge.url, early, CT.binary, 5)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    // Wait until `late` holds the partition (its position is then the end), then produce more.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const r = await http(bridge.url, 'GET', `${late}/records?timeout=200`, { accept: CT.binary });
      expect(r.json).toEqual([]);
      const l = await http(bridge.url, 'GET', `${late}/subscription`);
      if (l.json.partitions.length > 0) break;
    }
    await produce(kafka.plaintext, topic, values(2, 5));
    expect((await pollUntil(bridge.url, late, CT.binary, 2)).map((r) => r.offset)).toEqual([5, 6]);
    await http(bridge.url, 'DELETE', early);
    await http(bridge.url, 'DELETE', late);
  });

  test('seek to an offset, to the beginning and to the end, on an assigned partition', async () => {
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 2);
    await produce(
      kafka.plaintext,
      topic,
      values(10).map((r) => ({ ...r, partition: 0 })),
    );
    const c = await newConsumer(uniqueName('g'), {
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
    });
    const assign = await http(bridge.url, 'POST', `${c}/assignments`, {
      body: { partitions: [{ topic, partition: 0 }] },
    });
    expect(assign.status).toBe(204);
    // Straight after assign, before any poll. (Status with body: a failure shows the bridge's message.)
    const seek = await http(bridge.url, 'POST', `${c}/positions`, {
      body: { offsets: [{ topic, partition: 0, offset: 7 }] },
    });
    expect({ status: seek.status, text: seek.text }).toEqual({ status: 204, text: '' });
    expect((await pollUntil(bridge.url, c, CT.binary, 3)).map((r) => r.offset)).toEqual([7, 8, 9]);
    expect(
      (
        await http(bridge.url, 'POST', `${c}/positions/beginning`, {
          body: { partitions: [{ topic, partition: 0 }] },
        })
      ).status,
    ).toBe(204);
    expect((await pollUntil(bridge.url, c, CT.binary, 10)).map((r) => r.offset)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(
      (
        await http(bridge.url, 'POST', `${c}/positions`, {
          body: { offsets: [{ topic, partition: 0, offset: 3 }] },
        })
      ).status,
    ).toBe(204);
    const three = await pollUntil(bridge.url, c, CT.binary, 1, 10_000, 'timeout=1000&max_bytes=200');
    expect(three[0].offset).toBe(3);
    expect(
      (
        await http(bridge.url, 'POST', `${c}/positions/end`, {
          body: { partitions: [{ topic, partition: 0 }] },
        })
      ).status,
    ).toBe(204);
    await produce(kafka.plaintext, topic, [{ value: Buffer.from('after-end'), partition: 0 }]);
    const after = await pollUntil(bridge.url, c, CT.binary, 1);
    expect(after.map((r) => [r.offset, decode(r.value)])).toEqual([[10, 'after-end']]);
    // A partition that is not assigned is 404, as the anchor.
    for (const [path, body] of [
      [`${c}/positions`, { offsets: [{ topic, partition: 1, offset: 0 }] }],
      [`${c}/positions/beginning`, { partitions: [{ topic, partition: 1 }] }],
      [`${c}/positions/end`, { partitions: [{ topic, partition: 1 }] }],
    ] as const) {
      const r = await http(bridge.url, 'POST', path, { body });
      expect(r.status).toBe(404);
      expect(r.json.message).toBe(`No current assignment for partition ${topic}-1`);
    }
    await http(bridge.url, 'DELETE', c);
  });
});

describe('formats', () => {
  test('binary: arbitrary bytes, null key, headers, byte for byte', async () => {
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 1);
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f, 0x0a, 0xc3, 0x28]);
    await produce(kafka.plaintext, topic, [
      {
        key: Buffer.from([0xde, 0xad]),
        value: bytes,
        headers: [{ h1: Buffer.from('hv1') }, { h2: Buffer.from('') }],
      },
      { key: null, value: null },
    ]);
    const c = await newConsumer(uniqueName('g'), { 'auto.offset.reset': 'earliest', format: 'binary' });
    await subscribe(c, { topics: [topic] });
    const [r1, r2] = await pollUntil(bridge.url, c, CT.binary, 2);
    expect(Buffer.from(r1.key, 'base64')).toEqual(Buffer.from([0xde, 0xad]));
    expect(Buffer.from(r1.value, 'base64')).toEqual(bytes);
    expect(r1.headers).toEqual([
      { key: 'h1', value: Buffer.from('hv1').toString('base64') },
      { key: 'h2', value: '' },
    ]);
    expect(typeof r1.timestamp).toBe('number');
    expect(r1).toMatchObject({ topic, partition: 0, offset: 0 });
    expect(r2).toMatchObject({ key: null, value: null, offset: 1 });
    expect(r2.headers).toBeUndefined();
    await http(bridge.url, 'DELETE', c);
  });

  test('text and json through the bridge both ways: produce over HTTP, poll over HTTP, same values', async () => {
    for (const format of ['text', 'json'] as const) {
      const topic = uniqueName('t');
      await createTopic(kafka, topic, 1);
      const records =
        format === 'text'
          ? [
              {
                key: 'clé',
                value: 'héllo wörld ✓ 🚀',
                headers: [{ key: 'trace', value: Buffer.from('abc').toString('base64') }],
              },
              { value: '' },
            ]
          : [
              {
                key: { id: 1 },
                value: { nested: [1, 'two', null, true], n: 1.5 },
                headers: [{ key: 'h', value: 'aGk=' }],
              },
              { key: 'k', value: ['a', 2] },
              { value: 'plain string' },
            ];
      const sent = await http(bridge.url, 'POST', `/topics/${topic}`, {
        body: { records },
        contentType: format === 'text' ? CT.text : CT.json,
      });
      expect(sent.status).toBe(200);
      const c = await newConsumer(uniqueName('g'), { 'auto.offset.reset': 'earliest', format });
      await subscribe(c, { topics: [topic] });
      const got = await pollUntil(bridge.url, c, format === 'text' ? CT.text : CT.json, records.length);
      expect(got.map((r) => ({ key: r.key, value: r.value, headers: r.headers }))).toEqual(
        records.map((r) => ({ key: 'key' in r ? r.key : null, value: r.value, headers: r.headers })),
      );
      // The poll answers in the instance's own content type.
      const again = await http(bridge.url, 'GET', `${c}/records?timeout=10`, {
        accept: format === 'text' ? CT.text : CT.json,
      });
      expect(again.contentType).toBe(format === 'text' ? CT.text : CT.json);
      await http(bridge.url, 'DELETE', c);
    }
  });

  test('json: a record that is not JSON comes as base64 with <field>_encoding, between its neighbours', async () => {
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 1);
    const raw = Buffer.from([0x6e, 0x6f, 0x74, 0x20, 0x6a, 0x73, 0x6f, 0x6e, 0xff]);
    await produce(kafka.plaintext, topic, [
      { key: Buffer.from('"k0"'), value: Buffer.from('{"ok":0}') },
      { key: Buffer.from('plain-key'), value: raw },
      { key: Buffer.from('"k2"'), value: Buffer.from('{"ok":2}') },
    ]);
    const c = await newConsumer(uniqueName('g'), { 'auto.offset.reset': 'earliest', format: 'json' });
    await subscribe(c, { topics: [topic] });
    const got = await pollUntil(bridge.url, c, CT.json, 3);
    expect(got.map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(got[0]).toMatchObject({ key: 'k0', value: { ok: 0 } });
    expect(got[0].value_encoding).toBeUndefined();
    expect(got[1]).toMatchObject({
      key: Buffer.from('plain-key').toString('base64'),
      key_encoding: 'base64',
      value: raw.toString('base64'),
      value_encoding: 'base64',
    });
    expect(got[2]).toMatchObject({ key: 'k2', value: { ok: 2 } });
    await http(bridge.url, 'DELETE', c);
  });
});

test('text: bytes that are not UTF-8 come as base64 with value_encoding, never altered', async () => {
  const topic = uniqueName('t');
  await createTopic(kafka, topic, 1);
  const bad = Buffer.from([0x61, 0xc3, 0x28, 0xff]);
  await produce(kafka.plaintext, topic, [{ value: Buffer.from('ok ✓') }, { value: bad }]);
  const c = await newConsumer(uniqueName('g'), { 'auto.offset.reset': 'earliest', format: 'text' });
  await subscribe(c, { topics: [topic] });
  const got = await pollUntil(bridge.url, c, CT.text, 2);
  expect(got[0]).toMatchObject({ value: 'ok ✓', offset: 0 });
  expect(got[0].value_encoding).toBeUndefined();
  expect(got[1]).toMatchObject({ value: bad.toString('base64'), value_encoding: 'base64', offset: 1 });
  await http(bridge.url, 'DELETE', c);
});

describe('max_bytes', () => {
  test('records over the limit come with the next poll, none is skipped; one record larger than max_bytes is 422 and stays', async () => {
    const topic = uniqueName('t');
    await createTopic(kafka, topic, 1);
    await produce(
      kafka.plaintext,
      topic,
      Array.from({ length: 6 }, (_, i) => ({ value: Buffer.alloc(300, 65 + i) })),
    );
    const c = await newConsumer(uniqueName('g'), {
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
    });
    await subscribe(c, { topics: [topic] });
    // One encoded record is ~480 bytes: 1100 bytes hold two of them, never three.
    const seen: number[] = [];
    const deadline = Date.now() + 30_000;
    while (seen.length < 6 && Date.now() < deadline) {
      const r = await http(bridge.url, 'GET', `${c}/records?timeout=500&max_bytes=1100`, {
        accept: CT.binary,
      });
      expect(r.status).toBe(200);
      expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(1100);
      expect(r.json.length).toBeLessThanOrEqual(2);
      seen.push(...r.json.map((x: { offset: number }) => x.offset));
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);

    await produce(kafka.plaintext, topic, [{ value: Buffer.alloc(1000, 90) }]);
    let tooBig: Awaited<ReturnType<typeof http>> | undefined;
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      tooBig = await http(bridge.url, 'GET', `${c}/records?timeout=500&max_bytes=100`, { accept: CT.binary });
      if (tooBig.status !== 200 || tooBig.json.length > 0) break;
    }
    expect(tooBig?.status).toBe(422);
    expect(tooBig?.json.message).toContain(
      'Response exceeds the maximum number of bytes the consumer can receive',
    );
    expect(tooBig?.json.message).toContain('offset 6');
    // The same record again with room for it: it was not skipped.
    const r = await http(bridge.url, 'GET', `${c}/records?timeout=500`, { accept: CT.binary });
    expect(r.json.map((x: { offset: number }) => x.offset)).toEqual([6]);
    expect(Buffer.from(r.json[0].value, 'base64')).toEqual(Buffer.alloc(1000, 90));
    await http(bridge.url, 'DELETE', c);
  });
});

describe('patterns and inactivity', () => {
  test('a topic_pattern subscription picks up a topic created after it', async () => {
    const prefix = uniqueName('pat');
    const first = `${prefix}-a`;
    await createTopic(kafka, first, 1);
    const c = await newConsumer(uniqueName('g'), { 'auto.offset.reset': 'earliest' });
    await subscribe(c, { topic_pattern: `${prefix}-.*` });
    await produce(kafka.plaintext, first, values(1));
    expect((await pollUntil(bridge.url, c, CT.binary, 1)).map((r) => r.topic)).toEqual([first]);
    const later = `${prefix}-b`;
    await createTopic(kafka, later, 1);
    await produce(kafka.plaintext, later, values(1, 1));
    const got = await pollUntil(bridge.url, c, CT.binary, 1, 30_000);
    expect(got.map((r) => [r.topic, decode(r.value)])).toEqual([[later, 'v1']]);
    const l = await http(bridge.url, 'GET', `${c}/subscription`);
    expect(l.json.topics).toEqual([`${prefix}-.*`]);
    expect(l.json.partitions).toEqual(expect.arrayContaining([{ [first]: [0] }, { [later]: [0] }]));
    await http(bridge.url, 'DELETE', c);
  });

  test('an instance idle for http.timeoutSeconds is deleted; one in use is kept', async () => {
    const short = await startBridge({ bootstrap: kafka.plaintext, timeoutSeconds: 2 });
    try {
      const group = uniqueName('g');
      const idle = await http(short.url, 'POST', `/consumers/${group}`, { body: { name: 'idle' } });
      const busy = await http(short.url, 'POST', `/consumers/${group}`, { body: { name: 'busy' } });
      expect(idle.status).toBe(200);
      expect(busy.status).toBe(200);
      const busyPath = new URL(busy.json.base_uri).pathname;
      // Keep `busy` active for 4.5 s (every operation refreshes its clock).
      const stop = Date.now() + 4500;
      while (Date.now() < stop) {
        expect((await http(short.url, 'GET', `${busyPath}/subscription`)).status).toBe(200);
        await new Promise((r) => setTimeout(r, 500));
      }
      expect((await http(short.url, 'GET', `/consumers/${group}/instances/idle/subscription`)).status).toBe(
        404,
      );
      expect((await http(short.url, 'GET', `${busyPath}/subscription`)).status).toBe(200);
      // The name is free again.
      expect((await http(short.url, 'POST', `/consumers/${group}`, { body: { name: 'idle' } })).status).toBe(
        200,
      );
    } finally {
      await short.stop();
    }
  });
});
