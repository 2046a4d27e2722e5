/**
 * Records taken from librdkafka and not yet returned over HTTP, in arrival order, one entry per
 * consume batch. Each batch is serialized once, soon after it arrives (prepare()), into one Buffer
 * that knows where each record ends: a poll then only picks the byte ranges that fit `max_bytes`
 * and answers with them as they are (`[`, ranges joined by commas, `]`), so a poll's own work does
 * not grow with its size, and the serializing happens while the client reads the previous answer.
 * Only the few numbers a poll needs afterwards (topic, partition, offset, size) are kept per
 * record: node-rdkafka's message objects and their value buffers die young, which is what keeps
 * the garbage collector's work small while a batch waits for its poll.
 *
 * A record that does not fit stays, with everything after it, for the next poll: nothing is ever
 * skipped, whatever `max_bytes` says.
 */
import type { Message } from 'node-rdkafka';
import type { EmbeddedFormat } from '../formats/index.js';
import { serializeBatch } from './record-json.js';

const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');
const COMMA = Buffer.from(',');

interface Batch {
  /** The records as JSON, `r0,r1,...`; empty while `unserialized` holds them. */
  bytes: Buffer;
  /** ends[i]: just past record i in `bytes`; record i starts at 0 (i = 0) or ends[i - 1] + 1. */
  ends: Uint32Array;
  topics: string[];
  partitions: Int32Array;
  offsets: Float64Array;
  /** Key + value bytes of each record (the consumed-bytes metric). */
  sizes: Float64Array;
  /** Records whose serialization failed on arrival: take() tries again and reports the error. */
  unserialized: Message[] | undefined;
  /** The first record not yet returned. */
  next: number;
}

/** Per partition read, the offset after the last record taken. */
export interface Position {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** What a poll takes: the response body in parts (no record copied) and what it holds. */
export interface Taken {
  readonly parts: Buffer[];
  /** Total bytes of `parts`. */
  readonly length: number;
  readonly count: number;
  readonly positions: Position[];
  /** Per topic, records taken and their key + value bytes. */
  readonly perTopic: Map<string, { records: number; bytes: number }>;
}

/** The next record alone is larger than `max_bytes` allows (it stays in the buffer). */
export class RecordTooLarge extends Error {
  constructor(
    readonly record: Position,
    /** The body size that record needs on its own, brackets included. */
    readonly needs: number,
  ) {
    super(`record of ${needs} bytes`);
  }
}

const EMPTY = Buffer.alloc(0);

function metaOf(messages: readonly Message[]): Omit<Batch, 'bytes' | 'ends' | 'unserialized' | 'next'> {
  const n = messages.length;
  const topics = new Array<string>(n);
  const partitions = new Int32Array(n);
  const offsets = new Float64Array(n);
  const sizes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    topics[i] = m.topic;
    partitions[i] = m.partition;
    offsets[i] = m.offset;
    sizes[i] = (m.value?.length ?? 0) + (m.key ? Buffer.byteLength(m.key) : 0);
  }
  return { topics, partitions, offsets, sizes };
}

export class PollBuffer {
  private batches: Batch[] = [];
  private count = 0;

  constructor(private readonly format: EmbeddedFormat) {}

  /** Records held. */
  get size(): number {
    return this.count;
  }

  /** Adds a batch: prepare() serializes it, or the poll that reaches it first. */
  push(messages: Message[]): void {
    if (messages.length === 0) return;
    this.batches.push({
      bytes: EMPTY,
      ends: new Uint32Array(0),
      ...metaOf(messages),
      unserialized: messages,
      next: 0,
    });
    this.count += messages.length;
  }

  /** Serializes the batches added since. One that fails stays as messages: the poll that reaches it reports the error. */
  prepare(): void {
    for (const batch of this.batches) {
      if (!batch.unserialized) continue;
      try {
        this.serialize(batch);
      } catch {
        return;
      }
    }
  }

  private serialize(batch: Batch): void {
    const json = serializeBatch(this.format, batch.unserialized!);
    batch.bytes = json.bytes;
    batch.ends = json.ends;
    batch.unserialized = undefined;
  }

