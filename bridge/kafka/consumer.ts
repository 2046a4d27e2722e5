/**
 * One HTTP consumer instance: a node-rdkafka KafkaConsumer plus the little state the HTTP API
 * needs on top of it (what was subscribed or assigned, which records were already returned, and
 * records taken from librdkafka but not yet returned).
 *
 * Why it is shaped like this:
 * - Records are pulled with `consume(n)` in bounded batches. That call runs on the libuv pool and
 *   its timeout is per message, so the bridge enforces the HTTP `timeout` itself: when the batch
 *   has not come back by the deadline the poll answers with what it has, and the batch, when it
 *   arrives, lands in `pending` for the next poll. Nothing taken from librdkafka is ever dropped
 *   except on seek, unsubscribe or revocation, where Kafka's own semantics say it must be.
 * - `enable.partition.eof` makes a batch end as soon as the consumer is at the end of the log,
 *   instead of waiting the per-message timeout once per record of a slow trickle.
 * - `enable.auto.offset.store=false`: offsets are stored (for auto-commit) and remembered (for a
 *   commit without a body) only for records actually returned in an HTTP response, so a crash or
 *   a max_bytes cut never commits a record the client has not seen (at-least-once).
 * - Every operation is serialized per instance (as the anchor's `consumerLock`), which is what
 *   makes seek and commit exact: no batch is in flight while the position changes.
 * - Commit is asynchronous (commitSync would block the event loop for a broker round trip, or for
 *   good while Kafka is down); its result arrives through `offset_commit_cb`, which librdkafka
 *   serves only from within a consume call, so a commit drives small consume calls until it does.
 */

import type {
  ConsumerGlobalConfig,
  ConsumerTopicConfig,
  LibrdKafkaError,
  Message,
  TopicPartition,
  TopicPartitionOffset,
} from 'node-rdkafka';
import Kafka from 'node-rdkafka';
import type { EmbeddedFormat, HttpConsumerRecord, KafkaMessage } from '../formats/index.js';
import { binaryConverter, converterFor, toHttpRecord } from '../formats/index.js';
import { errors, HttpError } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';

// librdkafka error codes (rdkafka.h) the consumer reacts to.
const ERR = {
  REVOKE_PARTITIONS: -174,
  ASSIGN_PARTITIONS: -175,
  MAX_POLL_EXCEEDED: -147,
  PARTITION_EOF: -191,
  TRANSPORT: -195,
  RESOLVE: -193,
  ALL_BROKERS_DOWN: -187,
  TIMED_OUT: -185,
  UNKNOWN_PARTITION: -190,
  STATE: -172,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
} as const;

/** librdkafka's texts for "no broker can be reached" (rd_kafka_err2str of -187, -195, -193). */
const UNREACHABLE_TEXT = /all broker connections are down|broker transport failure|host resolution failure/i;

/**
 * The longest a single consume call waits (it holds a libuv pool thread meanwhile). A poll with a
 * longer `timeout` makes several calls, so long polls take turns on the pool instead of holding it.
 */
export const CONSUME_SLICE_MS = 250;

/** What the instance reads: nothing yet, a subscription (topics or a pattern), or a manual assignment. */
export type ReadMode =
  | { readonly kind: 'none' }
  | { readonly kind: 'topics'; readonly topics: readonly string[] }
  | { readonly kind: 'pattern'; readonly pattern: string }
  | { readonly kind: 'assigned'; readonly partitions: readonly TopicPartition[] };

export interface ConsumerInstanceOptions {
  readonly group: string;
  readonly name: string;
  readonly format: EmbeddedFormat;
  /** librdkafka settings: `kafka.*` + `kafka.consumer.*` + the request's fields, already merged. */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly autoCommit: boolean;
  /** Bound for this instance's own Kafka round trips (connect, commit, seek, close). */
  readonly requestTimeoutMs: number;
  /** Largest batch one consume call takes (Kafka's `max.poll.records`, default 500). */
  readonly maxPollRecords: number;
  /** For error messages only. */
  readonly bootstrapServers: string;
  readonly log: Logger;
  readonly metrics?: BridgeMetrics;
}

export interface PollOptions {
  /** Milliseconds the poll may wait for records (`timeout`, default 100). */
  readonly timeoutMs: number;
  /** Largest response body in bytes (`max_bytes`); records beyond it stay for the next poll. */
  readonly maxBytes: number;
}

