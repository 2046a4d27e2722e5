/**
 * The one Kafka producer of the whole process (the anchor opens one per HTTP connection, which
 * is what exhausted its users' broker connection limits). Each record gets a promise resolved
 * from its delivery report; a request answers once all of its records' reports have arrived.
 */
import { createRequire } from 'node:module';
import type { LibrdKafkaError, Producer as RdProducer } from 'node-rdkafka';
import { TOPIC_LEVEL_PROPERTIES } from '../config/librdkafka-properties.js';
import type { RdkafkaSettings } from '../config/types.js';
import type { KafkaRecord } from '../formats/index.js';
import { HttpError } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import { kafkaToHttp, RD, rdkafkaCode } from './errors.js';

// node-rdkafka is CommonJS with a native addon; createRequire keeps its loading explicit.
const require = createRequire(import.meta.url);
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');

/** What the HTTP API answers per record, in request order (`OffsetRecordSentList.offsets[]`). */
export type RecordResult = { partition: number; offset: number } | { error_code: number; message: string };

export type ProducerState = 'connecting' | 'connected' | 'unreachable' | 'closing' | 'closed';

export interface ProducerOptions {
  /** librdkafka settings for the producer (kafka.* + kafka.producer.*). */
  readonly settings: RdkafkaSettings;
  readonly bootstrapServers: string;
  readonly clientId: string;
  readonly log: Logger;
  readonly metrics: BridgeMetrics;
  /** How often delivery reports are polled while records are in flight (ms). */
  readonly pollIntervalMs?: number;
  /**
   * Asks whether a topic exists, for a topic this producer cannot see (admin.ts: 404 when it does
   * not, 403 when Describe is denied, undefined when it does).
   */
  readonly topicCheck?: (topic: string) => Promise<HttpError | undefined>;
}

// node-rdkafka installs its topic configuration object as `default_topic_conf` (src/producer.cc),
// which REPLACES whatever topic-level settings the global object carried: `acks=1` set globally would
// silently become acks=all. TOPIC_LEVEL_PROPERTIES (checked against librdkafka's CONFIGURATION.md) says
// which settings must go in the topic object.
/** Global and topic-level settings, split as node-rdkafka needs them (pure). */
export function splitTopicSettings(settings: Readonly<Record<string, unknown>>): {
  global: Record<string, unknown>;
  topic: Record<string, unknown>;
} {
  const global: Record<string, unknown> = {};
  const topic: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) (TOPIC_LEVEL_PROPERTIES.has(k) ? topic : global)[k] = v;
  return { global, topic };
}

/** Settings the bridge needs to work as designed; the user's configuration wins for the rest. */
export function producerSettings(opts: Pick<ProducerOptions, 'settings' | 'clientId'>): {
  global: Record<string, unknown>;
  topic: Record<string, unknown>;
} {
  const { global, topic } = splitTopicSettings({
    'client.id': opts.clientId,
    // Java's default partitioner: murmur2 of the key, random for null keys. Keys land on the same
    // partition as with the Strimzi bridge (librdkafka's own default is CRC32).
    partitioner: 'murmur2_random',
    // The Java producer's delivery.timeout.ms default (what the anchor waits at most for a record);
    // librdkafka's own default is 300 s, longer than any HTTP client waits.
    'message.timeout.ms': '120000',
    'statistics.interval.ms': '10000',
    ...opts.settings,
  });
  return {
    // Ours, not overridable: delivery reports drive every response; dr_cb (not dr_msg_cb)
    // because dr_msg_cb copies every value back into JavaScript, which we never read.
    global: { ...global, dr_cb: true, event_cb: true },
    topic,
  };
}

// An empty Buffer may have no backing memory; node-rdkafka then hands librdkafka a NULL pointer,
// which Kafka stores as null (a tombstone), not as empty. A zero-length view into a real buffer
// keeps "" and null apart.
const EMPTY = Buffer.alloc(1).subarray(0, 0);