  /**
   * Takes records in order, at most `maxRecords`, while the body (`[r0,r1,...]`) stays within
   * `maxBytes`. Throws RecordTooLarge when not even the first fits, and the serializer's error
   * when the first record cannot be serialized; either way the buffer is left as it was.
   */
  take(maxBytes: number, maxRecords: number): Taken {
    const parts: Buffer[] = [OPEN];
    const positions: Position[] = [];
    const perTopic = new Map<string, { records: number; bytes: number }>();
    let length = 2;
    let count = 0;
    for (const batch of this.batches) {
      if (batch.unserialized) {
        try {
          this.serialize(batch);
        } catch (err) {
          if (count === 0) throw err;
          break;
        }
      }
      const { bytes, ends } = batch;
      const total = Math.min(batch.topics.length, batch.next + maxRecords - count);
      const from = batch.next;
      const start = from === 0 ? 0 : ends[from - 1]! + 1;
      let to = from;
      let recordStart = start;
      while (to < total) {
        const add = ends[to]! - recordStart + (count > 0 || to > from ? 1 : 0);
        if (length + add > maxBytes) break;
        length += add;
        recordStart = ends[to]! + 1;
        to++;
      }
      if (to > from) {
        if (count > 0) parts.push(COMMA);
        parts.push(bytes.subarray(start, ends[to - 1]));
        this.account(batch, from, to, positions, perTopic);
        count += to - from;
        batch.next = to;
      }
      if (count === maxRecords) break;
      if (to < total) {
        if (count === 0) {
          const at = {
            topic: batch.topics[to]!,
            partition: batch.partitions[to]!,
            offset: batch.offsets[to]!,
          };
          throw new RecordTooLarge(at, 2 + ends[to]! - recordStart);
        }
        break;
      }
    }
    while (this.batches.length > 0 && this.batches[0]!.next === this.batches[0]!.topics.length) {
      this.batches.shift();
    }
    this.count -= count;
    parts.push(CLOSE);
    return { parts, length, count, positions, perTopic };
  }

  /** Positions and metrics of records [from, to) of a batch, which come in runs of one partition. */
  private account(
    batch: Batch,
    from: number,
    to: number,
    positions: Position[],
    perTopic: Map<string, { records: number; bytes: number }>,
  ): void {
    const { topics, partitions, offsets, sizes } = batch;
    let i = from;
    while (i < to) {
      const topic = topics[i]!;
      const partition = partitions[i]!;
      let stats = perTopic.get(topic);
      if (stats === undefined) {
        stats = { records: 0, bytes: 0 };
        perTopic.set(topic, stats);
      }
      let j = i;
      while (j < to && partitions[j] === partition && topics[j] === topic) {
        stats.bytes += sizes[j]!;
        j++;
      }
      stats.records += j - i;
      positions.push({ topic, partition, offset: offsets[j - 1]! + 1 });
      i = j;
    }
  }

  /** Drops the records for which `gone` is true (partitions revoked, or sought elsewhere). */
  drop(gone: (topic: string, partition: number) => boolean): void {
    const kept: Batch[] = [];
    let count = 0;
    for (const batch of this.batches) {
      const keep: number[] = [];
      for (let i = batch.next; i < batch.topics.length; i++) {
        if (!gone(batch.topics[i]!, batch.partitions[i]!)) keep.push(i);
      }
      count += keep.length;
      if (keep.length === batch.topics.length - batch.next) kept.push(batch);
      else if (keep.length > 0) kept.push(this.subset(batch, keep));
    }
    this.batches = kept;
    this.count = count;
  }

  /** A batch of some records of another, their JSON copied as it is. */
  private subset(batch: Batch, keep: readonly number[]): Batch {
    const pick = <T>(all: ArrayLike<T>) => keep.map((i) => all[i]!);
    if (batch.unserialized) {
      const messages = pick(batch.unserialized);
      return { ...batch, ...metaOf(messages), unserialized: messages, next: 0 };
    }
    const pieces: Buffer[] = [];
    const ends = new Uint32Array(keep.length);
    let at = 0;
    keep.forEach((i, k) => {
      const start = i === 0 ? 0 : batch.ends[i - 1]! + 1;
      if (k > 0) {
        pieces.push(COMMA);
        at++;
      }
      pieces.push(batch.bytes.subarray(start, batch.ends[i]));
      at += batch.ends[i]! - start;
      ends[k] = at;
    });
    return {
      bytes: Buffer.concat(pieces, at),
      ends,
      topics: pick(batch.topics),
      partitions: Int32Array.from(pick(batch.partitions)),
      offsets: Float64Array.from(pick(batch.offsets)),
      sizes: Float64Array.from(pick(batch.sizes)),
      unserialized: undefined,
      next: 0,
    };
  }

  clear(): void {
    this.batches = [];
    this.count = 0;
  }
}
