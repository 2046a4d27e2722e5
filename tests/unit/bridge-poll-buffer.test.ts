/**
 * What a poll answers, byte for byte: batches serialized on arrival and cut by max_bytes and
 * max.poll.records must give exactly the JSON of the records' converter form, in all three
 * formats, and never skip or repeat a record.
 */
import { describe, expect, test } from '@jest/globals';
import type { Message } from 'node-rdkafka';
import { binaryConverter, type EmbeddedFormat, toHttpRecord } from '../../bridge/formats/index.js';
import { PollBuffer, RecordTooLarge, type Taken } from '../../bridge/kafka/poll-buffer.js';
import { serializeBatch, toJsonFormatRecord, toTextFormatRecord } from '../../bridge/kafka/record-json.js';

function msg(partial: Partial<Message> & { offset: number }): Message {
  return { topic: 't', partition: 0, value: null, size: 0, timestamp: 1, ...partial } as Message;
}

/** Records with every shape a poll meets: null and empty keys and values, headers, non-ASCII text and bytes. */
const shapes: Message[] = [
  msg({ offset: 0, key: Buffer.from('k0'), value: Buffer.from('{"a":1}') }),
  msg({ offset: 1, key: null, value: null }),
  msg({ offset: 2, key: Buffer.alloc(0), value: Buffer.alloc(0) }),
  msg({ offset: 3, value: Buffer.from([0, 255, 128, 10]), key: Buffer.from([0xc3]) }),
  msg({
    offset: 4,
    value: Buffer.from('"naïve ✓"'),
    headers: [{ clé: Buffer.from('v') }, { h: Buffer.from([0xff]) }],
  }),
  msg({ topic: 'tö', partition: 2, offset: 9007199254740991, value: Buffer.from('7'), timestamp: undefined }),
  msg({ offset: 5, value: Buffer.alloc(1024, 120), key: Buffer.from('k5'), headers: [{ s: 'str' }] }),
];

/** What each format's record is, independently of the serializer: the converter's object as JSON. */
const expected: Record<EmbeddedFormat, (m: Message) => string> = {
  binary: (m) => JSON.stringify(toHttpRecord(binaryConverter, m)),
  json: (m) => JSON.stringify(toJsonFormatRecord(m)),
  text: (m) => JSON.stringify(toTextFormatRecord(m)),
};

const formats: EmbeddedFormat[] = ['binary', 'json', 'text'];

/** The body of a poll as one Buffer. */
const bodyOf = (t: Taken) => Buffer.concat(t.parts);

describe('serializeBatch', () => {
  test.each(formats)(
    '%s: records joined by commas, each exactly its JSON, ends where each stops',
    (format) => {
      const { bytes, ends } = serializeBatch(format, shapes);
      expect(bytes.toString('utf8')).toBe(shapes.map(expected[format]).join(','));
      let start = 0;
      shapes.forEach((m, i) => {
        expect(bytes.subarray(start, ends[i]).toString('utf8')).toBe(expected[format](m));
        start = ends[i]! + 1;
      });
      expect(ends[shapes.length - 1]).toBe(bytes.length);
    },
  );
  test('the binary record decodes back to the very key, value and header bytes', () => {
    const { bytes } = serializeBatch('binary', shapes);
    const recs = JSON.parse(`[${bytes.toString('utf8')}]`) as Array<{
      key: string | null;
      value: string | null;
      headers?: Array<{ key: string; value: string }>;
    }>;
    recs.forEach((r, i) => {
      const m = shapes[i]!;
      expect(r.key === null ? null : Buffer.from(r.key, 'base64')).toEqual(m.key ?? null);
      expect(r.value === null ? null : Buffer.from(r.value, 'base64')).toEqual(m.value);
    });
    expect(Buffer.from(recs[4]!.headers![1]!.value, 'base64')).toEqual(Buffer.from([0xff]));
  });
  test("a batch of one record is that record's JSON, its end its UTF-8 size", () => {
    for (const format of formats) {
      for (const m of shapes) {
        const { bytes, ends } = serializeBatch(format, [m]);
        expect(bytes.toString('utf8')).toBe(expected[format](m));
        expect(ends[0]).toBe(Buffer.byteLength(expected[format](m)));
      }
    }
  });
});

