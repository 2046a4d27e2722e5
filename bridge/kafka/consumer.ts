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
  TopicPartition,
  TopicPartitionOffset,
} from 'node-rdkafka';
import Kafka from 'node-rdkafka';
import type { EmbeddedFormat } from '../formats/index.js';
import { errors, HttpError } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import { PollBuffer, RecordTooLarge, type Taken } from './poll-buffer.js';

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

/** How many polls the size of the last one an instance that is being read keeps fetched ahead (at least a batch). */
const PREFETCH_POLLS = 2;

/**
 * librdkafka settings every instance starts from; any can be overridden with kafka.consumer.*.
 * Memory per instance matters (one instance per HTTP consumer): prefetch a few MiB, not
 * librdkafka's 64 MiB default. With a small prefetch the threshold is met often, and librdkafka's
 * default 1 s back-off after that would cap a fast reader at a few MiB/s.
 */
export const CONSUMER_DEFAULTS: Readonly<Record<string, number>> = {
  'queued.max.messages.kbytes': 4096,
  'queued.min.messages': 10000,
  'fetch.queue.backoff.ms': 10,
};

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

/** A poll's answer, already serialized (the records that fit max_bytes). */
export interface PollResult {
  /** The JSON array of records as UTF-8 bytes, in parts to write in order (see PollBuffer). */
  readonly body: readonly Buffer[];
  /** Total bytes of `body`. */
  readonly length: number;
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
  /** Records taken from librdkafka and not yet returned, in arrival order, already serialized. */
  private readonly pending: PollBuffer;
  /** Next offset per partition after the last record returned over HTTP (what a body-less commit commits). */
  private readonly returned = new Map<string, TopicPartitionOffset>();
  /** A consume batch still running on the libuv pool after its poll answered. */
  private inflight: Promise<void> | null = null;
  /** The last batch came back full: librdkafka holds more, so the next one is fetched ahead. */
  private backlog = false;
  /** Records the last poll returned: how much to keep fetched ahead. */
  private lastTaken = 0;
  /** A prepare() of fetched batches is scheduled. */
  private preparing = false;
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
    this.pending = new PollBuffer(opts.format);
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
      ...CONSUMER_DEFAULTS,
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
      this.pending.clear();
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
      this.pending.clear();
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
    this.pending.clear();
    this.returned.clear();
  }

  /** Partitions taken away (revoked, unassigned): their buffered records and returned positions go. */
  private forget(partitions: readonly TopicPartition[]): void {
    const gone = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    this.pending.drop((topic, partition) => gone.has(tpKey(topic, partition)));
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
      if (this.pending.size === 0) await this.fill(deadline);
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
    while (this.pending.size === 0) {
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
   * While a client reads a backlog, the next batches are taken from librdkafka's local queue
   * (timeout 0: what is already fetched, never a wait) and serialized while the response goes out
   * and the client reads it, so the next poll finds them ready and only picks bytes. Fetching
   * goes on until a batch, or two polls the size of the last one if more, are ready (a poll takes
   * one while the other is refilled), and stops as soon as another operation is queued, so seek
   * and commit find the consumer quiet. Records fetched ahead are neither returned nor committed
   * until a poll takes them; an idle instance never prefetches.
   */
  private prefetch(): void {
    const ahead = Math.max(this.opts.maxPollRecords, PREFETCH_POLLS * this.lastTaken);
    if (!this.backlog || this.inflight || this.closed || this.pending.size >= ahead) return;
    this.inflight = this.fetch(0)
      .catch(() => undefined)
      .finally(() => {
        this.inflight = null;
        if (this.busyCount === 0) this.prefetch();
      });
  }

  /**
   * Serializes fetched batches once pending I/O has run: a poll that arrived meanwhile is answered
   * first, from a batch already prepared, and the client reads it while this one is written.
   */
  private schedulePrepare(): void {
    if (this.preparing) return;
    this.preparing = true;
    setImmediate(() => {
      this.preparing = false;
      this.pending.prepare();
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
          this.pending.push(messages);
          this.schedulePrepare();
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
    let taken: Taken;
    try {
      taken = this.pending.take(maxBytes, this.opts.maxPollRecords);
    } catch (err) {
      if (!(err instanceof RecordTooLarge)) throw err;
      const msg = err.record;
      throw new HttpError(
        422,
        `${errors.responseTooLarge().message}: the next record (topic ${msg.topic}, partition ${msg.partition}, offset ${msg.offset}) needs ${err.needs} bytes and max_bytes is ${maxBytes}; it was not skipped: poll again with a larger max_bytes`,
      );
    }
    this.markReturned(taken);
    this.lastTaken = taken.count;
    return { body: taken.parts, length: taken.length, count: taken.count };
  }

  private markReturned(taken: Taken): void {
    if (taken.count === 0) return;
    // The latest position per partition (a poll may hold several runs of one partition).
    const next = new Map<string, TopicPartitionOffset>();
    for (const p of taken.positions) next.set(tpKey(p.topic, p.partition), { ...p });
    const m = this.opts.metrics;
    if (m) {
      for (const [topic, t] of taken.perTopic) {
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
    this.pending.drop((t, p) => t === topic && p === partition);
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
        this.pending.drop((t, p) => t === topic && p === partition);
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
    this.pending.clear();
  }
}
