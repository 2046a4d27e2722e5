/**
 * Topic metadata, partition offsets and topic creation (the anchor's `HttpAdminBridgeEndpoint`).
 *
 * node-rdkafka 3.6's AdminClient offers only createTopic/deleteTopic/createPartitions: there is no
 * describeConfigs, describeTopics or listOffsets. So:
 * - metadata and watermarks come from a dedicated metadata-only client (a node-rdkafka Producer
 *   that never produces), configured with `allow.auto.create.topics=false` so that asking about a
 *   topic never creates it;
 * - node-rdkafka drops the per-topic error of a metadata reply, so "denied" and "does not exist"
 *   would look alike (no partitions). librdkafka logs that error under `debug=metadata`; this
 *   client listens to its own log to tell a 403 from a 404;
 * - topic configs come from kafkajs (topic-configs.ts), the one thing node-rdkafka cannot read.
 * Both clients are created on first use: a sidecar that only produces never pays for them.
 */
import { createRequire } from 'node:module';
import type { IAdminClient, LibrdKafkaError, Metadata, Producer as RdProducer } from 'node-rdkafka';
import type { RdkafkaSettings } from '../config/types.js';
import { errors, type HttpError } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import { type KafkaOperation, kafkaToHttp, RD } from './errors.js';
import { splitTopicSettings } from './producer.js';
import { TopicConfigs } from './topic-configs.js';

const require = createRequire(import.meta.url);
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');

export interface ReplicaInfo {
  broker: number;
  leader: boolean;
  in_sync: boolean;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: ReplicaInfo[];
}

export interface TopicDescription {
  name: string;
  partitions: PartitionInfo[];
}

/** GET /topics/{t}: configs when they could be read, else why not (never invented). */
export type TopicWithConfigs = TopicDescription &
  ({ configs: Record<string, string> } | { configsUnavailable: string });

export interface NewTopicSpec {
  topic_name: string;
  partitions_count?: number | null;
  replication_factor?: number | null;
}

export interface AdminOptions {
  readonly settings: RdkafkaSettings;
  readonly bootstrapServers: string;
  readonly clientId: string;
  readonly log: Logger;
  readonly metrics: BridgeMetrics;
  readonly requestTimeoutMs?: number;
  /**
   * The producer's view of the cluster: an error when it already knows no broker answers, so a
   * metadata request fails at once instead of after a connect timeout.
   */
  readonly knownUnreachable?: () => HttpError | undefined;
}

/** Topics Kafka marks internal; the Java admin's listTopics() leaves them out, so do we. */
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

