import { describe, expect, test } from '@jest/globals';
import { parseTopicErrorLog, toPartitionInfo } from '../../bridge/kafka/admin.js';
import { kafkaToHttp, RD, rdkafkaCode } from '../../bridge/kafka/errors.js';
import { splitTopicSettings } from '../../bridge/kafka/producer.js';

const op = {
  operation: 'Write',
  resourceType: 'topic',
  resource: 'orders',
  bootstrapServers: 'kafka:9093',
} as const;

describe('librdkafka errors to the catalogue', () => {
  test('an ACL denial is a 403 naming the operation and resource', () => {
    expect(kafkaToHttp({ code: RD.TOPIC_AUTHORIZATION_FAILED, message: 'x' }, op).toBody()).toEqual({
      error_code: 403,
      message: 'Not authorized to Write on topic orders',
    });
    const e = kafkaToHttp(
      { code: RD.TOPIC_AUTHORIZATION_FAILED },
      { ...op, operation: 'DescribeConfigs', resource: 'my-topic' },
    );
    expect(e.message).toBe('Not authorized to DescribeConfigs on topic my-topic');
  });
  test('delivery-report errors arrive as text only and are recognised by it', () => {
    // node-rdkafka's LibrdKafkaError for a delivery report: code -1, lower-cased message.
    expect(rdkafkaCode({ code: -1, message: 'topic authorization failed' })).toBe(
      RD.TOPIC_AUTHORIZATION_FAILED,
    );
    expect(rdkafkaCode({ code: -1, message: 'Local: Unknown partition' })).toBe(RD.UNKNOWN_PARTITION);
    expect(rdkafkaCode({ code: -1, message: 'something new' })).toBeUndefined();
  });
  test('unknown topic/partition are 404; an unreachable cluster is 503 naming the bootstrap address', () => {
    expect(kafkaToHttp({ code: RD.UNKNOWN_TOPIC }, op).status).toBe(404);
    expect(kafkaToHttp({ code: RD.UNKNOWN_PARTITION }, { ...op, partition: 9 }).message).toContain(
      'partition 9',
    );
    const down = kafkaToHttp({ code: RD.ALL_BROKERS_DOWN, message: 'all broker connections are down' }, op);
    expect(down.status).toBe(503);
    expect(down.message).toBe('Kafka is not reachable at kafka:9093: all broker connections are down');
  });
  test('anything else is a 500 with Kafka message, as the anchor', () => {
    expect(
      kafkaToHttp(
        { code: RD.INVALID_REPLICATION_FACTOR, message: 'Broker: Invalid replication factor' },
        op,
      ).toBody(),
    ).toEqual({
      error_code: 500,
      message: 'Broker: Invalid replication factor',
    });
  });
});

describe('metadata', () => {
  test('the per-topic error is read from librdkafka debug lines', () => {
    expect(
      parseTopicErrorLog(
        '[thrd:main]: Error in metadata reply for topic secret (PartCnt 0): Broker: Topic authorization failed',
      ),
    ).toEqual({ topic: 'secret', error: 'Broker: Topic authorization failed' });
    expect(parseTopicErrorLog('  Topic ghost with 0 partitions: Broker: Unknown topic or partition')).toEqual(
      {
        topic: 'ghost',
        error: 'Broker: Unknown topic or partition',
      },
    );
    expect(parseTopicErrorLog('  Topic fine with 3 partitions')).toBeUndefined();
  });
  test('partition metadata in the contract shape', () => {
    expect(toPartitionInfo({ id: 2, leader: 1, replicas: [1, 2, 3], isrs: [1, 3] })).toEqual({
      partition: 2,
      leader: 1,
      replicas: [
        { broker: 1, leader: true, in_sync: true },
        { broker: 2, leader: false, in_sync: false },
        { broker: 3, leader: false, in_sync: true },
      ],
    });
  });
});

describe('producer settings', () => {
  test('topic-level settings go to the topic config (node-rdkafka replaces default_topic_conf)', () => {
    expect(
      splitTopicSettings({
        'bootstrap.servers': 'b',
        acks: '1',
        partitioner: 'murmur2_random',
        'linger.ms': '5',
      }),
    ).toEqual({
      global: { 'bootstrap.servers': 'b', 'linger.ms': '5' },
      topic: { acks: '1', partitioner: 'murmur2_random' },
    });
  });
});
