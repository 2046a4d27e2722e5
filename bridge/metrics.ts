/**
 * Every metric the bridge exports, in one registry of its own (never prom-client's global one,
 * so tests can create as many bridges as they like). Names start with `strimzi_bridge_` as the
 * anchor's do, so existing dashboards find the HTTP series; the process_* / nodejs_* defaults
 * keep their standard names.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

// prom-client's index also loads what the bridge never uses (Pushgateway with http/https,
// cluster aggregation, Summary with tdigest): ~0.6 MB of heap in every idle sidecar (issue 3).
// Its lib modules are the same classes, loaded one by one; the types still come from the index.
const requireLib = createRequire(import.meta.url);
const Counter = requireLib('prom-client/lib/counter') as typeof PromClient.Counter;
const Gauge = requireLib('prom-client/lib/gauge') as typeof PromClient.Gauge;
const Histogram = requireLib('prom-client/lib/histogram') as typeof PromClient.Histogram;
const Registry = requireLib('prom-client/lib/registry') as typeof PromClient.Registry;
const collectDefaultMetrics = requireLib(
  'prom-client/lib/defaultMetrics',
) as typeof PromClient.collectDefaultMetrics;
type Counter<T extends string> = PromClient.Counter<T>;
type Gauge<T extends string = string> = PromClient.Gauge<T>;
type Histogram<T extends string> = PromClient.Histogram<T>;
type Registry = PromClient.Registry;

/** The Prometheus text content type, what `/metrics` answers with. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface BridgeMetrics {
  readonly registry: Registry;
  /** HTTP requests by method, route template (e.g. `/topics/:topicname`) and status code. */
  readonly httpRequests: Counter<'method' | 'route' | 'code'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'code'>;
  /** Requests received whose response has not been sent yet (what graceful shutdown waits for). */
  readonly httpActiveRequests: Gauge;
  /** Records the broker acknowledged, by topic. */
  readonly producedRecords: Counter<'topic'>;
  /** Key + value + header bytes of acknowledged records, by topic. */
  readonly producedBytes: Counter<'topic'>;
  /** Records that failed (answered as per-record errors), by topic and the error_code answered. */
  readonly produceErrors: Counter<'topic' | 'error_code'>;
  /** Records handed to the producer whose delivery report has not arrived yet. */
  readonly producerInflight: Gauge;
  /** 1 when a broker answered the last reachability probe, 0 when not. */
  readonly kafkaReachable: Gauge;
  /** Consumer instances (issue 4) currently registered. */
  readonly consumerInstances: Gauge;
  /** Records returned to HTTP consumers, by topic. */
  readonly consumedRecords: Counter<'topic'>;
  /** Key + value bytes of records returned to HTTP consumers, by topic. */
  readonly consumedBytes: Counter<'topic'>;
  /** Feeds one librdkafka statistics JSON document (the `event.stats` payload) into the gauges. */
  recordLibrdkafkaStats(client: string, statsJson: string): void;
  /** Drops the librdkafka series of a client that has gone (e.g. a deleted consumer). */
  forgetClient(client: string): void;
}