// librdkafka, debug=metadata: "Error in metadata reply for topic <t> (PartCnt <n>): <err2str>"
// (src/rdkafka_topic.c) and "  Topic <t> with <n> partitions: <err2str>" (src/rdkafka_metadata.c).
const TOPIC_ERROR_LOG = [
  /Error in metadata reply for topic (\S+) \(PartCnt -?\d+\): (.+)$/,
  /Topic (?:#\d+\/\d+: )?(\S+) with \d+ partitions: (.+)$/,
];

export function parseTopicErrorLog(line: string): { topic: string; error: string } | undefined {
  for (const re of TOPIC_ERROR_LOG) {
    const m = re.exec(line);
    if (m) return { topic: m[1]!, error: m[2]!.trim() };
  }
  return undefined;
}

export function toPartitionInfo(p: Metadata['topics'][number]['partitions'][number]): PartitionInfo {
  return {
    partition: p.id,
    leader: p.leader,
    replicas: p.replicas.map((b) => ({ broker: b, leader: b === p.leader, in_sync: p.isrs.includes(b) })),
  };
}

export class KafkaAdmin {
  private meta: RdProducer | undefined;
  private metaConnecting: Promise<RdProducer> | undefined;
  private admin: IAdminClient | undefined;
  private readonly topicErrors = new Map<string, { error: string; at: number }>();
  private readonly timeoutMs: number;
  private closed = false;
  private pollTimer: NodeJS.Timeout | undefined;

  private readonly configs: TopicConfigs;

  constructor(private readonly opts: AdminOptions) {
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.configs = new TopicConfigs({
      settings: opts.settings,
      clientId: opts.clientId,
      log: opts.log,
      timeoutMs: this.timeoutMs,
    });
  }

  private op(operation: KafkaOperation['operation'], topic: string, partition?: number): KafkaOperation {
    return {
      operation,
      resourceType: 'topic',
      resource: topic,
      ...(partition !== undefined ? { partition } : {}),
      bootstrapServers: this.opts.bootstrapServers,
    };
  }

  private metadataClient(): Promise<RdProducer> {
    if (this.closed) return Promise.reject(errors.shuttingDown());
    if (this.meta?.isConnected()) return Promise.resolve(this.meta);
    if (this.metaConnecting) return this.metaConnecting;
    const down = this.opts.knownUnreachable?.();
    if (down) return Promise.reject(down);
    const { settings, clientId, log, metrics } = this.opts;
    const conf = splitTopicSettings({
      'client.id': `${clientId}-admin`,
      'statistics.interval.ms': '0',
      ...settings,
      'allow.auto.create.topics': false,
      // Only the metadata context, for the per-topic errors node-rdkafka does not hand over.
      debug: 'metadata',
      event_cb: true,
    });
    const c = new Kafka.Producer(conf.global as never, conf.topic as never);
    c.on('event.log', (ev: { message: string }) => {
      const hit = parseTopicErrorLog(ev.message);
      if (!hit) return;
      // Bounded: entries are consumed by describeTopic; stale ones go when the map grows.
      if (this.topicErrors.size >= 1000) this.topicErrors.clear();
      this.topicErrors.set(hit.topic, { error: hit.error, at: Date.now() });
    });
    c.on('event.error', (err: LibrdKafkaError) =>
      log.debug({ err: err.message }, 'kafka metadata client error'),
    );
    c.on('event.stats', (ev: { message: string }) => metrics.recordLibrdkafkaStats('admin', ev.message));
    this.metaConnecting = new Promise<RdProducer>((resolve, reject) => {
      c.connect({ timeout: Math.min(this.timeoutMs, 5000), allTopics: false } as never, (err) => {
        this.metaConnecting = undefined;
        if (err) {
          reject(kafkaToHttp(err, this.op('Describe', '')));
          return;
        }
        if (this.closed) {
          c.disconnect();
          reject(errors.shuttingDown());
          return;
        }
        this.meta = c;
        // Statistics and error events are served by poll(); this client never produces.
        this.pollTimer = setInterval(() => {
          try {
            c.poll();
          } catch {
            // disconnected meanwhile
          }
        }, 1000);
        this.pollTimer.unref();
        resolve(c);
      });
    });
    return this.metaConnecting;
  }

  private async metadata(topic?: string): Promise<Metadata> {
    const c = await this.metadataClient();
    return new Promise((resolve, reject) => {
      c.getMetadata(
        (topic === undefined
          ? { allTopics: true, timeout: this.timeoutMs }
          : { topic, timeout: this.timeoutMs }) as never,
        (err, md) => {
          if (err) reject(kafkaToHttp(err, this.op('Describe', topic ?? '')));
          else resolve(md);
        },
      );
    });
  }

  /** A live check through the metadata client (used when the producer is disabled). */
  async probe(): Promise<{ ok: true } | { ok: false; error: string }> {
    try {
      const c = await this.metadataClient();
      await new Promise<void>((resolve, reject) =>
        c.getMetadata({ allTopics: false, timeout: 2000 } as never, (err) => (err ? reject(err) : resolve())),
      );
      this.opts.metrics.kafkaReachable.set(1);
      return { ok: true };
    } catch (err) {
      this.opts.metrics.kafkaReachable.set(0);
      return { ok: false, error: (err as Error).message };
    }
  }

  /** GET /topics: names, internal topics left out, sorted. */
  async listTopics(): Promise<string[]> {
    const md = await this.metadata();
    return md.topics
      .map((t) => t.name)
      .filter((n) => !INTERNAL_TOPICS.has(n))
      .sort();
  }

  /**
   * A topic with no partitions in a metadata reply had an error; learn which from librdkafka's
   * log (it arrives on the event loop around the same time as the reply, so wait briefly).
   */
  private async topicError(topic: string, since: number): Promise<HttpError> {
    const deadline = Date.now() + 300;
    for (;;) {
      const seen = this.topicErrors.get(topic);
      if (seen && seen.at >= since) {
        this.topicErrors.delete(topic);
        const e = seen.error.toLowerCase();
        if (e.includes('authorization failed')) return errors.notAuthorized('Describe', 'topic', topic);
        if (e.includes('unknown topic') || e.includes('does not host')) return errors.topicNotFound(topic);
        return errors.kafka(`Topic ${topic}: ${seen.error}`);
      }
      if (Date.now() >= deadline) return errors.topicNotFound(topic);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** GET /topics/{t}: name and partitions; 404 unknown, 403 when Describe is denied. */
  async describeTopic(topic: string): Promise<TopicDescription> {
    const since = Date.now();
    const md = await this.metadata(topic);
    const t = md.topics.find((x) => x.name === topic);
    if (!t || t.partitions.length === 0) throw await this.topicError(topic, since - 1);
    return {
      name: t.name,
      partitions: t.partitions.map(toPartitionInfo).sort((a, b) => a.partition - b.partition),
    };
  }

  /**
   * Name, partitions and configs. Describe (metadata) decides 404/403; DescribeConfigs only
   * decides whether configs are there, so a principal without it still gets the rest.
   */
  async describeTopicWithConfigs(topic: string): Promise<TopicWithConfigs> {
    // Side by side: configs.describe never rejects, so a 404/403 from metadata still answers at once.
    const [t, c] = await Promise.all([this.describeTopic(topic), this.configs.describe(topic)]);
    return 'configs' in c ? { ...t, configs: c.configs } : { ...t, configsUnavailable: c.unavailable };
  }

  async describePartition(topic: string, partition: number): Promise<PartitionInfo> {
    const t = await this.describeTopic(topic);
    const p = t.partitions.find((x) => x.partition === partition);
    if (!p) throw errors.partitionNotFound(topic, partition);
    return p;
  }

  /** GET .../partitions/{p}/offsets: `{beginning_offset, end_offset}` (ListOffsets earliest/latest). */
  async offsets(topic: string, partition: number): Promise<{ beginning_offset: number; end_offset: number }> {
    await this.describePartition(topic, partition);
    const c = await this.metadataClient();
    return new Promise((resolve, reject) => {
      c.queryWatermarkOffsets(topic, partition, this.timeoutMs, (err, o) => {
        if (err) reject(kafkaToHttp(err, this.op('Describe', topic, partition)));
        else resolve({ beginning_offset: o.lowOffset, end_offset: o.highOffset });
      });
    });
  }

  private adminClient(): IAdminClient {
    if (this.closed) throw errors.shuttingDown();
    if (!this.admin) {
      this.admin = Kafka.AdminClient.create({
        'client.id': `${this.opts.clientId}-admin`,
        ...this.opts.settings,
      } as never);
    }
    return this.admin;
  }

  /** POST /admin/topics. Omitted counts take the broker defaults (-1), as the anchor's NewTopic. */
  async createTopic(spec: NewTopicSpec): Promise<void> {
    const admin = this.adminClient();
    await new Promise<void>((resolve, reject) => {
      admin.createTopic(
        {
          topic: spec.topic_name,
          num_partitions: spec.partitions_count ?? -1,
          replication_factor: spec.replication_factor ?? -1,
        },
        this.timeoutMs,
        (err) => {
          if (!err) {
            resolve();
            return;
          }
          const e =
            err.code === RD.TOPIC_AUTHORIZATION_FAILED || err.code === RD.CLUSTER_AUTHORIZATION_FAILED
              ? errors.notAuthorized('Create', 'topic', spec.topic_name)
              : kafkaToHttp(err, this.op('Create', spec.topic_name));
          reject(e);
        },
      );
    });
    this.topicErrors.delete(spec.topic_name);
  }

  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    await Promise.race([this.configs.close(), new Promise((r) => setTimeout(r, timeoutMs))]);
    const waits: Promise<void>[] = [];
    if (this.admin) {
      try {
        this.admin.disconnect();
      } catch {
        // already disconnected
      }
      this.admin = undefined;
    }
    const pending = this.metaConnecting;
    const meta = this.meta ?? (pending ? await pending.catch(() => undefined) : undefined);
    if (meta) {
      waits.push(
        new Promise<void>((resolve) => {
          const t = setTimeout(resolve, timeoutMs);
          meta.disconnect(() => {
            clearTimeout(t);
            resolve();
          });
        }),
      );
    }
    this.meta = undefined;
    await Promise.all(waits);
    this.opts.metrics.forgetClient('admin');
  }
}