/** A poll's answer, already serialized: the body is built record by record to honour max_bytes. */
export interface PollResult {
  /** The JSON array of records as UTF-8 bytes, ready for the socket. */
  readonly body: Buffer;
  readonly count: number;
}

export interface SubscriptionListing {
  readonly topics: string[];
  readonly partitions: Array<Record<string, number[]>>;
}

export interface OffsetSpec {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

const tpKey = (topic: string, partition: number): string => `${partition}\u0000${topic}`;

/** A librdkafka regex subscription is any name starting with `^`; anchor both ends as Java's Pattern.matches does. */
export function patternToRegex(pattern: string): string {
  if (pattern.startsWith('^')) return pattern.endsWith('$') ? pattern : `${pattern}$`;
  return `^(${pattern})$`;
}

/**
 * How a json-format instance shows a record whose key or value is not valid JSON: the field holds
 * the bytes in base64 and `<field>_encoding: "base64"` says so. The poll does not fail (the anchor
 * answers 406 and the client is stuck on that record) and nothing is skipped.
 */
export type JsonFormatRecord = HttpConsumerRecord & { key_encoding?: 'base64'; value_encoding?: 'base64' };

export function toJsonFormatRecord(msg: KafkaMessage): JsonFormatRecord {
  const json = converterFor('json');
  try {
    return toHttpRecord(json, msg);
  } catch (err) {
    if (!(err instanceof HttpError) || err.status !== 406) throw err;
  }
  const rec: JsonFormatRecord = toHttpRecord(binaryConverter, msg);
  for (const field of ['key', 'value'] as const) {
    const b64 = rec[field];
    if (typeof b64 !== 'string') continue;
    try {
      rec[field] = json.fromBytes(field, Buffer.from(b64, 'base64'));
    } catch {
      rec[`${field}_encoding`] = 'base64';
    }
  }
  return rec;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer | string | null | undefined): boolean {
  if (bytes === null || bytes === undefined || typeof bytes === 'string') return true;
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The text format's twin of the json fallback: a key or value that is not valid UTF-8 would be
 * altered by decoding (U+FFFD replaces the bad bytes, as the anchor does silently), so it comes
 * as base64 with `<field>_encoding: "base64"` instead.
 */
export function toTextFormatRecord(msg: KafkaMessage): JsonFormatRecord {
  const rec: JsonFormatRecord = toHttpRecord(converterFor('text'), msg);
  if (!isUtf8(msg.key)) {
    rec.key = base64Of(msg.key);
    rec.key_encoding = 'base64';
  }
  if (!isUtf8(msg.value)) {
    rec.value = base64Of(msg.value);
    rec.value_encoding = 'base64';
  }
  return rec;
}

function base64Of(bytes: Buffer | string | null | undefined): string | null {
  if (bytes === null || bytes === undefined) return null;
  return (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).toString('base64');
}

/** A base64 string or null, as JSON (base64 needs no escaping). */
function base64Json(bytes: Buffer | string | null | undefined): string {
  if (bytes === null || bytes === undefined) return 'null';
  return `"${(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).toString('base64')}"`;
}

/** The topic of the previous binary record, as JSON, and its UTF-8 bytes beyond its length (a poll is mostly one topic). */
const topicCache = { topic: '', json: '""', extra: 0 };

/**
 * One poll record as JSON text and its size in bytes. The binary format, the one a throughput
 * client uses, is written directly (the same text as JSON.stringify of the converter's record,
 * checked by the unit tests) because building and re-scanning an object per record was the
 * largest cost of a poll; the other formats go through their converter.
 */
export function serializeRecord(format: EmbeddedFormat, msg: KafkaMessage): { text: string; bytes: number } {
  if (format === 'binary') {
    let headers = '';
    if (msg.topic !== topicCache.topic) {
      topicCache.topic = msg.topic;
      topicCache.json = JSON.stringify(msg.topic);
      topicCache.extra = Buffer.byteLength(msg.topic) - msg.topic.length;
    }
    let extra = topicCache.extra;
    if (msg.headers && msg.headers.length > 0) {
      const hs: string[] = [];
      for (const h of msg.headers) {
        for (const [key, v] of Object.entries(h)) {
          const keyJson = JSON.stringify(key);
          extra += Buffer.byteLength(keyJson) - keyJson.length;
          hs.push(`{"key":${keyJson},"value":${base64Json(v)}}`);
        }
      }
      headers = `,"headers":[${hs.join(',')}]`;
    }
    const text = `{"topic":${topicCache.json},"key":${base64Json(msg.key)},"value":${base64Json(msg.value)},"partition":${msg.partition},"offset":${msg.offset},"timestamp":${msg.timestamp ?? -1}${headers}}`;
    return { text, bytes: text.length + extra };
  }
  const rec = format === 'json' ? toJsonFormatRecord(msg) : toTextFormatRecord(msg);
  const text = JSON.stringify(rec);
  return { text, bytes: Buffer.byteLength(text) };
}

/**
 * `[r0,r1,...]` written straight into one Buffer of the size already counted for max_bytes: no
 * megabyte-long intermediate string to build, measure again and encode again on the socket. An
 * all-ASCII record (every binary record of an ASCII topic) is copied as latin1, which is a plain
 * memory copy; any other goes through the UTF-8 encoder.
 */
export function joinRecords(texts: readonly string[], sizes: readonly number[], total: number): Buffer {
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  buf[at++] = 0x5b; // [
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) buf[at++] = 0x2c; // ,
    const text = texts[i]!;
    const bytes = sizes[i]!;
    at += buf.write(text, at, bytes, bytes === text.length ? 'latin1' : 'utf8');
  }
  buf[at++] = 0x5d; // ]
  if (at !== total) throw new Error(`poll body is ${at} bytes, ${total} were counted`);
  return buf;
}

function errorCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export class ConsumerInstance {
  readonly group: string;
  readonly name: string;
  readonly format: EmbeddedFormat;
  readonly autoCommit: boolean;
  /** Milliseconds since the epoch of the last operation (start or end); drives the idle sweep. */
  lastActivity = Date.now();

  private readonly consumer: Kafka.KafkaConsumer;
  private readonly opts: ConsumerInstanceOptions;
  private mode: ReadMode = { kind: 'none' };
  /** Records taken from librdkafka and not yet returned, in arrival order. */
  private pending: Message[] = [];
  /** Next offset per partition after the last record returned over HTTP (what a body-less commit commits). */
  private readonly returned = new Map<string, TopicPartitionOffset>();
  /** A consume batch still running on the libuv pool after its poll answered. */
  private inflight: Promise<void> | null = null;
  /** The last batch came back full: librdkafka holds more, so the next one is fetched ahead. */
  private backlog = false;
  /** The error of a batch that finished after its poll had answered. */
  private fetchError: unknown = undefined;
  /** The operation chain that serializes this instance. */
  private chain: Promise<unknown> = Promise.resolve();
  private busyCount = 0;
  /** Set while librdkafka reports that no broker is reachable; cleared by any successful fetch or probe. */
  private kafkaDown: string | null = null;
  private readonly commitWaiters = new Set<
    (err: LibrdKafkaError | null, offsets: TopicPartitionOffset[]) => void
  >();
  private closed = false;

  private constructor(consumer: Kafka.KafkaConsumer, opts: ConsumerInstanceOptions) {
    this.consumer = consumer;
    this.opts = opts;
    this.group = opts.group;
    this.name = opts.name;
    this.format = opts.format;
    this.autoCommit = opts.autoCommit;
  }

  /**
   * librdkafka configuration for an instance (pure; exported for tests). `auto.offset.reset` is a
   * topic-level property: node-rdkafka's explicit topic configuration would hide it if it stayed
   * in the global one, so it moves there.
   */
  static rdkafkaConfig(opts: ConsumerInstanceOptions): {
    global: ConsumerGlobalConfig;
    topic: ConsumerTopicConfig;
  } {
    const { 'auto.offset.reset': reset, ...rest } = opts.settings;
    const topic = (reset === undefined ? {} : { 'auto.offset.reset': reset }) as ConsumerTopicConfig;
    const global = {
      // Memory per idle instance matters (one instance per HTTP consumer): prefetch a few MiB, not
      // librdkafka's 64 MiB default. Any of these can be overridden with kafka.consumer.*.
      'queued.max.messages.kbytes': 4096,
      'queued.min.messages': 10000,
      // With a small prefetch the threshold is met often; librdkafka's default 1 s back-off
      // after that would cap a fast reader at a few MiB/s.
      'fetch.queue.backoff.ms': 10,
      ...rest,
      'group.id': opts.group,
      'client.id': opts.name,
      'enable.partition.eof': true,
      'enable.auto.offset.store': false,
      'enable.auto.commit': opts.autoCommit,
      offset_commit_cb: true,
      rebalance_cb: true,
    } as ConsumerGlobalConfig;
    return { global, topic };
  }

  /**
   * Creates and connects an instance. A setting librdkafka refuses is a 422 naming it; a broker
   * that cannot be reached is a 503 naming the bootstrap address.
   */
  static async create(opts: ConsumerInstanceOptions): Promise<ConsumerInstance> {
    let consumer: Kafka.KafkaConsumer;
    try {
      const conf = ConsumerInstance.rdkafkaConfig(opts);
      consumer = new Kafka.KafkaConsumer(conf.global, conf.topic);
    } catch (err) {
      throw errors.consumerConfig(errorMessage(err));
    }
    const inst = new ConsumerInstance(consumer, opts);
    inst.wireEvents();
    await new Promise<void>((resolve, reject) => {
      consumer.connect({ timeout: opts.requestTimeoutMs }, (err) => {
        if (err) reject(errors.kafkaUnreachable(opts.bootstrapServers, errorMessage(err)));
        else resolve();
      });
    });
    return inst;
  }

  private wireEvents(): void {
    const c = this.consumer;
    c.on('event.error', (err: LibrdKafkaError) => {
      const code = errorCode(err);
      // node-rdkafka 3.6 hands client errors over as text only (code -1): match librdkafka's err2str.
      if (
        code === ERR.ALL_BROKERS_DOWN ||
        code === ERR.TRANSPORT ||
        code === ERR.RESOLVE ||
        UNREACHABLE_TEXT.test(errorMessage(err))
      ) {
        this.kafkaDown = errorMessage(err);
      }
      this.opts.log.debug(
        { consumer: this.name, group: this.group, err: errorMessage(err) },
        'consumer client error',
      );
    });
    c.on('rebalance', (err: LibrdKafkaError, assignment: TopicPartition[]) => {
      if (errorCode(err) === ERR.REVOKE_PARTITIONS) this.forget(assignment);
      this.opts.log.debug(
        { consumer: this.name, group: this.group, event: errorCode(err), partitions: assignment.length },
        'rebalance',
      );
    });
    c.on('offset.commit', (err: LibrdKafkaError | null, offsets: TopicPartitionOffset[]) => {
      for (const w of [...this.commitWaiters]) w(err ?? null, offsets ?? []);
    });
  }

  /** True while an operation or a consume batch is running (the idle sweep skips the instance). */
  get busy(): boolean {
    return this.busyCount > 0 || this.inflight !== null;
  }

  /** Runs `fn` after every earlier operation of this instance has finished. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    this.touch();
    this.busyCount++;
    const run = this.chain.then(async () => {
      if (this.closed) throw errors.consumerNotFound();
      return fn();
    });
    this.chain = run.catch(() => undefined);
    return run.finally(() => {
      this.busyCount--;
      this.touch();
    });
  }

  touch(): void {
    this.lastActivity = Date.now();
  }

  private async settleInflight(): Promise<void> {
    while (this.inflight) await this.inflight;
  }

  // ---------------------------------------------------------------- subscription and assignment

  subscribe(req: { topics?: readonly string[]; topic_pattern?: string }): Promise<void> {
    return this.serialize(async () => {
      const hasTopics = req.topics !== undefined;
      const hasPattern = req.topic_pattern !== undefined;
      if (hasTopics && hasPattern) throw errors.subscriptionConflict();
      if (!hasTopics && !hasPattern) throw errors.subscriptionMissing();
      if (this.mode.kind === 'assigned') throw errors.subscriptionConflict();
      await this.settleInflight();
      if (hasTopics && req.topics!.length === 0) {
        // As the anchor: an empty list means unsubscribe.
        this.dropEverything();
        return;
      }
      try {
        if (hasTopics) {
          this.consumer.subscribe([...req.topics!]);
          this.mode = { kind: 'topics', topics: [...req.topics!] };
        } else {
          this.consumer.subscribe([patternToRegex(req.topic_pattern!)]);
          this.mode = { kind: 'pattern', pattern: req.topic_pattern! };
        }
      } catch (err) {
        throw this.kafkaError(err, 'subscribe');
      }
      this.pending = [];
      this.returned.clear();
    });
  }

  assign(partitions: readonly TopicPartition[]): Promise<void> {
    return this.serialize(async () => {
      if (this.mode.kind === 'topics' || this.mode.kind === 'pattern') throw errors.subscriptionConflict();
      await this.settleInflight();
      if (partitions.length === 0) {
        this.dropEverything();
        return;
      }
      const list = partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
      try {
        this.consumer.assign(list);
      } catch (err) {
        throw this.kafkaError(err, 'assign');
      }
      // A new assignment restarts every partition from its committed offset: what was taken ahead goes.
      this.pending = [];
      this.returned.clear();
      this.mode = { kind: 'assigned', partitions: list };
    });
  }

  unsubscribe(): Promise<void> {
    return this.serialize(async () => {
      await this.settleInflight();
      this.dropEverything();
    });
  }

  private dropEverything(): void {
    try {
      if (this.mode.kind === 'assigned') this.consumer.unassign();
      else if (this.mode.kind !== 'none') this.consumer.unsubscribe();
    } catch (err) {
      throw this.kafkaError(err, 'unsubscribe');
    }
    this.mode = { kind: 'none' };
    this.pending = [];
    this.returned.clear();
  }

  /** Partitions taken away (revoked, unassigned): their buffered records and returned positions go. */
  private forget(partitions: readonly TopicPartition[]): void {
    const gone = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    this.pending = this.pending.filter((m) => !gone.has(tpKey(m.topic, m.partition)));
    for (const k of gone) this.returned.delete(k);
  }

  /** The subscribed topics (or the pattern, as given) and the partitions assigned right now. */
  listSubscription(): Promise<SubscriptionListing> {
    return this.serialize(async () => {
      let assigned: TopicPartition[] = [];
      try {
        // After unsubscribe librdkafka revokes only on the next consume call: nothing is assigned any more.
        if (this.mode.kind !== 'none') assigned = this.consumer.assignments();
      } catch {
        assigned = [];
      }
      const byTopic = new Map<string, number[]>();
      for (const a of assigned) {
        const list = byTopic.get(a.topic) ?? [];
        list.push(a.partition);
        byTopic.set(a.topic, list);
      }
      const partitions = [...byTopic.entries()].map(([t, ps]) => ({ [t]: ps.sort((a, b) => a - b) }));
      let topics: string[];
      switch (this.mode.kind) {
        case 'topics':
          topics = [...this.mode.topics];
          break;
        case 'pattern':
          topics = [this.mode.pattern];
          break;
        case 'assigned':
          topics = [...new Set(this.mode.partitions.map((p) => p.topic))];
          break;
        default:
          topics = [];
      }
      return { topics, partitions };
    });
  }

  // ---------------------------------------------------------------- poll

  poll(opts: PollOptions): Promise<PollResult> {
    return this.serialize(async () => {
      if (this.mode.kind === 'none') throw errors.notSubscribed();
      const deadline = Date.now() + Math.max(0, opts.timeoutMs);
      if (this.pending.length === 0) await this.fill(deadline);
      const result = this.take(opts.maxBytes);
      if (result.count === 0) {
        // An error event served by the same consume call is dispatched separately: let it land.
        await new Promise((r) => setImmediate(r));
        if (this.kafkaDown !== null) await this.probeKafka(deadline);
      }
      this.prefetch();
      return result;
    });
  }

  /** Waits until records are pending or the deadline passes; starts a batch if none is running. */
  private async fill(deadline: number): Promise<void> {
    while (this.pending.length === 0) {
      const remaining = deadline - Date.now();
      if (!this.inflight) {
        // A zero timeout still asks librdkafka once, so `timeout=0` returns what is already fetched.
        // A long poll waits in slices, so it never holds a pool thread for long at a time.
        // The batch may outlive this poll: its error is kept for the next one, never left unhandled.
        this.inflight = this.fetch(Math.min(CONSUME_SLICE_MS, Math.max(0, remaining)))
          .catch((err: unknown) => {
            this.fetchError = err;
          })
          .finally(() => {
            this.inflight = null;
          });
      }
      const batch = this.inflight;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        batch.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), Math.max(0, remaining));
        }),
      ]);
      clearTimeout(timer);
      if (this.fetchError !== undefined) {
        const err = this.fetchError;
        this.fetchError = undefined;
        throw err;
      }
      if (timedOut || Date.now() >= deadline) return;
    }
  }

  /**
   * While a client reads a backlog, the next batch is taken from librdkafka's local queue
   * (timeout 0: what is already fetched, never a wait) as the response goes out, so the next poll
   * finds it ready. Records fetched ahead are neither returned nor committed until a poll takes
   * them; an idle instance never prefetches.
   */
  private prefetch(): void {
    if (!this.backlog || this.inflight || this.closed || this.pending.length >= this.opts.maxPollRecords)
      return;
    this.inflight = this.fetch(0)
      .catch(() => undefined)
      .finally(() => {
        this.inflight = null;
      });
  }

  /** One consume(n) batch into `pending`. Errors are kept for the poll to answer. */
  private fetch(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.consumer.setDefaultConsumeTimeout(timeoutMs);
      this.consumer.consume(this.opts.maxPollRecords, (err, messages) => {
        if (err) {
          const code = errorCode(err);
          // Benign: the group is re-joined on this very call (long idle) or a partition ended.
          if (code === ERR.MAX_POLL_EXCEEDED || code === ERR.PARTITION_EOF || code === ERR.TIMED_OUT) {
            resolve();
            return;
          }
          reject(this.kafkaError(err, 'poll'));
          return;
        }
        this.backlog = messages.length >= this.opts.maxPollRecords;
        if (messages.length > 0) {
          this.kafkaDown = null;
          this.pending.push(...messages);
        }
        resolve();
      });
    });
  }

  /**
   * Takes records from `pending` while the serialized response stays within `maxBytes`. The
   * first record that does not fit, and everything after it, stays for the next poll.
   */
  private take(maxBytes: number): PollResult {
    const texts: string[] = [];
    const sizes: number[] = [];
    let size = 2; // "[" and "]"
    let taken = 0;
    for (const msg of this.pending) {
      const { text, bytes } = serializeRecord(this.format, msg);
      const add = bytes + (taken > 0 ? 1 : 0);
      if (size + add > maxBytes) {
        if (taken === 0) {
          throw new HttpError(
            422,
            `${errors.responseTooLarge().message}: the next record (topic ${msg.topic}, partition ${msg.partition}, offset ${msg.offset}) needs ${2 + bytes} bytes and max_bytes is ${maxBytes}; it was not skipped: poll again with a larger max_bytes`,
          );
        }
        break;
      }
      texts.push(text);
      sizes.push(bytes);
      size += add;
      taken++;
    }
    const body = joinRecords(texts, sizes, size);
    const out = this.pending.slice(0, taken);
    this.pending = this.pending.slice(taken);
    this.markReturned(out);
    return { body, count: taken };
  }

  private markReturned(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const next = new Map<string, TopicPartitionOffset>();
    // Metrics once per topic and poll, not per record (label lookups are not free).
    const perTopic = new Map<string, { records: number; bytes: number }>();
    // A batch comes in runs of one partition: keys and objects once per run, not per record.
    let run: Message | undefined;
    let stats: { records: number; bytes: number } | undefined;
    const endRun = (last: Message) => {
      next.set(tpKey(last.topic, last.partition), {
        topic: last.topic,
        partition: last.partition,
        offset: last.offset + 1,
      });
    };
    for (let i = 0; i < messages.length; i++) {
      const msg = messages[i]!;
      if (run === undefined || msg.topic !== run.topic || msg.partition !== run.partition) {
        if (run !== undefined) endRun(messages[i - 1]!);
        run = msg;
        stats = perTopic.get(msg.topic);
        if (stats === undefined) {
          stats = { records: 0, bytes: 0 };
          perTopic.set(msg.topic, stats);
        }
      }
      stats!.records++;
      stats!.bytes += (msg.value?.length ?? 0) + (msg.key ? Buffer.byteLength(msg.key) : 0);
    }
    endRun(messages[messages.length - 1]!);
    const m = this.opts.metrics;
    if (m) {
      for (const [topic, t] of perTopic) {
        m.consumedRecords.inc({ topic }, t.records);
        m.consumedBytes.inc({ topic }, t.bytes);
      }
    }
    for (const [k, v] of next) this.returned.set(k, v);
    if (this.autoCommit) {
      try {
        this.consumer.offsetsStore([...next.values()]);
      } catch (err) {
        // A partition revoked between fetch and answer: its new owner starts from the last commit.
        this.opts.log.debug({ consumer: this.name, err: errorMessage(err) }, 'offsetsStore refused');
      }
    }
  }

  /** Kafka was reported down and the poll found nothing: find out for sure, answer 503 if so. */
  private async probeKafka(deadline: number): Promise<void> {
    const timeout = Math.max(500, deadline - Date.now());
    const ok = await new Promise<boolean>((resolve) => {
      this.consumer.getMetadata({ timeout, allTopics: false }, (err) => resolve(!err));
    });
    if (ok) {
      this.kafkaDown = null;
      return;
    }
    throw errors.kafkaUnreachable(this.opts.bootstrapServers, this.kafkaDown ?? 'no broker answered');
  }

  // ---------------------------------------------------------------- commit and seek

  /** Commits `offsets` exactly as given, or (none given) the position after every record returned so far. */
  commit(offsets?: readonly OffsetSpec[]): Promise<void> {
    return this.serialize(async () => {
      await this.settleInflight();
      const list: TopicPartitionOffset[] =
        offsets && offsets.length > 0
          ? offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
          : [...this.returned.values()];
      if (list.length === 0) return;
      await this.commitAndWait(list);
    });
  }

  private async commitAndWait(list: TopicPartitionOffset[]): Promise<void> {
    const want = new Map(list.map((o) => [tpKey(o.topic, o.partition), o.offset]));
    let settle: ((err: LibrdKafkaError | null, offsets: TopicPartitionOffset[]) => void) | undefined;
    const done = new Promise<LibrdKafkaError | null>((resolve) => {
      settle = (err, got) => {
        const matches =
          got.length >= want.size &&
          [...want].every(([k, off]) =>
            got.some((g) => tpKey(g.topic, g.partition) === k && g.offset === off),
          );
        if (matches || (err && got.length === 0)) resolve(err);
        else if (err && [...want.keys()].every((k) => got.some((g) => tpKey(g.topic, g.partition) === k)))
          resolve(err);
      };
    });
    this.commitWaiters.add(settle!);
    try {
      try {
        this.consumer.commit(list);
      } catch (err) {
        throw this.kafkaError(err, 'commit');
      }
      const deadline = Date.now() + this.opts.requestTimeoutMs;
      let result: LibrdKafkaError | null | undefined;
      void done.then((r) => {
        result = r;
      });
      // The commit's result is served from within a consume call: drive short ones until it comes.
      while (result === undefined && Date.now() < deadline) {
        await this.fetch(Math.min(50, Math.max(1, deadline - Date.now()))).catch(() => undefined);
        await new Promise((r) => setImmediate(r));
      }
      if (result === undefined) {
        if (this.kafkaDown) throw errors.kafkaUnreachable(this.opts.bootstrapServers, this.kafkaDown);
        throw errors.kafkaTimeout('the offset commit', this.opts.requestTimeoutMs);
      }
      if (result) throw this.kafkaError(result, 'commit');
    } finally {
      this.commitWaiters.delete(settle!);
    }
  }

  /** Seeks each partition to an offset (`positions`). Every partition must be assigned (404 otherwise). */
  seek(offsets: readonly OffsetSpec[]): Promise<void> {
    return this.serialize(async () => {
      await this.settleInflight();
      this.requireAssigned(offsets);
      for (const o of offsets) await this.seekOne(o.topic, o.partition, o.offset);
    });
  }

  /**
   * `positions/beginning` and `positions/end`. The edge is resolved to a number now (Java
   * resolves it lazily at the next poll), so "end" means the end when the request was made: a
   * record produced right after the 204 is read, whatever the timing of the next poll.
   */
  seekToEdge(partitions: readonly TopicPartition[], edge: 'beginning' | 'end'): Promise<void> {
    return this.serialize(async () => {
      await this.settleInflight();
      this.requireAssigned(partitions);
      for (const p of partitions) {
        const marks = await this.watermarks(p.topic, p.partition);
        await this.seekOne(p.topic, p.partition, edge === 'beginning' ? marks.lowOffset : marks.highOffset);
      }
    });
  }

  private watermarks(topic: string, partition: number): Promise<{ lowOffset: number; highOffset: number }> {
    return new Promise((resolve, reject) => {
      this.consumer.queryWatermarkOffsets(
        topic,
        partition,
        Math.min(this.opts.requestTimeoutMs, 10_000),
        (err, o) => {
          if (err) reject(this.kafkaError(err, 'seek'));
          else resolve(o);
        },
      );
    });
  }

  private requireAssigned(partitions: readonly TopicPartition[]): void {
    let assigned: TopicPartition[];
    try {
      assigned = this.consumer.assignments();
    } catch {
      assigned = [];
    }
    const have = new Set(assigned.map((a) => tpKey(a.topic, a.partition)));
    for (const p of partitions) {
      if (!have.has(tpKey(p.topic, p.partition))) throw errors.partitionNotAssigned(p.topic, p.partition);
    }
  }

  private async seekOne(topic: string, partition: number, offset: number): Promise<void> {
    const k = tpKey(topic, partition);
    this.pending = this.pending.filter((m) => tpKey(m.topic, m.partition) !== k);
    // Java's commitSync() after seek commits the new position; a logical one is unknown until read.
    if (offset >= 0) this.returned.set(k, { topic, partition, offset });
    else this.returned.delete(k);
    const deadline = Date.now() + this.opts.requestTimeoutMs;
    for (;;) {
      const err = await new Promise<LibrdKafkaError | undefined>((resolve) => {
        this.consumer.seek({ topic, partition, offset }, Math.min(this.opts.requestTimeoutMs, 5000), (e) =>
          resolve(e ?? undefined),
        );
      });
      if (!err) return;
      // Right after an assignment the partition may not be fetching yet (ERR__STATE): let one
      // consume call start it, then seek again. Nothing it fetches survives the seek.
      if (errorCode(err) === ERR.STATE && Date.now() < deadline) {
        await this.fetch(20).catch(() => undefined);
        this.pending = this.pending.filter((m) => tpKey(m.topic, m.partition) !== k);
        continue;
      }
      if (errorCode(err) === ERR.UNKNOWN_PARTITION) throw errors.partitionNotAssigned(topic, partition);
      throw this.kafkaError(err, 'seek');
    }
  }

  // ---------------------------------------------------------------- errors and close

  /** A librdkafka error as the HTTP answer: unreachable 503, denied 403, anything else 500 with its text. */
  private kafkaError(err: unknown, what: string): HttpError {
    if (err instanceof HttpError) return err;
    const code = errorCode(err);
    const msg = errorMessage(err);
    if (code === ERR.ALL_BROKERS_DOWN || code === ERR.TRANSPORT || code === ERR.RESOLVE) {
      return errors.kafkaUnreachable(this.opts.bootstrapServers, msg);
    }
    if (code === ERR.GROUP_AUTHORIZATION_FAILED) return errors.notAuthorized('Read', 'group', this.group);
    if (code === ERR.TOPIC_AUTHORIZATION_FAILED) {
      const topics =
        this.mode.kind === 'topics'
          ? this.mode.topics.join(',')
          : this.mode.kind === 'assigned'
            ? [...new Set(this.mode.partitions.map((p) => p.topic))].join(',')
            : this.mode.kind === 'pattern'
              ? this.mode.pattern
              : '?';
      return errors.notAuthorized('Read', 'topic', topics);
    }
    return errors.kafka(`${what} failed: ${msg}`);
  }

  /**
   * Leaves the group and frees the client. Waits for running operations (bounded), so an
   * auto-commit instance commits exactly what it returned. Never throws.
   */
  async close(timeoutMs = this.opts.requestTimeoutMs): Promise<void> {
    if (this.closed) return;
    const deadline = Date.now() + timeoutMs;
    const bounded = <T>(p: Promise<T>) =>
      Promise.race([
        p.then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, deadline - Date.now())).unref()),
      ]);
    await bounded(this.chain);
    this.closed = true;
    if (this.inflight) await bounded(this.inflight);
    const left = await bounded(
      new Promise<void>((resolve) => {
        try {
          this.consumer.disconnect(() => resolve());
        } catch {
          resolve();
        }
      }),
    );
    if (!left)
      this.opts.log.warn({ consumer: this.name, group: this.group, timeoutMs }, 'consumer close timed out');
    this.pending = [];
  }
}