function bytes(b: Buffer | null): Buffer | null {
  return b !== null && b.length === 0 ? EMPTY : b;
}

/** The records of one request: results in request order, answered when the last report arrives. */
class Batch {
  private readonly results: RecordResult[];
  private remaining: number;
  private okRecords = 0;
  private okBytes = 0;

  constructor(
    private readonly owner: SharedProducer,
    readonly topic: string,
    count: number,
    private readonly resolve: (results: RecordResult[]) => void,
  ) {
    this.results = new Array<RecordResult>(count);
    this.remaining = count;
    if (count === 0) resolve(this.results);
  }

  delivered(index: number, partition: number, offset: number, size: number): void {
    this.okRecords++;
    this.okBytes += size;
    this.settle(index, { partition, offset });
  }

  settle(index: number, result: RecordResult): void {
    this.results[index] = result;
    if (--this.remaining === 0) {
      this.owner.batchDelivered(this.topic, this.okRecords, this.okBytes);
      this.resolve(this.results);
    }
  }
}

/** What travels with one message as its opaque: where its delivery report belongs. */
class Slot {
  constructor(
    readonly batch: Batch,
    readonly index: number,
    readonly size: number,
    readonly partition: number | undefined,
  ) {}
}

interface DeliveryReport {
  partition: number;
  offset: number;
  opaque?: unknown;
}

const CONNECT_TIMEOUT_MS = 5_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

export class SharedProducer {
  private producer: RdProducer | undefined;
  private stateValue: ProducerState = 'connecting';
  private lastError = 'no broker has answered yet';
  /** The last broker-level error of this connect attempt (names the address and the cause). */
  private lastBrokerError: string | undefined;
  private inflight = 0;
  private fastPoll: NodeJS.Timeout | undefined;
  private slowPoll: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RETRY_MIN_MS;
  private brokersUp = false;
  private connectedWaiters: Array<() => void> = [];
  private readonly pollMs: number;
  private lastLogged = '';
  private lastLoggedAt = 0;
  private probing: Promise<{ ok: true } | { ok: false; error: string }> | undefined;
  /** Topics this producer has delivered to or seen with partitions: no existence check needed. */
  private readonly knownTopics = new Set<string>();
  private readonly topicChecks = new Map<string, Promise<HttpError | undefined>>();

  constructor(private readonly opts: ProducerOptions) {
    this.pollMs = opts.pollIntervalMs ?? 2;
  }

  get state(): ProducerState {
    return this.stateValue;
  }

  /** True once connected and while librdkafka reports at least one broker up. */
  get reachable(): boolean {
    return this.stateValue === 'connected' && this.brokersUp;
  }

  get lastErrorMessage(): string {
    return this.lastError;
  }

  /** Starts connecting in the background; retries with backoff while the cluster is unreachable. */
  start(): void {
    this.connect();
  }

