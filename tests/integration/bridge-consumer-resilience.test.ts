/**
 * The consumer when things go wrong: the bridge killed mid-stream (at-least-once), stopped with
 * SIGTERM (auto-commit instances commit what they returned), and Kafka going away (503, never an
 * empty 200). These need the built bridge (`dist/bridge/main.js`) as a child process.
 */
import { afterAll, describe, expect, jest, test } from '@jest/globals';
import { startKafka } from '../infra/kafka.js';
import { createTopic } from '../infra/kafka-admin.js';
import { newRunDir } from '../infra/paths.js';
import { requireKafka } from '../infra/state.js';
import {
  type BridgeUnderTest,
  CT,
  haveBuiltBridge,
  http,
  produce,
  startBridge,
  uniqueName,
} from './bridge-consumer-harness.js';

jest.setTimeout(180_000);

const kafka = requireKafka();
const started: BridgeUnderTest[] = [];

afterAll(async () => {
  for (const b of started) await b.stop();
});

// A killed bridge's member stays in its group until the session times out (45 s by default):
// the broker's minimum keeps the restart test short.
const SHORT_SESSION = { 'session.timeout.ms': '6000', 'heartbeat.interval.ms': '1000' };

async function bridgeProcess(bootstrap = kafka.plaintext): Promise<BridgeUnderTest> {
  if (!haveBuiltBridge())
    throw new Error('build the bridge first: node_modules/.bin/tsc -p tsconfig.build.json');
  const b = await startBridge({ bootstrap, consumerSettings: SHORT_SESSION });
  if (b.kind !== 'process') throw new Error('these tests need the bridge as a child process');
  started.push(b);
  return b;
}

const numberedValues = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ value: Buffer.from(String(i)) }));

async function createAndSubscribe(
  b: BridgeUnderTest,
  group: string,
  topic: string,
  body: Record<string, unknown>,
): Promise<string> {
  const c = await http(b.url, 'POST', `/consumers/${group}`, { body });
  expect(c.status).toBe(200);
  const path = new URL(c.json.base_uri).pathname;
  expect((await http(b.url, 'POST', `${path}/subscription`, { body: { topics: [topic] } })).status).toBe(204);
  return path;
}

describe('at-least-once', () => {
  test('explicit commits, bridge killed with SIGKILL mid-way and restarted: every number arrives', async () => {
    const N = 300;
    const topic = uniqueName('t');
    const group = uniqueName('g');
    await createTopic(kafka, topic, 3);
    await produce(
      kafka.plaintext,
      topic,
      numberedValues(N).map((r, i) => ({ ...r, partition: i % 3 })),
    );
    const body = { name: 'worker', 'auto.offset.reset': 'earliest', 'enable.auto.commit': false };
    const seen = new Set<number>();
    let total = 0;

    const first = await bridgeProcess();
    let path = await createAndSubscribe(first, group, topic, body);
    // Small polls (max_bytes) so the kill lands mid-stream; commit after every poll except the last.
    while (seen.size < N / 2) {
      const r = await http(first.url, 'GET', `${path}/records?timeout=500&max_bytes=600`, {
        accept: CT.binary,
      });
      expect(r.status).toBe(200);
      for (const rec of r.json) {
        seen.add(Number(Buffer.from(rec.value, 'base64').toString()));
        total++;
      }
      if (seen.size < N / 2) expect((await http(first.url, 'POST', `${path}/offsets`)).status).toBe(204);
    }
    // Crash: the last poll's records were returned but never committed.
    await first.kill?.();

    const second = await bridgeProcess();
    path = await createAndSubscribe(second, group, topic, body);
    const deadline = Date.now() + 60_000;
    while (seen.size < N && Date.now() < deadline) {
      const r = await http(second.url, 'GET', `${path}/records?timeout=500`, { accept: CT.binary });
      expect(r.status).toBe(200);
      for (const rec of r.json) {
        seen.add(Number(Buffer.from(rec.value, 'base64').toString()));
        total++;
      }
      expect((await http(second.url, 'POST', `${path}/offsets`)).status).toBe(204);
    }
    const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !seen.has(i));
    expect(missing).toEqual([]);
    // The uncommitted tail of the first bridge came again: at-least-once, not at-most-once.
    expect(total).toBeGreaterThan(N);
  });

  test('SIGTERM: an auto-commit instance commits exactly what it returned and leaves the group', async () => {
    const topic = uniqueName('t');
    const group = uniqueName('g');
    await createTopic(kafka, topic, 1);
    await produce(kafka.plaintext, topic, numberedValues(20));
    const body = { name: 'auto', 'auto.offset.reset': 'earliest' };

    const first = await bridgeProcess();
    let path = await createAndSubscribe(first, group, topic, body);
    const got: number[] = [];
    const until = Date.now() + 30_000;
    while (got.length < 7 && Date.now() < until) {
      // About 50 bytes per record: 7 records fit in 400 bytes, the rest stay in the bridge unreturned.
      const r = await http(first.url, 'GET', `${path}/records?timeout=500&max_bytes=400`, {
        accept: CT.binary,
      });
      got.push(...r.json.map((x: { offset: number }) => x.offset));
    }
    expect(got.length).toBeGreaterThan(0);
    const returned = got.length;
    await first.stop(); // SIGTERM, waits for the exit

    const second = await bridgeProcess();
    path = await createAndSubscribe(second, group, topic, body);
    const rest: number[] = [];
    const deadline = Date.now() + 30_000;
    while (rest.length < 20 - returned && Date.now() < deadline) {
      const r = await http(second.url, 'GET', `${path}/records?timeout=500`, { accept: CT.binary });
      rest.push(...r.json.map((x: { offset: number }) => x.offset));
    }
    // Neither the records returned before the stop again, nor a gap.
    expect(rest).toEqual(Array.from({ length: 20 - returned }, (_, i) => returned + i));
  });
});

describe('Kafka unreachable', () => {
  test('a poll after the broker went away is 503 naming the bootstrap address, never an empty 200', async () => {
    const own = await startKafka(newRunDir('consumer-503'));
    let stopped = false;
    try {
      const topic = uniqueName('t');
      await createTopic(own.state, topic, 1);
      await produce(own.state.plaintext, topic, numberedValues(1));
      const b = await bridgeProcess(own.state.plaintext);
      const path = await createAndSubscribe(b, uniqueName('g'), topic, {
        'auto.offset.reset': 'earliest',
        'consumer.request.timeout.ms': 3000,
      });
      const deadline = Date.now() + 30_000;
      let first: unknown[] = [];
      while (first.length === 0 && Date.now() < deadline) {
        const r = await http(b.url, 'GET', `${path}/records?timeout=500`, { accept: CT.binary });
        expect(r.status).toBe(200);
        first = r.json;
      }
      expect(first).toHaveLength(1);

      await own.stop();
      stopped = true;
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof http>> | undefined;
      for (let i = 0; i < 5; i++) {
        last = await http(b.url, 'GET', `${path}/records?timeout=300`, { accept: CT.binary });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([503, 503, 503, 503, 503]);
      expect(last?.json.error_code).toBe(503);
      expect(last?.json.message).toContain(own.state.plaintext);

      // Creating an instance while Kafka is away is a 503 too, within consumer.request.timeout.ms.
      const c = await http(b.url, 'POST', `/consumers/${uniqueName('g')}`, {
        body: { 'consumer.request.timeout.ms': 2000 },
      });
      expect(c.status).toBe(503);
      expect(c.json.message).toContain(own.state.plaintext);
    } finally {
      if (!stopped) await own.stop();
    }
  });
});
