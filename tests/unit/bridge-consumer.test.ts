/**
 * The pure parts of the consumer API: base_uri, topic patterns, the json fallback for records
 * that are not JSON, and how an instance's librdkafka settings are put together.
 */
import { describe, expect, test } from '@jest/globals';
import { binaryConverter, textConverter, toHttpRecord } from '../../bridge/formats/index.js';
import { buildBaseUri } from '../../bridge/http/consumer-routes.js';
import { HttpError } from '../../bridge/http/errors.js';
import { ConsumerInstance, patternToRegex } from '../../bridge/kafka/consumer.js';
import { ConsumerRegistry, instanceOptions } from '../../bridge/kafka/consumers.js';
import { serializeBatch, toJsonFormatRecord, toTextFormatRecord } from '../../bridge/kafka/record-json.js';
import { createLogger } from '../../bridge/log.js';

function req(headers: Record<string, string>, path = '/consumers/g', protocol = 'http') {
  return { header: (h: string) => headers[h], protocol, path };
}

describe('buildBaseUri', () => {
  test('scheme and host come from the request; a host without a port gets the default one', () => {
    expect(buildBaseUri(req({ host: 'localhost:8080' }), 'c1')).toBe(
      'http://localhost:8080/consumers/g/instances/c1',
    );
    expect(buildBaseUri(req({ host: 'bridge' }), 'c1')).toBe('http://bridge:80/consumers/g/instances/c1');
    expect(buildBaseUri(req({ host: 'bridge' }, '/consumers/g', 'https'), 'c1')).toBe(
      'https://bridge:443/consumers/g/instances/c1',
    );
    expect(buildBaseUri(req({ host: '[::1]:8080' }), 'c1')).toBe(
      'http://[::1]:8080/consumers/g/instances/c1',
    );
    expect(buildBaseUri(req({ host: 'h:1' }, '/consumers/g/'), 'c1')).toBe(
      'http://h:1/consumers/g/instances/c1',
    );
  });

  test('Forwarded wins when it has both host and proto, else X-Forwarded-Host + X-Forwarded-Proto', () => {
    const fwd = { host: 'inner:8080', forwarded: 'for=10.0.0.1;host=outer.example.com:9443;proto=https' };
    expect(buildBaseUri(req(fwd), 'c')).toBe('https://outer.example.com:9443/consumers/g/instances/c');
    // Only host=: ignored, and X-Forwarded-* are not consulted when Forwarded is present (as the anchor).
    const half = {
      host: 'inner:8080',
      forwarded: 'host=outer',
      'x-forwarded-host': 'x',
      'x-forwarded-proto': 'https',
    };
    expect(buildBaseUri(req(half), 'c')).toBe('http://inner:8080/consumers/g/instances/c');
    const x = { host: 'inner:8080', 'x-forwarded-host': 'gw.example.com', 'x-forwarded-proto': 'https' };
    expect(buildBaseUri(req(x), 'c')).toBe('https://gw.example.com:443/consumers/g/instances/c');
    // Only one of the two: ignored.
    expect(buildBaseUri(req({ host: 'inner:8080', 'x-forwarded-host': 'gw' }), 'c')).toBe(
      'http://inner:8080/consumers/g/instances/c',
    );
  });

  test('X-Forwarded-Path replaces the path; an unknown scheme without a port is the anchor 500', () => {
    expect(buildBaseUri(req({ host: 'h:1', 'x-forwarded-path': '/kafka/consumers/g' }), 'c')).toBe(
      'http://h:1/kafka/consumers/g/instances/c',
    );
    try {
      buildBaseUri(req({ host: 'h', 'x-forwarded-host': 'gw', 'x-forwarded-proto': 'ftp' }), 'c');
      throw new Error('expected an error');
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).status).toBe(500);
      expect((err as HttpError).message).toBe('ftp is not a valid schema/proto.');
    }
  });
});

