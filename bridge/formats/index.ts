/**
 * The embedded formats: pick a converter by format name or by content type, and convert whole
 * records in both directions with it.
 */
import { errors, HttpError } from '../http/errors.js';
import { binaryConverter, isBase64 } from './binary.js';
import { jsonConverter } from './json.js';
import type { VerbatimRecords } from './json-verbatim.js';
import { textConverter } from './text.js';
import type {
  EmbeddedFormat,
  FormatConverter,
  HttpConsumerRecord,
  HttpHeader,
  HttpProducerRecord,
  KafkaHeader,
  KafkaMessage,
  KafkaRecord,
} from './types.js';

export * from './types.js';
export { binaryConverter, isBase64, jsonConverter, textConverter };

export const converters: Readonly<Record<EmbeddedFormat, FormatConverter>> = {
  json: jsonConverter,
  binary: binaryConverter,
  text: textConverter,
};

export function converterFor(format: EmbeddedFormat): FormatConverter {
  return converters[format];
}

/** Every produce content type, for the error that lists what is allowed. */
export const PRODUCE_CONTENT_TYPES: readonly string[] = [
  jsonConverter.contentType,
  binaryConverter.contentType,
  textConverter.contentType,
];

/** The media type without parameters, lower-cased (`Application/X; charset=utf-8` -> `application/x`). */
export function mediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const base = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return base === '' ? undefined : base;
}

/** The embedded format a content type names, or undefined when it names none. */
export function formatFromContentType(contentType: string | undefined): EmbeddedFormat | undefined {
  switch (mediaType(contentType)) {
    case jsonConverter.contentType:
      return 'json';
    case binaryConverter.contentType:
      return 'binary';
    case textConverter.contentType:
      return 'text';
    default:
      return undefined;
  }
}

function isValidUtf8(b: Buffer): boolean {
  // Buffer round trip is lossless exactly when the bytes are valid UTF-8.
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

/**
 * Base64 header values to bytes. node-rdkafka 3.6's produce() passes header values through a
 * JavaScript string (src/producer.cc: Nan::To<v8::String> + Utf8String), so bytes that are not
 * UTF-8 would reach Kafka altered. We refuse those with a 422 rather than store different bytes.
 */
const NO_HEADERS: readonly KafkaHeader[] = Object.freeze([]);

function headersToKafka(headers: readonly HttpHeader[] | undefined): readonly KafkaHeader[] {
  if (!headers) return NO_HEADERS;
  return headers.map((h) => {
    if (h.value === null) {
      throw errors.recordConversion(`Header '${h.key}': a null header value cannot be sent by this bridge`);
    }
    if (!isBase64(h.value)) {
      throw errors.recordConversion(`Header '${h.key}': the value is not valid base64`);
    }
    const value = Buffer.from(h.value, 'base64');
    if (!isValidUtf8(value)) {
      throw errors.recordConversion(
        `Header '${h.key}': the value is not valid UTF-8; this bridge (node-rdkafka) can only send UTF-8 header values`,
      );
    }
    return { key: h.key, value };
  });
}

/**
 * One HTTP record to Kafka bytes. `index` is the record's position in the request, named in
 * every error so the client knows which record to fix. `verbatim` (json format only) has the
 * key's and value's bytes where the request body already holds them in their stored form.
 */
export function toKafkaRecord(
  conv: FormatConverter,
  rec: HttpProducerRecord,
  index: number,
  verbatim?: VerbatimRecords,
): KafkaRecord {
  try {
    const key =
      rec.key === undefined
        ? null
        : ((rec.key !== null ? verbatim?.key(index) : undefined) ?? conv.toBytes('key', rec.key));
    const value =
      (rec.value !== null ? verbatim?.value(index) : undefined) ?? conv.toBytes('value', rec.value);
    const headers = headersToKafka(rec.headers);
    let size = (key?.length ?? 0) + (value?.length ?? 0);
    for (const h of headers) size += Buffer.byteLength(h.key) + h.value.length;
    // One object shape for every record (no conditional spreads): the producer's loop stays monomorphic.
    return { key, value, headers, size, partition: rec.partition, timestamp: rec.timestamp };
  } catch (err) {
    if (err instanceof HttpError) throw new HttpError(err.status, `Record ${index}: ${err.message}`);
    throw err;
  }
}

function headersToHttp(headers: KafkaMessage['headers']): HttpHeader[] | undefined {
  if (!headers || headers.length === 0) return undefined;
  const out: HttpHeader[] = [];
  for (const h of headers) {
    for (const [key, v] of Object.entries(h)) {
      if (v === null || v === undefined) out.push({ key, value: null });
      else out.push({ key, value: (typeof v === 'string' ? Buffer.from(v, 'utf8') : v).toString('base64') });
    }
  }
  return out;
}

function keyBytes(key: KafkaMessage['key']): Buffer | null {
  if (key === null || key === undefined) return null;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

/** A consumed Kafka message to the poll response's record shape (`headers` only when present). */
export function toHttpRecord(conv: FormatConverter, msg: KafkaMessage): HttpConsumerRecord {
  const rec: HttpConsumerRecord = {
    topic: msg.topic,
    key: conv.fromBytes('key', keyBytes(msg.key)),
    value: conv.fromBytes('value', msg.value ?? null),
    partition: msg.partition,
    offset: msg.offset,
    timestamp: msg.timestamp ?? -1,
  };
  const headers = headersToHttp(msg.headers);
  if (headers) rec.headers = headers;
  return rec;
}