  /** Resolves when a connect attempt ends (either way), or after `timeoutMs`; then check `state`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.stateValue === 'connected') return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, timeoutMs);
      const waiters = this.connectedWaiters;
      function done() {
        clearTimeout(t);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  private connect(): void {
    if (this.stateValue === 'closing' || this.stateValue === 'closed') return;
    const { log, metrics } = this.opts;
    const conf = producerSettings(this.opts);
    const p = new Kafka.Producer(conf.global as never, conf.topic as never);
    this.producer = p;
    p.on('event.error', (err: LibrdKafkaError) => {
      const code = rdkafkaCode(err);
      if (code === RD.ALL_BROKERS_DOWN) {
        this.brokersUp = false;
        metrics.kafkaReachable.set(0);
      }
      this.lastBrokerError = err.message;
      if (this.stateValue === 'connected') this.lastError = err.message;
      // librdkafka repeats connection errors on every reconnect attempt: say it once a minute.
      const now = Date.now();
      if (err.message !== this.lastLogged || now - this.lastLoggedAt > 60_000) {
        this.lastLogged = err.message;
        this.lastLoggedAt = now;
        log.warn({ code, err: err.message }, 'kafka producer error');
      }
    });
    p.on('event.stats', (ev: { message: string }) => {
      metrics.recordLibrdkafkaStats('producer', ev.message);
      if (this.stateValue === 'connected' && /"state":\s*"UP"/.test(ev.message) && !this.brokersUp) {
        this.brokersUp = true;
        metrics.kafkaReachable.set(1);
      }
    });
    p.on('delivery-report', (err: LibrdKafkaError | null, report: DeliveryReport) => {
      const slot = report?.opaque;
      if (!(slot instanceof Slot)) return;
      this.reportArrived();
      const b = slot.batch;
      if (err) b.settle(slot.index, this.recordError(b.topic, slot.partition, err));
      else b.delivered(slot.index, report.partition, report.offset, slot.size);
    });
    p.connect({ timeout: CONNECT_TIMEOUT_MS, allTopics: false } as never, (err) => {
      if (this.stateValue === 'closing' || this.stateValue === 'closed') return;
      if (err) {
        this.stateValue = 'unreachable';
        this.brokersUp = false;
        // librdkafka's own error events say more ("Connect to ipv4#10.0.0.1:9093 failed:
        // Connection refused") than the connect callback ("broker transport failure").
        this.lastError = this.lastBrokerError ?? err.message;
        this.lastBrokerError = undefined;
        for (const w of this.connectedWaiters.splice(0)) w();
        metrics.kafkaReachable.set(0);
        log.warn(
          { bootstrap: this.opts.bootstrapServers, err: err.message, retryInMs: this.retryDelay },
          'kafka not reachable, retrying',
        );
        // node-rdkafka already disconnected the native client on a failed connect.
        this.producer = undefined;
        this.retryTimer = setTimeout(() => this.connect(), this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
        return;
      }
      this.stateValue = 'connected';
      this.brokersUp = true;
      this.retryDelay = RETRY_MIN_MS;
      metrics.kafkaReachable.set(1);
      // Stats and error events are also served by poll(): keep a slow poll always running.
      this.slowPoll = setInterval(() => this.poll(), 500);
      this.slowPoll.unref();
      log.info({ bootstrap: this.opts.bootstrapServers }, 'kafka producer connected');
      for (const w of this.connectedWaiters.splice(0)) w();
    });
  }

  private poll(): void {
    // The in-flight gauge is refreshed here, every 2 ms while records are in flight, rather than
    // on each of the two changes per record.
    this.opts.metrics.producerInflight.set(this.inflight);
    try {
      this.producer?.poll();
    } catch {
      // not connected (closing): nothing to poll
    }
  }

  private addInflight(n: number): void {
    this.inflight += n;
    if (this.inflight > 0 && !this.fastPoll) {
      this.fastPoll = setInterval(() => this.poll(), this.pollMs);
    } else if (this.inflight === 0 && this.fastPoll) {
      clearInterval(this.fastPoll);
      this.fastPoll = undefined;
      this.opts.metrics.producerInflight.set(0);
    }
  }

  /** Answers a request with the right error when producing cannot even start; undefined when it can. */
  unavailable(): HttpError | undefined {
    if (this.stateValue === 'connected') return undefined;
    return kafkaToHttp(
      {
        code: this.stateValue === 'closing' || this.stateValue === 'closed' ? RD.PURGE_QUEUE : RD.TRANSPORT,
        message: this.lastError,
      },
      {
        operation: 'Write',
        resourceType: 'topic',
        resource: '',
        bootstrapServers: this.opts.bootstrapServers,
      },
    );
  }

  /**
   * Sends the records and resolves, in request order, with each one's partition/offset or its
   * error. `partition` (from the path) overrides any per-record partition.
   */
  send(topic: string, records: readonly KafkaRecord[], partition?: number): Promise<RecordResult[]> {
    if (records.length > 0 && !this.knownTopics.has(topic) && this.opts.topicCheck) {
      return this.checkTopic(topic).then((missing) =>
        missing
          ? records.map((r) => this.recordError(topic, partition ?? r.partition, missing))
          : this.sendNow(topic, records, partition),
      );
    }
    return this.sendNow(topic, records, partition);
  }