describe('patternToRegex', () => {
  test('anchors both ends, as Java Pattern.matches, and leaves an anchored pattern alone', () => {
    expect(patternToRegex('orders-.*')).toBe('^(orders-.*)$');
    expect(patternToRegex('a|b')).toBe('^(a|b)$');
    expect(patternToRegex('^x.*$')).toBe('^x.*$');
    expect(patternToRegex('^x')).toBe('^x$');
  });
});

describe('toJsonFormatRecord', () => {
  const base = { topic: 't', partition: 1, offset: 5, timestamp: 1000 };
  test('JSON keys and values are parsed, with no marker', () => {
    const rec = toJsonFormatRecord({
      ...base,
      key: Buffer.from('"k"'),
      value: Buffer.from('{"a":[1,null]}'),
    });
    expect(rec).toEqual({ ...base, key: 'k', value: { a: [1, null] } });
  });
  test('a value that is not JSON is its bytes in base64 with value_encoding; the JSON key stays parsed', () => {
    const bytes = Buffer.from([0x41, 0xff, 0x00]);
    const rec = toJsonFormatRecord({ ...base, key: Buffer.from('{"id":1}'), value: bytes });
    expect(rec).toEqual({
      ...base,
      key: { id: 1 },
      value: bytes.toString('base64'),
      value_encoding: 'base64',
    });
  });
  test('a plain-string key (not JSON) is marked too; null stays null; headers are kept', () => {
    const rec = toJsonFormatRecord({
      ...base,
      key: Buffer.from('plain'),
      value: null,
      headers: [{ h: Buffer.from('v') }],
    });
    expect(rec).toEqual({
      ...base,
      key: Buffer.from('plain').toString('base64'),
      key_encoding: 'base64',
      value: null,
      headers: [{ key: 'h', value: Buffer.from('v').toString('base64') }],
    });
  });
});

describe('toTextFormatRecord', () => {
  test('UTF-8 is text; bytes that are not UTF-8 come as base64 with <field>_encoding instead of U+FFFD', () => {
    const base = { topic: 't', partition: 0, offset: 1, timestamp: 2 };
    expect(toTextFormatRecord({ ...base, key: Buffer.from('clé'), value: Buffer.from('✓') })).toEqual({
      ...base,
      key: 'clé',
      value: '✓',
    });
    const bad = Buffer.from([0x61, 0xc3, 0x28]);
    expect(toTextFormatRecord({ ...base, key: null, value: bad })).toEqual({
      ...base,
      key: null,
      value: bad.toString('base64'),
      value_encoding: 'base64',
    });
  });
});

describe('serializeBatch, one record at a time', () => {
  const one = (format: 'binary' | 'json' | 'text', m: unknown) => {
    const { bytes, ends } = serializeBatch(format, [m as never]);
    return { text: bytes.toString('utf8'), bytes: ends[0] };
  };
  const messages = [
    {
      topic: 't',
      partition: 0,
      offset: 0,
      key: Buffer.from([0xde, 0xad]),
      value: Buffer.from([0, 255, 128]),
      timestamp: 5,
    },
    { topic: 'tö', partition: 3, offset: 9007199254740991, key: null, value: null },
    {
      topic: 't',
      partition: 1,
      offset: 7,
      key: 'k',
      value: Buffer.alloc(0),
      timestamp: 1,
      headers: [{ clé: Buffer.from('v') }, { h: null }, { s: 'str' }],
    },
  ];
  test('binary: exactly the JSON of the converter record, and its UTF-8 size', () => {
    for (const m of messages) {
      const { text, bytes } = one('binary', m);
      expect(text).toBe(JSON.stringify(toHttpRecord(binaryConverter, m as never)));
      expect(bytes).toBe(Buffer.byteLength(text));
    }
  });
  test('text and json go through their converter', () => {
    const m = {
      topic: 't',
      partition: 0,
      offset: 1,
      key: Buffer.from('ключ'),
      value: Buffer.from('"знач"'),
      timestamp: 2,
    };
    const t = one('text', m);
    expect(t.text).toBe(JSON.stringify(toHttpRecord(textConverter, m)));
    expect(t.bytes).toBe(Buffer.byteLength(t.text));
    const j = one('json', m);
    expect(JSON.parse(j.text)).toMatchObject({
      key: Buffer.from('ключ').toString('base64'),
      key_encoding: 'base64',
      value: 'знач',
    });
  });
});

