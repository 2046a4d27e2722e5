import { describe, expect, test } from '@jest/globals';
import { createMetrics } from '../../bridge/metrics.js';

const stats = JSON.stringify({
  msg_cnt: 7,
  msg_size: 7000,
  brokers: {
    GroupCoordinator: { nodeid: -1, state: 'UP', rtt: { avg: 0 } },
    '127.0.0.1:9092/1': { nodeid: 1, state: 'UP', rtt: { avg: 2500 }, outbuf_msg_cnt: 1, waitresp_cnt: 2 },
  },
});

describe('metrics', () => {
  test('librdkafka statistics become queue depth and broker rtt gauges', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordLibrdkafkaStats('producer', stats);
    const text = await m.registry.metrics();
    expect(text).toContain('strimzi_bridge_kafka_client_queue_messages{client="producer"} 7');
    expect(text).toContain('strimzi_bridge_kafka_client_queue_bytes{client="producer"} 7000');
    expect(text).toContain(
      'strimzi_bridge_kafka_broker_rtt_avg_seconds{client="producer",broker="1"} 0.0025',
    );
    expect(text).toContain('strimzi_bridge_kafka_broker_connected{client="producer",broker="1"} 1');
    expect(text).toContain('strimzi_bridge_kafka_broker_waiting_requests{client="producer",broker="1"} 3');
    expect(text).not.toContain('broker="-1"');
  });
  test('a forgotten client leaves no series behind; torn stats are ignored', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordLibrdkafkaStats('c1', stats);
    m.recordLibrdkafkaStats('c1', '{not json');
    m.forgetClient('c1');
    expect(await m.registry.metrics()).not.toContain('client="c1"');
  });
  test('two bridges in one process keep separate registries', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.producedRecords.inc({ topic: 't' }, 3);
    expect(await a.registry.metrics()).toContain('strimzi_bridge_producer_records_total{topic="t"} 3');
    expect(await b.registry.metrics()).not.toContain('topic="t"');
  });
});
