/**
 * librdkafka errors -> entries of the HTTP error catalogue. Every Kafka failure the bridge
 * answers goes through `kafkaToHttp`, so an ACL denial is always a 403 naming the operation and
 * resource, and an unreachable cluster is always a 503 naming the bootstrap address.
 */
import { type AclOperation, type AclResourceType, errors, type HttpError } from '../http/errors.js';

/** librdkafka error codes the bridge distinguishes (node-rdkafka `CODES.ERRORS`). */
export const RD = {
  UNKNOWN_TOPIC_OR_PART: 3,
  MSG_SIZE_TOO_LARGE: 10,
  TOPIC_EXCEPTION: 17,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  POLICY_VIOLATION: 44,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SASL_AUTHENTICATION_FAILED: 58,
  DESTROY: -197,
  TRANSPORT: -195,
  RESOLVE: -193,
  MSG_TIMED_OUT: -192,
  UNKNOWN_PARTITION: -190,
  UNKNOWN_TOPIC: -188,
  ALL_BROKERS_DOWN: -187,
  TIMED_OUT: -185,
  QUEUE_FULL: -184,
  SSL: -181,
  STATE: -172,
  AUTHENTICATION: -169,
  PURGE_QUEUE: -152,
  PURGE_INFLIGHT: -151,
} as const;

// node-rdkafka hands delivery-report errors over as text only (src/callbacks.cc builds an Error
// from errstr()), and LibrdKafkaError lower-cases it and drops the "Broker: "/"Local: " origin.
// These are librdkafka's rd_kafka_err2str texts (src/rdkafka.c _ERR_DESC) for the codes we map.
const BY_TEXT: ReadonlyMap<string, number> = new Map([
  ['topic authorization failed', RD.TOPIC_AUTHORIZATION_FAILED],
  ['group authorization failed', RD.GROUP_AUTHORIZATION_FAILED],
  ['cluster authorization failed', RD.CLUSTER_AUTHORIZATION_FAILED],
  ['transactional id authorization failed', RD.TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
  ['unknown topic or partition', RD.UNKNOWN_TOPIC_OR_PART],
  ['unknown partition', RD.UNKNOWN_PARTITION],
  ['unknown topic', RD.UNKNOWN_TOPIC],
  ['message timed out', RD.MSG_TIMED_OUT],
  ['all broker connections are down', RD.ALL_BROKERS_DOWN],
  ['message size too large', RD.MSG_SIZE_TOO_LARGE],
  ['purged in queue', RD.PURGE_QUEUE],
  ['purged in flight', RD.PURGE_INFLIGHT],
  ['timed out', RD.TIMED_OUT],
]);

/** The librdkafka code of an error from node-rdkafka (numeric code, or recovered from its text). */
export function rdkafkaCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'number' && e.code !== -1) return e.code;
  if (typeof e.message === 'string') {
    const text = e.message.toLowerCase().replace(/^(broker|local): /, '');
    return BY_TEXT.get(text);
  }
  return undefined;
}

export function rdkafkaMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** What the bridge was doing when Kafka failed: names the ACL and the resource in errors. */
export interface KafkaOperation {
  readonly operation: AclOperation;
  readonly resourceType: AclResourceType;
  readonly resource: string;
  /** For partition-level operations. */
  readonly partition?: number;
  readonly bootstrapServers: string;
}

export function kafkaToHttp(err: unknown, op: KafkaOperation): HttpError {
  const code = rdkafkaCode(err);
  const msg = rdkafkaMessage(err);
  switch (code) {
    case RD.TOPIC_AUTHORIZATION_FAILED:
      return errors.notAuthorized(op.operation, 'topic', op.resourceType === 'topic' ? op.resource : msg);
    case RD.GROUP_AUTHORIZATION_FAILED:
      return errors.notAuthorized(op.operation, 'group', op.resourceType === 'group' ? op.resource : msg);
    case RD.CLUSTER_AUTHORIZATION_FAILED:
      return errors.notAuthorized(op.operation, 'cluster', 'kafka-cluster');
    case RD.TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return errors.notAuthorized(op.operation, 'transactional id', op.resource);
    case RD.UNKNOWN_TOPIC_OR_PART:
    case RD.UNKNOWN_TOPIC:
      return op.partition !== undefined && code === RD.UNKNOWN_TOPIC_OR_PART
        ? errors.partitionNotFound(op.resource, op.partition)
        : errors.topicNotFound(op.resource);
    case RD.UNKNOWN_PARTITION:
      return errors.partitionNotFound(op.resource, op.partition ?? -1);
    case RD.TRANSPORT:
    case RD.RESOLVE:
    case RD.ALL_BROKERS_DOWN:
    case RD.SSL:
    case RD.AUTHENTICATION:
    case RD.SASL_AUTHENTICATION_FAILED:
    case RD.TIMED_OUT:
    case RD.STATE:
    case RD.DESTROY:
      return errors.kafkaUnreachable(op.bootstrapServers, msg);
    case RD.MSG_TIMED_OUT:
      return errors.kafkaUnreachable(
        op.bootstrapServers,
        'the record was not acknowledged within message.timeout.ms',
      );
    case RD.QUEUE_FULL:
      return errors.producerOverloaded();
    case RD.PURGE_QUEUE:
    case RD.PURGE_INFLIGHT:
      return errors.shuttingDown();
    case RD.TOPIC_ALREADY_EXISTS:
      return errors.topicAlreadyExists(op.resource);
    default:
      // As the anchor: any other Kafka error is a 500 with Kafka's message.
      return errors.kafka(msg);
  }
}