describe('instance settings', () => {
  const deps = {
    config: {
      bridgeId: 'b',
      http: { timeoutSeconds: -1 },
      kafka: {
        consumer: {
          'bootstrap.servers': 'k:9092',
          'auto.offset.reset': 'none',
          'enable.auto.commit': 'false',
        },
        bootstrapServers: 'k:9092',
        maxPollRecords: 42,
      },
    },
  };

  test('configuration first, the request wins; Java value names become librdkafka ones', () => {
    const fromConfig = instanceOptions(deps, 'g', 'n', 'json', {});
    expect(fromConfig.settings['auto.offset.reset']).toBe('error');
    expect(fromConfig.autoCommit).toBe(false);
    expect(fromConfig.maxPollRecords).toBe(42);
    expect(fromConfig.requestTimeoutMs).toBe(30_000);
    const fromRequest = instanceOptions(deps, 'g', 'n', 'json', {
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': true,
      'fetch.min.bytes': 512,
      'isolation.level': 'read_committed',
      'consumer.request.timeout.ms': 5000,
    });
    expect(fromRequest.settings).toMatchObject({
      'auto.offset.reset': 'earliest',
      'fetch.min.bytes': 512,
      'isolation.level': 'read_committed',
    });
    expect(fromRequest.autoCommit).toBe(true);
    expect(fromRequest.requestTimeoutMs).toBe(5000);
  });

  test('librdkafka configuration: group and client id, offset store only for returned records, reset in the topic config', () => {
    const opts = instanceOptions(deps, 'grp', 'inst-1', 'binary', { 'auto.offset.reset': 'earliest' });
    const conf = ConsumerInstance.rdkafkaConfig({
      ...opts,
      settings: { ...opts.settings, 'enable.auto.offset.store': 'true', 'queued.max.messages.kbytes': '100' },
      log: createLogger('silent'),
    });
    expect(conf.topic).toEqual({ 'auto.offset.reset': 'earliest' });
    expect(conf.global).toMatchObject({
      'group.id': 'grp',
      'client.id': 'inst-1',
      'enable.auto.offset.store': false,
      'enable.partition.eof': true,
      'enable.auto.commit': false,
      // A configured value wins over the bridge's memory-saving default.
      'queued.max.messages.kbytes': '100',
    });
    expect(conf.global['auto.offset.reset' as keyof typeof conf.global]).toBeUndefined();
  });
});

describe('ConsumerRegistry without Kafka', () => {
  const registry = () =>
    new ConsumerRegistry({
      config: {
        bridgeId: '',
        http: { timeoutSeconds: -1 },
        kafka: { consumer: { 'bootstrap.servers': '127.0.0.1:1' }, bootstrapServers: '127.0.0.1:1' },
      },
      log: createLogger('silent'),
    });

  test('unknown instances are 404 with the anchor text; a bad format is 422 before any connection', async () => {
    const r = registry();
    expect(() => r.get('g', 'x')).toThrow('The specified consumer instance was not found.');
    await expect(r.delete('g', 'x')).rejects.toMatchObject({ status: 404 });
    await expect(r.create('g', { format: 'avro' })).rejects.toMatchObject({
      status: 422,
      message: 'Invalid format type.',
    });
    await expect(r.create('g', { 'auto.offset.reset': 'sometimes' })).rejects.toMatchObject({ status: 422 });
    expect(r.generateName()).toMatch(/^kafka-bridge-consumer-[0-9a-f-]{36}$/);
  });

  test('after shutdown no instance can be created', async () => {
    const r = registry();
    await r.shutdown(100);
    await expect(r.create('g', {})).rejects.toMatchObject({ status: 503 });
  });
});
