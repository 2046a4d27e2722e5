import { describe, expect, test } from '@jest/globals';
import {
  binaryConverter,
  converterFor,
  formatFromContentType,
  jsonConverter,
  textConverter,
  toHttpRecord,
  toKafkaRecord,
} from '../../bridge/formats/index.js';
import { HttpError } from '../../bridge/http/errors.js';

function status(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpError ? err.status : -1;
  }
  return undefined;
}

describe('content types', () => {
  test('each produce content type names its format, parameters and case ignored', () => {
    expect(formatFromContentType('application/vnd.kafka.json.v2+json')).toBe('json');
    expect(formatFromContentType('Application/VND.kafka.binary.v2+json; charset=utf-8')).toBe('binary');
    expect(formatFromContentType('application/vnd.kafka.text.v2+json')).toBe('text');
    expect(formatFromContentType('application/json')).toBeUndefined();
    expect(formatFromContentType('application/vnd.kafka.v2+json')).toBeUndefined();
    expect(formatFromContentType(undefined)).toBeUndefined();
  });
});

describe('json format', () => {
  test('a string key is stored as JSON text, quotes included, as the Strimzi bridge does', () => {
    expect(jsonConverter.toBytes('key', 'k1')!.toString('latin1')).toBe('"k1"');
  });
  test('objects, arrays, numbers survive a round trip', () => {
    for (const v of [{ a: [1, 2, { b: null }] }, [1, 'x'], 3.5, true, 'é ✓']) {
      expect(jsonConverter.fromBytes('value', jsonConverter.toBytes('value', v))).toEqual(v);
    }
  });
  test('null is a Kafka null (tombstone), and a Kafka null reads back as JSON null', () => {
    expect(jsonConverter.toBytes('value', null)).toBeNull();
    expect(jsonConverter.fromBytes('value', null)).toBeNull();
  });
  test('bytes that are not JSON fail with 406 naming the field', () => {
    expect(status(() => jsonConverter.fromBytes('key', Buffer.from('plain')))).toBe(406);
    expect(() => jsonConverter.fromBytes('key', Buffer.from('plain'))).toThrow(/key is not JSON/);
  });
});

describe('binary format', () => {
  test('arbitrary bytes, including non-UTF-8, round-trip exactly through base64', () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a]);
    const b64 = bytes.toString('base64');
    const stored = binaryConverter.toBytes('value', b64)!;
    expect(stored.equals(bytes)).toBe(true);
    expect(binaryConverter.fromBytes('value', stored)).toBe(b64);
  });
  test('invalid base64 is a 422, never silently different bytes', () => {
    expect(status(() => binaryConverter.toBytes('value', 'not base64!'))).toBe(422);
    expect(status(() => binaryConverter.toBytes('value', 'abc'))).toBe(422);
    expect(status(() => binaryConverter.toBytes('key', { a: 1 }))).toBe(422);
  });
});

describe('text format', () => {
  test('strings are stored as UTF-8', () => {
    expect(textConverter.toBytes('value', 'Grüße')!.equals(Buffer.from('Grüße', 'utf8'))).toBe(true);
    expect(textConverter.fromBytes('value', Buffer.from('Grüße', 'utf8'))).toBe('Grüße');
  });
  test('a non-string is a 422 with the anchor message', () => {
    expect(() => textConverter.toBytes('value', 5)).toThrow(
      "Because the embedded format is 'text', the value must be a string",
    );
    expect(status(() => textConverter.toBytes('key', ['a']))).toBe(422);
  });
});

describe('whole records', () => {
  test('produce record: missing key is a null key, headers decoded, size counted, fields kept', () => {
    const r = toKafkaRecord(
      converterFor('text'),
      { value: 'hello', partition: 2, timestamp: 1591897790000, headers: [{ key: 'h', value: 'dmFsdWUx' }] },
      0,
    );
    expect(r.key).toBeNull();
    expect(r.value!.toString()).toBe('hello');
    expect(r.partition).toBe(2);
    expect(r.timestamp).toBe(1591897790000);
    expect(r.headers).toEqual([{ key: 'h', value: Buffer.from('value1') }]);
    expect(r.size).toBe(5 + 1 + 6);
  });
  test('errors name the record index', () => {
    expect(() => toKafkaRecord(textConverter, { value: 1 }, 3)).toThrow(/^Record 3: /);
  });
  test('header values that are not UTF-8 are refused rather than altered', () => {
    const h = [{ key: 'h', value: Buffer.from([0xff, 0x00]).toString('base64') }];
    expect(status(() => toKafkaRecord(binaryConverter, { value: 'AA==', headers: h }, 0))).toBe(422);
  });
  test('consumed message to the HTTP record shape, headers base64, null key', () => {
    const rec = toHttpRecord(binaryConverter, {
      topic: 't',
      partition: 1,
      offset: 42,
      key: null,
      value: Buffer.from([0xff]),
      timestamp: 1000,
      headers: [{ a: Buffer.from('x') }, { b: Buffer.from([0xfe]) }],
    });
    expect(rec).toEqual({
      topic: 't',
      key: null,
      value: '/w==',
      partition: 1,
      offset: 42,
      timestamp: 1000,
      headers: [
        { key: 'a', value: 'eA==' },
        { key: 'b', value: '/g==' },
      ],
    });
  });
  test('no headers field when the message has none', () => {
    const rec = toHttpRecord(jsonConverter, { topic: 't', partition: 0, offset: 0, value: Buffer.from('1') });
    expect('headers' in rec).toBe(false);
    expect(rec.value).toBe(1);
  });
});
