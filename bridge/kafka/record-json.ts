/**
 * Consumed records as the JSON of a poll response, in each embedded format. A batch is written
 * once, as soon as it is taken from librdkafka, into one Buffer with each record's end offset, so
 * a poll only picks a byte range out of it (see PollBuffer).
 */
import type { EmbeddedFormat, HttpConsumerRecord, KafkaMessage } from '../formats/index.js';
import { binaryConverter, converterFor, toHttpRecord } from '../formats/index.js';
import { HttpError } from '../http/errors.js';

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

/**
 * `{"topic":<topic>,"key":` for the topic of the previous binary record, and that topic's UTF-8
 * bytes beyond its length (a batch is mostly one topic).
 */
const topicCache = { topic: '', prefix: '{"topic":"","key":', extra: 0 };

/**
 * A binary-format record is written in three pieces: the head (up to the value), the value's
 * base64 and the tail. The value, nearly all of a record, is then copied once, straight from the
 * string base64 encoding returns, and never concatenated into another string.
 */
function binaryHead(msg: KafkaMessage): string {
  if (msg.topic !== topicCache.topic) {
    topicCache.topic = msg.topic;
    topicCache.prefix = `{"topic":${JSON.stringify(msg.topic)},"key":`;
    topicCache.extra = Buffer.byteLength(msg.topic) - msg.topic.length;
  }
  const key = msg.key;
  if (key === null || key === undefined) return `${topicCache.prefix}null,"value":`;
  return `${topicCache.prefix}"${(typeof key === 'string' ? Buffer.from(key, 'utf8') : key).toString('base64')}","value":`;
}

function binaryValue(msg: KafkaMessage): string | null {
  return msg.value === null || msg.value === undefined ? null : msg.value.toString('base64');
}

function binaryTail(msg: KafkaMessage): string {
  let headers = '';
  if (msg.headers && msg.headers.length > 0) {
    const hs: string[] = [];
    for (const h of msg.headers) {
      for (const [key, v] of Object.entries(h))
        hs.push(`{"key":${JSON.stringify(key)},"value":${base64Json(v)}}`);
    }
    headers = `,"headers":[${hs.join(',')}]`;
  }
  return `,"partition":${msg.partition},"offset":${msg.offset},"timestamp":${msg.timestamp ?? -1}${headers}}`;
}

/** UTF-8 bytes of a tail: only header keys can be other than ASCII. */
function tailBytes(msg: KafkaMessage, tail: string): number {
  return msg.headers && msg.headers.length > 0 ? Buffer.byteLength(tail) : tail.length;
}

/** A json- or text-format record as JSON text, through its converter, and its size in bytes. */
function convertedRecord(format: 'json' | 'text', msg: KafkaMessage): { text: string; bytes: number } {
  const text = JSON.stringify(format === 'json' ? toJsonFormatRecord(msg) : toTextFormatRecord(msg));
  return { text, bytes: Buffer.byteLength(text) };
}

/** A batch of records as `r0,r1,...,rn` (UTF-8) and where each record ends in it. */
export interface SerializedBatch {
  readonly bytes: Buffer;
  /** ends[i]: the offset just past record i; record i starts at 0 (i = 0) or at ends[i - 1] + 1, after the comma. */
  readonly ends: Uint32Array;
}

/** Writes `text` at `at` (its UTF-8 size is `bytes`): a plain copy when it is all ASCII. */
function put(buf: Buffer, text: string, at: number, bytes: number): number {
  return at + buf.write(text, at, bytes, bytes === text.length ? 'latin1' : 'utf8');
}

/**
 * Serializes `messages` into one Buffer of the exact size, records separated by commas. The binary
 * format, the one a throughput client uses, is written directly (the same text as JSON.stringify
 * of the converter's record, checked by the unit tests) because building and re-scanning an object
 * per record was the largest cost of a poll; the other formats go through their converter. Pieces
 * that are all ASCII (their UTF-8 size equals their length; every base64 value) are copied as
 * latin1, a plain memory copy; any other goes through the UTF-8 encoder.
 */
export function serializeBatch(format: EmbeddedFormat, messages: readonly KafkaMessage[]): SerializedBatch {
  const n = messages.length;
  const ends = new Uint32Array(n);
  let total = n > 0 ? n - 1 : 0;
  if (format === 'binary') {
    const heads = new Array<string>(n);
    const headSizes = new Array<number>(n);
    const values = new Array<string | null>(n);
    const tails = new Array<string>(n);
    const tailSizes = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const msg = messages[i]!;
      const head = binaryHead(msg);
      const value = binaryValue(msg);
      const tail = binaryTail(msg);
      heads[i] = head;
      headSizes[i] = head.length + topicCache.extra;
      values[i] = value;
      tails[i] = tail;
      tailSizes[i] = tailBytes(msg, tail);
      total += headSizes[i]! + (value === null ? 4 : value.length + 2) + tailSizes[i]!;
    }
    const buf = Buffer.allocUnsafe(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0) buf[at++] = 0x2c; // ,
      at = put(buf, heads[i]!, at, headSizes[i]!);
      const value = values[i]!;
      if (value === null) {
        at += buf.write('null', at, 4, 'latin1');
      } else {
        buf[at++] = 0x22; // "
        at += buf.write(value, at, value.length, 'latin1');
        buf[at++] = 0x22;
      }
      at = put(buf, tails[i]!, at, tailSizes[i]!);
      ends[i] = at;
    }
    if (at !== total) throw new Error(`serialized batch is ${at} bytes, ${total} were counted`);
    return { bytes: buf, ends };
  }
  const texts = new Array<string>(n);
  const sizes = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const { text, bytes } = convertedRecord(format, messages[i]!);
    texts[i] = text;
    sizes[i] = bytes;
    total += bytes;
  }
  const buf = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) buf[at++] = 0x2c; // ,
    at = put(buf, texts[i]!, at, sizes[i]!);
    ends[i] = at;
  }
  if (at !== total) throw new Error(`serialized batch is ${at} bytes, ${total} were counted`);
  return { bytes: buf, ends };
}