  private sendNow(
    topic: string,
    records: readonly KafkaRecord[],
    partition?: number,
  ): Promise<RecordResult[]> {
    return new Promise((resolve) => {
      const batch = new Batch(this, topic, records.length, resolve);
      for (let i = 0; i < records.length; i++) this.produceOne(batch, i, records[i]!, partition);
    });
  }

  /**
   * A topic this producer has not delivered to yet: does it exist (or get auto-created, where the
   * broker allows it, exactly as producing would)? librdkafka would otherwise hold records for a
   * topic that does not exist for topic.metadata.propagation.max.ms (30 s) before failing them.
   * Resolves with the 404 to answer per record, or undefined to go ahead (an ACL denial is left to
   * the produce itself, which fails at once and names the Write operation).
   */
  private checkTopic(topic: string): Promise<HttpError | undefined> {
    let pending = this.topicChecks.get(topic);
    if (!pending) {
      pending = (async () => {
        for (let attempt = 0; attempt < 2; attempt++) {
          if ((await this.partitionCount(topic)) > 0) {
            this.rememberTopic(topic);
            return undefined;
          }
          // An auto-created topic has no leader for a moment: look once more.
          if (attempt === 0) await new Promise((r) => setTimeout(r, 300));
        }
        const verdict = await this.opts.topicCheck!(topic).catch(() => undefined);
        return verdict?.status === 404 ? verdict : undefined;
      })().finally(() => this.topicChecks.delete(topic));
      this.topicChecks.set(topic, pending);
    }
    return pending;
  }

  /** Partitions of `topic` in a metadata reply to this producer (0 when unknown or on error). */
  private partitionCount(topic: string): Promise<number> {
    const p = this.producer;
    if (!p || this.stateValue !== 'connected') return Promise.resolve(0);
    return new Promise((resolve) => {
      p.getMetadata({ topic, timeout: 3000 } as never, (err, md) => {
        if (err || !md) resolve(0);
        else resolve(md.topics.find((t) => t.name === topic)?.partitions.length ?? 0);
      });
    });
  }

  rememberTopic(topic: string): void {
    if (this.knownTopics.size >= 10_000) this.knownTopics.clear();
    this.knownTopics.add(topic);
  }

  /** Fire and forget (`?async=true`): failures are counted and logged, never answered. */
  sendAsync(topic: string, records: readonly KafkaRecord[], partition?: number): void {
    void this.send(topic, records, partition).then((results) => {
      for (const r of results) {
        if ('error_code' in r) this.opts.log.warn({ topic, ...r }, 'async record not delivered');
      }
    });
  }

  /** A failed record as the HTTP API answers it; counted by topic and error_code. */
  recordError(topic: string, partition: number | undefined, err: unknown): RecordResult {
    const e =
      err instanceof HttpError
        ? err
        : kafkaToHttp(err, {
            operation: 'Write',
            resourceType: 'topic',
            resource: topic,
            ...(partition !== undefined ? { partition } : {}),
            bootstrapServers: this.opts.bootstrapServers,
          });
    this.opts.metrics.produceErrors.inc({ topic, error_code: String(e.status) });
    return { error_code: e.status, message: e.message };
  }

  /** Delivery reports of a finished batch: the metrics once per batch, not once per record. */
  batchDelivered(topic: string, records: number, bytes: number): void {
    if (records === 0) return;
    if (!this.knownTopics.has(topic)) this.rememberTopic(topic);
    this.opts.metrics.producedRecords.inc({ topic }, records);
    this.opts.metrics.producedBytes.inc({ topic }, bytes);
  }

  reportArrived(): void {
    this.addInflight(-1);
  }

