/**
 * Shapes shared by the embedded-format converters: a record as the HTTP API carries it, and the
 * same record as Kafka bytes. One converter per embedded format (json, binary, text) maps
 * between them, exactly as the Strimzi bridge's `Http{Json,Binary,Text}MessageConverter`.
 */

export type EmbeddedFormat = 'json' | 'binary' | 'text';

export const EMBEDDED_FORMATS: readonly EmbeddedFormat[] = ['json', 'binary', 'text'];

/** A header in the HTTP API: the value is base64 (null for a Kafka header with no value). */
export interface HttpHeader {
  key: string;
  value: string | null;
}

/** One record of a produce request body, after schema validation. */
export interface HttpProducerRecord {
  key?: unknown;
  value: unknown;
  partition?: number;
  timestamp?: number;
  headers?: HttpHeader[];
}

export interface KafkaHeader {
  readonly key: string;
  readonly value: Buffer;
}

/** A record ready for the producer: bytes only. A null key or value is sent as Kafka null. */
export interface KafkaRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Explicit partition; undefined lets the partitioner (murmur2 of the key) choose. */
  readonly partition?: number | undefined;
  /** Milliseconds since the epoch; undefined means "now" (set by the client). */
  readonly timestamp?: number | undefined;
  readonly headers: readonly KafkaHeader[];
  /** key + value + header bytes, for the produced-bytes metric. */
  readonly size: number;
}

/** A message as node-rdkafka's consumer hands it over (the fields the bridge reads). */
export interface KafkaMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key?: Buffer | string | null;
  readonly value: Buffer | null;
  readonly timestamp?: number;
  /** node-rdkafka: one single-key object per header, in order. */
  readonly headers?: ReadonlyArray<Readonly<Record<string, Buffer | string | null | undefined>>>;
}

/** A record of a poll response (`ConsumerRecord` in the contract). */
export interface HttpConsumerRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
  timestamp: number;
  headers?: HttpHeader[];
}

/** Which part of a record a value is, for error messages. */
export type RecordField = 'key' | 'value';

export interface FormatConverter {
  readonly format: EmbeddedFormat;
  /** `application/vnd.kafka.<format>.v2+json`: request body type for produce, Accept for poll. */
  readonly contentType: string;
  /**
   * A key or value from the HTTP body to Kafka bytes. Throws an HttpError 422 when this
   * format cannot carry it (e.g. a number in text format, invalid base64 in binary format).
   * `null` maps to a Kafka null (a tombstone for a value).
   */
  toBytes(field: RecordField, value: unknown): Buffer | null;
  /**
   * Kafka bytes to the value shown in the HTTP response. A Kafka null is JSON null in every
   * format. Throws an HttpError 406 when the bytes cannot be decoded (json format only).
   */
  fromBytes(field: RecordField, bytes: Buffer | null): unknown;
}