// Only the fields we read; librdkafka's statistics document has many more (STATISTICS.md).
interface RdkafkaStats {
  msg_cnt?: number;
  msg_size?: number;
  brokers?: Record<
    string,
    {
      nodeid?: number;
      state?: string;
      rtt?: { avg?: number };
      outbuf_msg_cnt?: number;
      waitresp_cnt?: number;
    }
  >;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): BridgeMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'strimzi_bridge_http_server_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'strimzi_bridge_http_server_request_duration_seconds',
    help: 'Time from request received to response sent, by method, route template and status code',
    labelNames: ['method', 'route', 'code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const httpActiveRequests = new Gauge({
    name: 'strimzi_bridge_http_server_active_requests',
    help: 'HTTP requests received whose response has not been sent yet',
    registers: [registry],
  });
  const producedRecords = new Counter({
    name: 'strimzi_bridge_producer_records_total',
    help: 'Records acknowledged by the broker, by topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const producedBytes = new Counter({
    name: 'strimzi_bridge_producer_bytes_total',
    help: 'Key, value and header bytes of records acknowledged by the broker, by topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const produceErrors = new Counter({
    name: 'strimzi_bridge_producer_record_errors_total',
    help: 'Records that could not be produced (answered as per-record errors), by topic and error_code',
    labelNames: ['topic', 'error_code'] as const,
    registers: [registry],
  });
  const producerInflight = new Gauge({
    name: 'strimzi_bridge_producer_inflight_records',
    help: 'Records handed to the producer whose delivery report has not arrived yet',
    registers: [registry],
  });
  const kafkaReachable = new Gauge({
    name: 'strimzi_bridge_kafka_reachable',
    help: '1 when a Kafka broker answered the last reachability probe (GET /ready?kafka=true), 0 when not',
    registers: [registry],
  });
  const consumerInstances = new Gauge({
    name: 'strimzi_bridge_consumer_instances',
    help: 'HTTP consumer instances currently registered',
    registers: [registry],
  });
  const consumedRecords = new Counter({
    name: 'strimzi_bridge_consumer_records_total',
    help: 'Records returned to HTTP consumers, by topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const consumedBytes = new Counter({
    name: 'strimzi_bridge_consumer_bytes_total',
    help: 'Key and value bytes of records returned to HTTP consumers, by topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });

  const queueMessages = new Gauge({
    name: 'strimzi_bridge_kafka_client_queue_messages',
    help: 'librdkafka msg_cnt: messages in the client queues (produced, not yet delivered), by client',
    labelNames: ['client'] as const,
    registers: [registry],
  });
  const queueBytes = new Gauge({
    name: 'strimzi_bridge_kafka_client_queue_bytes',
    help: 'librdkafka msg_size: bytes of the messages in the client queues, by client',
    labelNames: ['client'] as const,
    registers: [registry],
  });
  const brokerRtt = new Gauge({
    name: 'strimzi_bridge_kafka_broker_rtt_avg_seconds',
    help: 'librdkafka brokers[].rtt.avg: average broker request round-trip time, by client and broker',
    labelNames: ['client', 'broker'] as const,
    registers: [registry],
  });
  const brokerUp = new Gauge({
    name: 'strimzi_bridge_kafka_broker_connected',
    help: 'librdkafka brokers[].state: 1 when the connection to the broker is UP, by client and broker',
    labelNames: ['client', 'broker'] as const,
    registers: [registry],
  });
  const brokerWaiting = new Gauge({
    name: 'strimzi_bridge_kafka_broker_waiting_requests',
    help: 'librdkafka brokers[].outbuf_msg_cnt + waitresp_cnt: requests queued or awaiting a response',
    labelNames: ['client', 'broker'] as const,
    registers: [registry],
  });

  const brokersByClient = new Map<string, Set<string>>();

  return {
    registry,
    httpRequests,
    httpDuration,
    httpActiveRequests,
    producedRecords,
    producedBytes,
    produceErrors,
    producerInflight,
    kafkaReachable,
    consumerInstances,
    consumedRecords,
    consumedBytes,
    recordLibrdkafkaStats(client, statsJson) {
      let stats: RdkafkaStats;
      try {
        stats = JSON.parse(statsJson) as RdkafkaStats;
      } catch {
        return; // a torn stats document is not worth failing over; the next one comes soon
      }
      if (typeof stats.msg_cnt === 'number') queueMessages.set({ client }, stats.msg_cnt);
      if (typeof stats.msg_size === 'number') queueBytes.set({ client }, stats.msg_size);
      const seen = brokersByClient.get(client) ?? new Set<string>();
      for (const b of Object.values(stats.brokers ?? {})) {
        // Skip librdkafka's internal pseudo-broker and bootstrap entries without a node id.
        if (b.nodeid === undefined || b.nodeid < 0) continue;
        const broker = String(b.nodeid);
        seen.add(broker);
        brokerUp.set({ client, broker }, b.state === 'UP' ? 1 : 0);
        if (typeof b.rtt?.avg === 'number') brokerRtt.set({ client, broker }, b.rtt.avg / 1e6);
        brokerWaiting.set({ client, broker }, (b.outbuf_msg_cnt ?? 0) + (b.waitresp_cnt ?? 0));
      }
      brokersByClient.set(client, seen);
    },
    forgetClient(client) {
      queueMessages.remove({ client });
      queueBytes.remove({ client });
      for (const broker of brokersByClient.get(client) ?? []) {
        brokerRtt.remove({ client, broker });
        brokerUp.remove({ client, broker });
        brokerWaiting.remove({ client, broker });
      }
      brokersByClient.delete(client);
    },
  };
}
