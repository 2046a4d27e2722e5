/**
 * What the consumer tests share: a bridge to talk to (the built `dist/bridge/main.js` as a child
 * process when it exists, else the consumer routes mounted on an express app in this process),
 * a small HTTP client speaking the bridge's content types, and a producer for test data.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import rdkafka from 'node-rdkafka';
import { registerConsumerRoutes } from '../../bridge/http/consumer-routes.js';
import { ConsumerRegistry } from '../../bridge/kafka/consumers.js';
import { createLogger } from '../../bridge/log.js';
import { freePort } from '../infra/ports.js';
import { type Supervised, supervise, waitUntilReady } from '../infra/process.js';

export const CT = {
  v2: 'application/vnd.kafka.v2+json',
  json: 'application/vnd.kafka.json.v2+json',
  binary: 'application/vnd.kafka.binary.v2+json',
  text: 'application/vnd.kafka.text.v2+json',
} as const;

export interface BridgeOptions {
  readonly bootstrap: string;
  /** `http.timeoutSeconds`, default -1 (never). */
  readonly timeoutSeconds?: number;
  /** Extra `kafka.consumer.*` settings (librdkafka names). */
  readonly consumerSettings?: Readonly<Record<string, string>>;
  /** `http.consumer.enabled`, default true. */
  readonly consumerEnabled?: boolean;
  /** Force the in-process bridge even when dist/bridge/main.js exists. */
  readonly inProcess?: boolean;
}

export interface BridgeUnderTest {
  readonly url: string;
  readonly kind: 'process' | 'in-process';
  stop(): Promise<void>;
  /** Kill -9 (child process only): the restart test's crash. */
  kill?(): Promise<void>;
}

const MAIN = join(process.cwd(), 'dist', 'bridge', 'main.js');

export function haveBuiltBridge(): boolean {
  return existsSync(MAIN);
}

export async function startBridge(opts: BridgeOptions): Promise<BridgeUnderTest> {
  // BRIDGE_UNDER_TEST=in-process: the consumer routes alone, e.g. while the rest of the bridge is being changed.
  if (!opts.inProcess && process.env.BRIDGE_UNDER_TEST !== 'in-process' && haveBuiltBridge())
    return startProcess(opts);
  return startInProcess(opts);
}

async function startInProcess(opts: BridgeOptions): Promise<BridgeUnderTest> {
  const log = createLogger(process.env.BRIDGE_TEST_LOG ?? 'silent');
  const consumers = new ConsumerRegistry({
    config: {
      bridgeId: 'test-bridge',
      http: { timeoutSeconds: opts.timeoutSeconds ?? -1 },
      kafka: {
        consumer: { 'bootstrap.servers': opts.bootstrap, ...opts.consumerSettings },
        bootstrapServers: opts.bootstrap,
      },
    },
    log,
  });
  const app = express();
  app.use(express.raw({ type: () => true, limit: '10mb' }));
  const router = express.Router();
  registerConsumerRoutes(router, { consumers, consumerEnabled: opts.consumerEnabled ?? true });
  app.use(router);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    kind: 'in-process',
    async stop() {
      await consumers.shutdown(10_000);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function startProcess(opts: BridgeOptions): Promise<BridgeUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-consumer-test-'));
  const port = await freePort();
  const mgmt = await freePort();
  const lines = [
    'bridge.id=test-bridge',
    `http.host=127.0.0.1`,
    `http.port=${port}`,
    `http.management.port=${mgmt}`,
    `http.timeoutSeconds=${opts.timeoutSeconds ?? -1}`,
    `kafka.bootstrap.servers=${opts.bootstrap}`,
    ...Object.entries(opts.consumerSettings ?? {}).map(([k, v]) => `kafka.consumer.${k}=${v}`),
    `http.consumer.enabled=${opts.consumerEnabled ?? true}`,
  ];
  const file = join(dir, 'bridge.properties');
  writeFileSync(file, `${lines.join('\n')}\n`);
  let child: Supervised | undefined;
  const start = async () => {
    child = supervise('kafka-bridge', process.execPath, [MAIN, '--config-file', file], {
      logFile: join(dir, 'bridge.log'),
    });
    await waitUntilReady(
      child,
      async () => (await fetch(`http://127.0.0.1:${mgmt}/ready`)).status === 200,
      20_000,
    );
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    kind: 'process',
    async stop() {
      await child?.stop(15_000);
    },
    async kill() {
      child?.child.kill('SIGKILL');
      await child?.exited;
    },
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests look into JSON bodies freely
  readonly json: any;
}

export async function http(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; accept?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.accept) headers.accept = opts.accept;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType ?? CT.v2;
  }
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

export interface TestRecord {
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly partition?: number;
  readonly headers?: ReadonlyArray<Record<string, Buffer>>;
}

/** Produces `records` to `topic` and waits until the broker acknowledged every one. */
export async function produce(
  bootstrap: string,
  topic: string,
  records: readonly TestRecord[],
): Promise<void> {
  const producer = new rdkafka.Producer({ 'bootstrap.servers': bootstrap, dr_cb: true, 'linger.ms': 5 });
  await new Promise<void>((resolve, reject) =>
    producer.connect({}, (err) => (err ? reject(err) : resolve())),
  );
  producer.setPollInterval(10);
  try {
    let pending = records.length;
    const done = new Promise<void>((resolve, reject) => {
      if (pending === 0) resolve();
      producer.on('delivery-report', (err) => {
        if (err) reject(err);
        else if (--pending === 0) resolve();
      });
    });
    for (const r of records) {
      producer.produce(
        topic,
        r.partition ?? null,
        r.value,
        r.key ?? null,
        Date.now(),
        undefined,
        r.headers as rdkafka.MessageHeader[] | undefined,
      );
    }
    await done;
  } finally {
    await new Promise((r) => producer.disconnect(r));
  }
}

/** Polls until `want` records arrived (or `timeoutMs`), returning them all. */
export async function pollUntil(
  base: string,
  instancePath: string,
  accept: string,
  want: number,
  timeoutMs = 30_000,
  query = 'timeout=500',
  // biome-ignore lint/suspicious/noExplicitAny: records are JSON
): Promise<any[]> {
  // biome-ignore lint/suspicious/noExplicitAny: records are JSON
  const got: any[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < want && Date.now() < deadline) {
    const r = await http(base, 'GET', `${instancePath}/records?${query}`, { accept });
    if (r.status !== 200) throw new Error(`poll answered ${r.status}: ${r.text}`);
    got.push(...r.json);
  }
  return got;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export { mkdtempSync };
