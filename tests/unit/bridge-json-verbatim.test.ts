import fc from 'fast-check';
import { jsonConverter, toKafkaRecord } from '../../bridge/formats/index.js';
import { verbatimRecords } from '../../bridge/formats/json-verbatim.js';

/** What the json format stores for a value: its compact JSON text (the re-serializing path). */
const stored = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

/** A tiny seeded PRNG, so one fast-check integer drives every rendering choice reproducibly. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * JSON text for `v` as a client might write it: usually compact, sometimes with whitespace,
 * escapes where none are needed, numbers in other forms or repeated object keys, all of which
 * JSON.parse accepts and re-serializing changes.
 */
function render(v: unknown, rnd: () => number, odd: number): string {
  const coin = () => rnd() < odd;
  const ws = () => (coin() ? [' ', '\n', '\t', '\r\n  '][Math.floor(rnd() * 4)]! : '');
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (Object.is(v, -0) && coin()) return '-0';
    if (Number.isInteger(v) && Math.abs(v) < 1e21 && coin())
      return rnd() < 0.5 ? `${v}.0` : v.toExponential();
    return JSON.stringify(v);
  }
  if (typeof v === 'string') {
    const text = JSON.stringify(v);
    if (v.length > 0 && coin()) {
      const i = Math.floor(rnd() * v.length);
      const u = `\\u${v.charCodeAt(i).toString(16).padStart(4, '0')}`;
      return JSON.stringify(v.slice(0, i)).slice(0, -1) + u + JSON.stringify(v.slice(i + 1)).slice(1);
    }
    return text;
  }
  if (Array.isArray(v)) return `[${ws()}${v.map((x) => render(x, rnd, odd) + ws()).join(`,${ws()}`)}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  const members = entries.map(([k, x]) => `${JSON.stringify(k)}${ws()}:${ws()}${render(x, rnd, odd)}`);
  if (entries.length > 0 && coin())
    members.push(`${JSON.stringify(entries[0]![0])}:${render(null, rnd, odd)}`);
  return `{${ws()}${members.join(`,${ws()}`)}${ws()}}`;
}

/** True when the compact text of `v` has no escape and no object key JSON.parse would reorder. */
function plainlyCompact(v: unknown): boolean {
  if (typeof v === 'string') return !JSON.stringify(v).includes('\\');
  if (Array.isArray(v)) return v.every(plainlyCompact);
  if (v !== null && typeof v === 'object')
    return Object.entries(v).every(([k, x]) => !/^\d/.test(k) && plainlyCompact(k) && plainlyCompact(x));
  return true;
}

const value = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });

describe('verbatimRecords: the request bytes of a json record, when they are what the json format stores', () => {
  it('offers only bytes equal to re-serializing the parsed value, for any JSON a client may send', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.option(value, { nil: undefined }), value }), { maxLength: 5 }),
        fc.integer(),
        fc.constantFrom(0, 0.1, 0.5),
        (recs, seed, odd) => {
          const rnd = prng(seed);
          const text = `{"records":[${recs
            .map(
              (r) =>
                `{${r.key !== undefined ? `"key":${render(r.key, rnd, odd)},` : ''}"value":${render(r.value, rnd, odd)}}`,
            )
            .join(',')}]}`;
          const parsed = JSON.parse(text) as { records: Array<{ key?: unknown; value: unknown }> };
          const v = verbatimRecords(Buffer.from(text, 'utf8'));
          expect(v).toBeDefined();
          expect(v!.count).toBe(recs.length);
          parsed.records.forEach((r, i) => {
            const val = v!.value(i);
            if (val) expect(val.equals(stored(r.value))).toBe(true);
            const key = v!.key(i);
            if (key) expect(key.equals(stored(r.key))).toBe(true);
            if (r.key === undefined) expect(key).toBeUndefined();
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('offers the bytes of every compactly written value without escapes', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 5 }), (values) => {
        const text = JSON.stringify({ records: values.map((x) => ({ key: 'k', value: x })) });
        const v = verbatimRecords(Buffer.from(text, 'utf8'));
        values.forEach((x, i) => {
          if (plainlyCompact(x)) expect(v?.value(i)?.toString('utf8')).toBe(JSON.stringify(x));
          expect(v?.key(i)?.toString('utf8')).toBe('"k"');
        });
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['the benchmark value', { id: 'bench', data: 'x'.repeat(1000) }],
    ['unicode text', { name: 'Zoë 🚀 ünïcödé', arr: ['é', '\u2028'] }],
    ['numbers in shortest form', [0, -5, 0.1, 1e21, 1.5e-7, 123456789]],
    ['literals and empties', { a: true, b: false, c: null, d: [], e: {} }],
    ['a key named __proto__', JSON.parse('{"__proto__":1,"x":2}')],
  ])('sends %s as the request bytes', (_name, x) => {
    const text = JSON.stringify({ records: [{ value: x }] });
    expect(verbatimRecords(Buffer.from(text))?.value(0)?.toString('utf8')).toBe(JSON.stringify(x));
  });

  it.each([
    ['whitespace inside the value', '{"a": 1}'],
    ['an escape in a string', '"caf\\u00e9"'],
    ['an escaped slash', '"a\\/b"'],
    ['a number not in shortest form', '1.0'],
    ['an exponent', '1e2'],
    ['negative zero', '-0'],
    ['an integer beyond 2^53', '12345678901234567890'],
    ['a repeated key', '{"a":1,"a":2}'],
    ['an integer-like key, which JSON.parse moves first', '{"b":1,"2":2}'],
  ])('re-serializes a value with %s', (_name, valueText) => {
    const text = `{"records":[{"value":${valueText}}]}`;
    const v = verbatimRecords(Buffer.from(text));
    expect(v?.value(0)).toBeUndefined();
    // ...and the record still goes out in the stored form.
    const rec = JSON.parse(text).records[0];
    expect(toKafkaRecord(jsonConverter, rec, 0, v).value?.equals(stored(rec.value))).toBe(true);
  });

  it('trusts no range of a record whose member names hold escapes (one might spell "value")', () => {
    const text = '{"records":[{"value":1,"val\\u0075e":2}]}';
    const v = verbatimRecords(Buffer.from(text));
    expect(v?.value(0)).toBeUndefined();
    expect(toKafkaRecord(jsonConverter, JSON.parse(text).records[0], 0, v).value?.toString()).toBe('2');
  });

  it('takes no range from a record that repeats its value member (JSON.parse keeps the last)', () => {
    const text = '{"records":[{"value":1,"value":2}]}';
    const v = verbatimRecords(Buffer.from(text));
    expect(v?.value(0)).toBeUndefined();
    expect(toKafkaRecord(jsonConverter, JSON.parse(text).records[0], 0, v).value?.toString()).toBe('2');
  });

  it('gives up on bodies whose records it could not map one to one', () => {
    expect(verbatimRecords(Buffer.from('{"records":[{"value":1}],"records":[{"value":2}]}'))).toBeUndefined();
    expect(verbatimRecords(Buffer.from('{"rec\\u006frds":[{"value":1}]}'))).toBeUndefined();
    // Not UTF-8: JSON.parse read a replacement character where the body has other bytes.
    const latin1 = Buffer.concat([
      Buffer.from('{"records":[{"value":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}]}'),
    ]);
    expect(verbatimRecords(latin1)).toBeUndefined();
    expect(
      verbatimRecords(Buffer.from(`{"records":[{"value":${'['.repeat(100)}${']'.repeat(100)}}]}`)),
    ).toBeUndefined();
  });

  it('maps records around whitespace between them, and skips other members', () => {
    const text =
      ' {\n "records" : [ {"partition":0, "value":{"a":[1,2]} , "key" : "k"} ,\n{"value":"v"} ] , "x":[1] }\n';
    const v = verbatimRecords(Buffer.from(text));
    expect(v?.count).toBe(2);
    expect(v?.value(0)?.toString()).toBe('{"a":[1,2]}');
    expect(v?.key(0)?.toString()).toBe('"k"');
    expect(v?.value(1)?.toString()).toBe('"v"');
    expect(v?.key(1)).toBeUndefined();
  });

  it('leaves null values and keys to the format (a null value is a tombstone, not the text null)', () => {
    const text = '{"records":[{"key":null,"value":null}]}';
    const v = verbatimRecords(Buffer.from(text));
    const rec = toKafkaRecord(jsonConverter, JSON.parse(text).records[0], 0, v);
    expect(rec.key).toBeNull();
    expect(rec.value).toBeNull();
  });

  it('hands the producer a view of the body, not a copy', () => {
    const body = Buffer.from(JSON.stringify({ records: [{ value: { id: 'x', data: 'y'.repeat(100) } }] }));
    const rec = toKafkaRecord(
      jsonConverter,
      JSON.parse(body.toString()).records[0],
      0,
      verbatimRecords(body),
    );
    expect(rec.value?.buffer).toBe(body.buffer);
  });
});

describe('verbatimRecords on large objects', () => {
  it('finds a repeated key among 100,000 (and offers the value when there is none)', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`);
    const unique = `{${keys.join(',')}}`;
    const repeated = `{${keys.join(',')},"k5":0}`;
    const v = verbatimRecords(Buffer.from(`{"records":[{"value":${unique}},{"value":${repeated}}]}`));
    expect(v?.value(0)?.toString()).toBe(unique);
    expect(v?.value(1)).toBeUndefined();
  });
});
