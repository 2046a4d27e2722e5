/**
 * What the producer-side bridge tests share: the real `dist/bridge/main.js` started as a child
 * process on free ports, an HTTP client speaking the bridge's content types, and a direct
 * node-rdkafka consumer that reads back exactly what reached Kafka.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import rdkafka from 'node-rdkafka';
import { freePort } from '../infra/ports.js';
import { type Supervised, supervise, waitUntilReady } from '../infra/process.js';

export const CT = {
  v2: 'application/vnd.kafka.v2+json',
  json: 'application/vnd.kafka.json.v2+json',
  binary: 'application/vnd.kafka.binary.v2+json',
  text: 'application/vnd.kafka.text.v2+json',
} as const;

export const MAIN = join(process.cwd(), 'dist', 'bridge', 'main.js');

export interface BridgeProcess {
  readonly url: string;
  readonly mgmtUrl: string;
  readonly port: number;
  readonly managementPort: number;
  readonly proc: Supervised;
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** bridge.properties text; `http.port`/`http.management.port` are set by env unless `ports` is false. */
  readonly properties: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Wait for /ready (default true). */
  readonly waitReady?: boolean;
}

/** Starts `kafka-bridge --config-file <file>` on free ports (env overrides, as in the anchor). */
export async function startBridgeProcess(opts: StartOptions): Promise<BridgeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-producer-'));
  const file = join(dir, 'bridge.properties');
  writeFileSync(file, opts.properties);
  const port = await freePort();
  const managementPort = await freePort();
  const proc = supervise('kafka-bridge', process.execPath, [MAIN, '--config-file', file], {
    logFile: join(dir, 'bridge.log'),
    env: {
      ...process.env,
      'http.port': String(port),
      'http.management.port': String(managementPort),
      ...opts.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const mgmtUrl = `http://127.0.0.1:${managementPort}`;
  if (opts.waitReady ?? true) {
    await waitUntilReady(proc, async () => (await fetch(`${mgmtUrl}/ready`)).status === 200, 20_000, 25);
  }
  return { url, mgmtUrl, port, managementPort, proc, stop: (g) => proc.stop(g) };
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience, asserted field by field
  readonly body: any;
}

export async function call(
  base: string,
  method: string,
  path: string,
  opts: { ct?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (opts.ct) headers['content-type'] = opts.ct;
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

export interface ReadMessage {
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number | undefined;
  readonly headers: Array<{ key: string; value: Buffer }>;
}

/** Reads `count` messages of one partition from `offset` with a plain node-rdkafka consumer. */
export async function readBack(
  bootstrap: string,
  topic: string,
  partition: number,
  offset: number,
  count: number,
  timeoutMs = 20_000,
): Promise<ReadMessage[]> {
  const consumer = new rdkafka.KafkaConsumer(
    {
      'bootstrap.servers': bootstrap,
      'group.id': `readback-${Date.now()}-${Math.random()}`,
      'enable.auto.commit': false,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({}, (err) => (err ? reject(err) : resolve())),
  );
  try {
    consumer.assign([{ topic, partition, offset }]);
    const out: ReadMessage[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count && Date.now() < deadline) {
      const batch = await new Promise<rdkafka.Message[]>((resolve, reject) =>
        consumer.consume(count - out.length, (err, msgs) => (err ? reject(err) : resolve(msgs))),
      );
      for (const m of batch) {
        out.push({
          partition: m.partition,
          offset: m.offset,
          key:
            m.key === undefined || m.key === null
              ? null
              : Buffer.isBuffer(m.key)
                ? m.key
                : Buffer.from(m.key),
          value: m.value,
          timestamp: m.timestamp,
          headers: (m.headers ?? []).flatMap((h) =>
            Object.entries(h).map(([key, v]) => ({
              key,
              value: Buffer.isBuffer(v) ? v : Buffer.from(String(v)),
            })),
          ),
        });
      }
    }
    return out;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** Polls `probe` until true (no fixed sleeps); fails after `timeoutMs`. */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms`);
}

/**
 * Kafka's Java partitioner (Utils.murmur2 + toPositive % n): the oracle for "keys land where the
 * Strimzi bridge would put them".
 */
export function javaPartition(key: Buffer, partitions: number): number {
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  const length = key.length;
  let h = (seed ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k =
      (key[i4]! & 0xff) +
      ((key[i4 + 1]! & 0xff) << 8) +
      ((key[i4 + 2]! & 0xff) << 16) +
      ((key[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length % 4;
  const base = length & ~3;
  if (rest === 3) h ^= (key[base + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (key[base + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= key[base]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return (h & 0x7fffffff) % partitions;
}