  private produceOne(
    batch: Batch,
    index: number,
    rec: KafkaRecord,
    pathPartition: number | undefined,
    attempt = 0,
  ): void {
    const partition = pathPartition ?? rec.partition;
    const p = this.producer;
    if (!p || this.stateValue !== 'connected') {
      batch.settle(index, this.recordError(batch.topic, partition, this.unavailable() ?? { code: RD.STATE }));
      return;
    }
    const headers =
      rec.headers.length > 0 ? rec.headers.map((h) => ({ [h.key]: h.value.toString('utf8') })) : undefined;
    try {
      // The opaque travels with the message and comes back in its delivery report.
      p.produce(
        batch.topic,
        partition ?? -1,
        bytes(rec.value),
        bytes(rec.key),
        rec.timestamp ?? null,
        new Slot(batch, index, rec.size, partition) as never,
        headers as never,
      );
      this.addInflight(1);
    } catch (err) {
      // The local queue is full: wait for delivery reports to drain it, for up to ~5 s.
      if (rdkafkaCode(err) === RD.QUEUE_FULL && attempt < 100) {
        this.poll();
        setTimeout(() => this.produceOne(batch, index, rec, pathPartition, attempt + 1), 50);
        return;
      }
      // Unknown partition of a known topic, message too large, ...: answered at once.
      batch.settle(index, this.recordError(batch.topic, partition, err));
    }
  }

  /**
   * Connected, but librdkafka said all brokers are down: ask once more (one probe shared by all
   * requests asking at the same time) so a request gets a 503 now rather than waiting out
   * message.timeout.ms, and traffic resumes as soon as a broker answers again.
   */
  async recheck(): Promise<void> {
    if (this.stateValue === 'connected' && !this.brokersUp) await this.probe(1500);
  }

  /** Like unavailable(), also when connected but no broker answers (after recheck()). */
  unreachable(): HttpError | undefined {
    const u = this.unavailable();
    if (u || this.brokersUp) return u;
    return kafkaToHttp(
      { code: RD.ALL_BROKERS_DOWN, message: this.lastError },
      {
        operation: 'Write',
        resourceType: 'topic',
        resource: '',
        bootstrapServers: this.opts.bootstrapServers,
      },
    );
  }

  /** A live check: asks a broker for metadata. Updates the reachability metric. */
  probe(timeoutMs = 2000): Promise<{ ok: true } | { ok: false; error: string }> {
    this.probing ??= this.probeOnce(timeoutMs).finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async probeOnce(timeoutMs: number): Promise<{ ok: true } | { ok: false; error: string }> {
    const p = this.producer;
    if (!p || this.stateValue !== 'connected') return { ok: false, error: this.lastError };
    return new Promise((resolve) => {
      p.getMetadata({ allTopics: false, timeout: timeoutMs } as never, (err) => {
        this.brokersUp = !err;
        this.opts.metrics.kafkaReachable.set(err ? 0 : 1);
        if (err) this.lastError = err.message;
        resolve(err ? { ok: false, error: err.message } : { ok: true });
      });
    });
  }

  /** Flushes what is queued (bounded by `timeoutMs`) and disconnects; always disconnects. */
  async close(timeoutMs: number): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closing';
    clearTimeout(this.retryTimer);
    clearInterval(this.slowPoll);
    for (const w of this.connectedWaiters.splice(0)) w();
    const p = this.producer;
    if (!p) {
      this.stateValue = 'closed';
      return;
    }
    const deadline = Date.now() + timeoutMs;
    if (p.isConnected()) {
      await new Promise<void>((resolve) => {
        try {
          p.flush(Math.max(0, timeoutMs - 500), () => resolve());
        } catch {
          resolve();
        }
      });
      this.poll(); // deliver the last reports so pending requests answer before we go
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.max(100, deadline - Date.now()));
      p.disconnect(() => {
        clearTimeout(t);
        resolve();
      });
    });
    clearInterval(this.fastPoll);
    this.fastPoll = undefined;
    this.stateValue = 'closed';
    this.opts.metrics.forgetClient('producer');
  }
}
