/**
 * The consumer instances of this bridge, keyed by (group, name): creation with unique names,
 * lookup, deletion, the idle sweep after `http.timeoutSeconds`, and shutdown. All state is in
 * memory, as in the anchor: a restart loses the instances (the groups' committed offsets stay).
 */
import { randomUUID } from 'node:crypto';
import type { BridgeConfig } from '../config/types.js';
import { EMBEDDED_FORMATS, type EmbeddedFormat } from '../formats/index.js';
import { errors } from '../http/errors.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import { ConsumerInstance, type ConsumerInstanceOptions } from './consumer.js';

/** The body of `POST /consumers/{groupid}` (the contract's `Consumer`), after schema validation. */
export interface CreateConsumerRequest {
  readonly name?: string;
  readonly format?: string;
  readonly 'auto.offset.reset'?: string;
  readonly 'enable.auto.commit'?: boolean;
  readonly 'fetch.min.bytes'?: number;
  readonly 'consumer.request.timeout.ms'?: number;
  readonly 'isolation.level'?: string;
}

export interface ConsumerRegistryDeps {
  readonly config: Pick<BridgeConfig, 'bridgeId'> & {
    readonly http: Pick<BridgeConfig['http'], 'timeoutSeconds'>;
    readonly kafka: Pick<BridgeConfig['kafka'], 'consumer' | 'bootstrapServers' | 'maxPollRecords'>;
  };
  readonly log: Logger;
  readonly metrics?: BridgeMetrics;
}

/** Kafka's `max.poll.records` default: the largest batch one consume call takes. */
export const DEFAULT_MAX_POLL_RECORDS = 500;
/** The anchor's `consumer.request.timeout.ms` default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const key = (group: string, name: string): string => `${group}\u0000${name}`;

/** Java-client value names librdkafka spells differently. */
function offsetReset(v: string): string {
  return v === 'none' ? 'error' : v;
}

/**
 * The settings and options of a new instance (pure): `kafka.*` + `kafka.consumer.*` from the
 * configuration, then the request's fields, which win (as in the anchor).
 */
export function instanceOptions(
  deps: Pick<ConsumerRegistryDeps, 'config'>,
  group: string,
  name: string,
  format: EmbeddedFormat,
  req: CreateConsumerRequest,
): Omit<ConsumerInstanceOptions, 'log' | 'metrics'> {
  const settings: Record<string, string | number | boolean> = { ...deps.config.kafka.consumer };
  // Not a librdkafka setting: it sizes the bridge's own consume batches.
  const maxPoll = deps.config.kafka.maxPollRecords ?? DEFAULT_MAX_POLL_RECORDS;
  if (req['auto.offset.reset'] !== undefined)
    settings['auto.offset.reset'] = offsetReset(req['auto.offset.reset']);
  else if (typeof settings['auto.offset.reset'] === 'string')
    settings['auto.offset.reset'] = offsetReset(settings['auto.offset.reset']);
  if (req['fetch.min.bytes'] !== undefined) settings['fetch.min.bytes'] = req['fetch.min.bytes'];
  if (req['isolation.level'] !== undefined) settings['isolation.level'] = req['isolation.level'];
  const autoCommit =
    req['enable.auto.commit'] ?? String(settings['enable.auto.commit'] ?? 'true').toLowerCase() !== 'false';
  return {
    group,
    name,
    format,
    settings,
    autoCommit,
    requestTimeoutMs: req['consumer.request.timeout.ms'] ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxPollRecords: Number.isInteger(maxPoll) && maxPoll > 0 ? maxPoll : DEFAULT_MAX_POLL_RECORDS,
    bootstrapServers: deps.config.kafka.bootstrapServers,
  };
}

export class ConsumerRegistry {
  private readonly instances = new Map<string, ConsumerInstance>();
  /** Names being created right now: a second create with the same name is a 409 at once. */
  private readonly reserved = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly deps: ConsumerRegistryDeps) {
    const t = deps.config.http.timeoutSeconds;
    // -1 (the default) means never; the anchor sweeps every timeout/2, so an idle instance goes between T and 1.5T.
    if (t > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), Math.max(250, (t * 1000) / 2));
      this.sweepTimer.unref();
    }
  }

  get size(): number {
    return this.instances.size;
  }

  /** Generated names as the anchor's: `<bridge.id>-<uuid>`, or `kafka-bridge-consumer-<uuid>`. */
  generateName(): string {
    const id = this.deps.config.bridgeId;
    return `${id ? id : 'kafka-bridge-consumer'}-${randomUUID()}`;
  }

  async create(group: string, req: CreateConsumerRequest): Promise<ConsumerInstance> {
    if (this.closing) throw errors.shuttingDown();
    const format = (req.format ?? 'binary') as EmbeddedFormat;
    if (!EMBEDDED_FORMATS.includes(format)) throw errors.invalidFormat();
    const name = req.name ?? this.generateName();
    const k = key(group, name);
    if (this.instances.has(k) || this.reserved.has(k)) throw errors.consumerAlreadyExists();
    this.reserved.add(k);
    try {
      const inst = await ConsumerInstance.create({
        ...instanceOptions(this.deps, group, name, format, req),
        log: this.deps.log,
        ...(this.deps.metrics ? { metrics: this.deps.metrics } : {}),
      });
      if (this.closing) {
        await inst.close(1000);
        throw errors.shuttingDown();
      }
      this.instances.set(k, inst);
      this.deps.metrics?.consumerInstances.set(this.instances.size);
      this.deps.log.info({ group, consumer: name, format }, 'consumer instance created');
      return inst;
    } finally {
      this.reserved.delete(k);
    }
  }

  /** The instance, its idle clock refreshed; 404 when there is none. */
  get(group: string, name: string): ConsumerInstance {
    const inst = this.instances.get(key(group, name));
    if (!inst) throw errors.consumerNotFound();
    inst.touch();
    return inst;
  }

  async delete(group: string, name: string): Promise<void> {
    const k = key(group, name);
    const inst = this.instances.get(k);
    if (!inst) throw errors.consumerNotFound();
    this.instances.delete(k);
    this.deps.metrics?.consumerInstances.set(this.instances.size);
    await inst.close();
    this.deps.log.info({ group, consumer: name }, 'consumer instance deleted');
  }

  /** Deletes every instance idle for longer than `http.timeoutSeconds` (never one with an operation running). */
  async sweep(now = Date.now()): Promise<number> {
    const limitMs = this.deps.config.http.timeoutSeconds * 1000;
    if (limitMs <= 0) return 0;
    const stale = [...this.instances.entries()].filter(([, i]) => !i.busy && now - i.lastActivity > limitMs);
    for (const [k, inst] of stale) {
      this.instances.delete(k);
      this.deps.log.info(
        { group: inst.group, consumer: inst.name, idleMs: now - inst.lastActivity },
        'consumer instance deleted after http.timeoutSeconds of inactivity',
      );
    }
    this.deps.metrics?.consumerInstances.set(this.instances.size);
    await Promise.all(stale.map(([, i]) => i.close()));
    return stale.length;
  }

  /**
   * Graceful shutdown: no new instances; every instance finishes its running operation, commits
   * (auto-commit instances: what was returned) and leaves its group, all in parallel, within
   * `timeoutMs` overall.
   */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const all = [...this.instances.values()];
    this.instances.clear();
    this.deps.metrics?.consumerInstances.set(0);
    await Promise.all(all.map((i) => i.close(timeoutMs)));
  }
}