describe('PollBuffer', () => {
  const size = (format: EmbeddedFormat, m: Message) => Buffer.byteLength(expected[format](m));

  test.each(formats)(
    '%s: polls of any max_bytes return every record once, in order, byte-exact',
    (format) => {
      const largest = 2 + Math.max(...shapes.map((m) => size(format, m)));
      for (const maxBytes of [largest, largest + 40, 4096, 1 << 20]) {
        const buf = new PollBuffer(format);
        buf.push(shapes.slice(0, 3));
        // Serialized ahead, or by the poll that reaches it: the same bytes either way.
        if (maxBytes === largest) buf.prepare();
        buf.push(shapes.slice(3));
        const got: unknown[] = [];
        while (buf.size > 0) {
          const t = buf.take(maxBytes, 500);
          const body = bodyOf(t);
          expect(body.length).toBe(t.length);
          expect(t.length).toBeLessThanOrEqual(maxBytes);
          const recs = JSON.parse(body.toString('utf8')) as unknown[];
          expect(recs.length).toBe(t.count);
          got.push(...recs);
        }
        expect(got).toEqual(shapes.map((m) => JSON.parse(expected[format](m))));
      }
    },
  );

  test('a record exactly at max_bytes comes; one byte less and it stays for a larger poll', () => {
    const m = shapes[6]!;
    const needs = 2 + size('binary', m);
    const buf = new PollBuffer('binary');
    buf.push([m]);
    let err: unknown;
    try {
      buf.take(needs - 1, 500);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RecordTooLarge);
    expect(err).toMatchObject({ needs, record: { topic: 't', partition: 0, offset: 5 } });
    expect(buf.size).toBe(1);
    const t = buf.take(needs, 500);
    expect(bodyOf(t).toString('utf8')).toBe(`[${expected.binary(m)}]`);
    expect(buf.size).toBe(0);
  });

  test('two records exactly at max_bytes (comma counted) across batches; the next one waits', () => {
    const [a, b, c] = [shapes[0]!, shapes[6]!, shapes[2]!];
    const buf = new PollBuffer('binary');
    buf.push([a]);
    buf.push([b, c]);
    const exact = 2 + size('binary', a) + 1 + size('binary', b);
    const t = buf.take(exact, 500);
    expect(t.length).toBe(exact);
    expect(bodyOf(t).toString('utf8')).toBe(`[${expected.binary(a)},${expected.binary(b)}]`);
    expect(buf.take(exact, 500).count).toBe(1);
  });

  test('max.poll.records caps a poll; positions and metrics cover exactly what was taken', () => {
    const buf = new PollBuffer('binary');
    const recs = [0, 1, 2, 3, 4].map((o) =>
      msg({ partition: o < 2 ? 0 : 1, offset: 10 + o, value: Buffer.from('xyz'), key: Buffer.from('k') }),
    );
    buf.push(recs.slice(0, 3));
    buf.push(recs.slice(3));
    const t = buf.take(1 << 20, 3);
    expect(t.count).toBe(3);
    expect(t.positions).toEqual([
      { topic: 't', partition: 0, offset: 12 },
      { topic: 't', partition: 1, offset: 13 },
    ]);
    expect(t.perTopic.get('t')).toEqual({ records: 3, bytes: 12 });
    const rest = buf.take(1 << 20, 3);
    expect(rest.positions).toEqual([{ topic: 't', partition: 1, offset: 15 }]);
    expect(JSON.parse(bodyOf(rest).toString()).map((r: { offset: number }) => r.offset)).toEqual([13, 14]);
  });

  test('dropping a partition keeps the others byte-exact, including a batch already half returned', () => {
    const recs = [0, 1, 2, 3, 4, 5].map((o) =>
      msg({ partition: o % 2, offset: o, value: Buffer.from(`v${o}`) }),
    );
    const buf = new PollBuffer('text');
    buf.push(recs);
    expect(buf.take(1 << 20, 2).count).toBe(2);
    buf.drop((_topic, partition) => partition === 1);
    expect(buf.size).toBe(2);
    const t = buf.take(1 << 20, 500);
    expect(bodyOf(t).toString('utf8')).toBe(`[${expected.text(recs[2]!)},${expected.text(recs[4]!)}]`);
  });

  test('a batch that cannot be serialized is neither lost nor skipped: the poll fails, later records wait', () => {
    const value = {
      length: 1,
      toString() {
        throw new Error('broken value');
      },
    };
    const bad = msg({ offset: 0, value: value as unknown as Buffer });
    const buf = new PollBuffer('binary');
    buf.push([bad]);
    buf.push([shapes[0]!]);
    buf.prepare();
    expect(buf.size).toBe(2);
    expect(() => buf.take(1 << 20, 500)).toThrow('broken value');
    expect(buf.size).toBe(2);
  });

  test('a batch that cannot be serialized after good ones stays: the good ones come, then the error', () => {
    const value = {
      length: 1,
      toString() {
        throw new Error('broken value');
      },
    };
    const buf = new PollBuffer('binary');
    buf.push([shapes[0]!]);
    buf.push([msg({ offset: 9, value: value as unknown as Buffer })]);
    buf.prepare();
    const t = buf.take(1 << 20, 500);
    expect(t.count).toBe(1);
    expect(buf.size).toBe(1);
    expect(() => buf.take(1 << 20, 500)).toThrow('broken value');
    expect(buf.size).toBe(1);
  });
});
