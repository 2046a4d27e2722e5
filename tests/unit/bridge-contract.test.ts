import { describe, expect, test } from '@jest/globals';
import { Contract } from '../../bridge/http/contract.js';
import { HttpError } from '../../bridge/http/errors.js';

const contract = Contract.load();

async function problems(op: string, ct: string, body: unknown): Promise<HttpError | undefined> {
  try {
    await contract.validateBody(contract.operation(op), ct, body);
    return undefined;
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
}

describe('operation matching', () => {
  test('paths with parameters match their operation, decoded and typed', () => {
    const m = contract.match('POST', '/topics/my%2Dtopic/partitions/3');
    expect(m?.op.operationId).toBe('sendToPartition');
    expect(m?.params).toEqual({ topicname: 'my-topic', partitionid: 3 });
    expect(contract.match('GET', '/topics/t/partitions/0/offsets')?.op.operationId).toBe('getOffsets');
    expect(contract.match('HEAD', '/topics')?.op.operationId).toBe('listTopics');
  });
  test('no match for an unknown path or method', () => {
    expect(contract.match('GET', '/nope')).toBeUndefined();
    expect(contract.match('DELETE', '/topics')).toBeUndefined();
  });
  test('a negative or non-integer partition is a 400 parameter error, as the anchor', () => {
    const neg = contract.match('GET', '/topics/t/partitions/-1');
    expect(neg?.error?.status).toBe(400);
    expect(neg?.error?.message).toBe('Parameter error on: partitionid - -1 is less than 0');
    expect(contract.match('GET', '/topics/t/partitions/x')?.error?.message).toContain(
      "'x' is not an integer",
    );
  });
  test('query parameters: booleans are true/false only', () => {
    const op = contract.operation('send');
    expect(contract.query(op, { async: 'true' })).toEqual({ async: true });
    expect(contract.query(op, {})).toEqual({});
    expect(() => contract.query(op, { async: 'yes' })).toThrow('Parameter error on: async');
  });
});

describe('body validation from the contract schemas', () => {
  test('a valid produce body passes in every embedded format', async () => {
    for (const ct of [
      'application/vnd.kafka.json.v2+json',
      'application/vnd.kafka.binary.v2+json',
      'application/vnd.kafka.text.v2+json',
    ]) {
      expect(
        await problems('send', ct, { records: [{ key: 'k', value: 'v', partition: 1 }] }),
      ).toBeUndefined();
    }
  });
  test('every problem is listed, one line each, a failed oneOf as one line', async () => {
    const e = await problems('send', 'application/vnd.kafka.json.v2+json', {
      records: [{ value: 1, extra: 2 }, { key: 'k' }, { value: 'v', headers: [{ key: 'h', value: '***' }] }],
    });
    expect(e?.status).toBe(400);
    expect(e?.message).toBe('Validation error on: Schema validation error');
    expect(e?.validationErrors).toEqual([
      '/records/0: property "extra" is not allowed',
      '/records/0/value: must be one of array, object, string, null',
      '/records/1: property "value" is required',
      '/records/2/headers/0/value: must match format "byte"',
    ]);
  });
  test('sendToPartition records take no partition; createTopic needs topic_name', async () => {
    const p = await problems('sendToPartition', 'application/vnd.kafka.text.v2+json', {
      records: [{ value: 'v', partition: 0 }],
    });
    expect(p?.validationErrors).toEqual(['/records/0: property "partition" is not allowed']);
    const t = await problems('createTopic', 'application/vnd.kafka.json.v2+json', { partitions_count: 1 });
    expect(t?.validationErrors).toEqual(['body: property "topic_name" is required']);
  });
  test('int32 partitions are bounded', async () => {
    const e = await problems('send', 'application/vnd.kafka.text.v2+json', {
      records: [{ value: 'v', partition: 2 ** 31 }],
    });
    expect(e?.validationErrors).toEqual(['/records/0/partition: must match format "int32"']);
  });
  test('a content type the operation does not take is a 400 naming the allowed ones', async () => {
    const e = await problems('createTopic', 'application/json', { topic_name: 't' });
    expect(e?.status).toBe(400);
    expect(e?.message).toContain('application/vnd.kafka.json.v2+json');
  });
});
