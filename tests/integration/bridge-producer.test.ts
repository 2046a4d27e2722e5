/**
 * The bridge process against the real broker (PLAINTEXT listener): producing in the three
 * embedded formats, topics/partitions/offsets, admin, management endpoints, errors, CLI and
 * graceful shutdown. The bridge is `node dist/bridge/main.js`, exactly what the sidecar runs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createTopic } from '../infra/kafka-admin.js';
import { freePort } from '../infra/ports.js';
import { requireKafka } from '../infra/state.js';
import {
  type BridgeProcess,
  CT,
  call,
  eventually,
  javaPartition,
  MAIN,
  readBack,
  startBridgeProcess,
} from './bridge-producer-harness.js';

jest.setTimeout(60_000);
const kafka = requireKafka();
const run = Math.random().toString(36).slice(2, 8);
const T = {
  one: `bp-one-${run}`,
  six: `bp-six-${run}`,
  created: `bp-created-${run}`,
};

let bridge: BridgeProcess;
let url: string;

function properties(bootstrap: string, extra = ''): string {
  return `bridge.id=bridge-test
http.host=127.0.0.1
kafka.bootstrap.servers=${bootstrap}
kafka.producer.acks=1
${extra}`;
}

beforeAll(async () => {
  await createTopic(kafka, T.one, 1);
  await createTopic(kafka, T.six, 6);
  bridge = await startBridgeProcess({ properties: properties(kafka.plaintext, 'http.maxBodyBytes=20000') });
  url = bridge.url;
});

afterAll(async () => {
  await bridge?.stop();
});

describe('kafka-bridge command', () => {
  test('--help and --version answer and exit 0; an unknown argument exits 2 with the usage', () => {
    const help = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--config-file');
    const version = spawnSync(process.execPath, [MAIN, '--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
    const bad = spawnSync(process.execPath, [MAIN, '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown argument '--nope'");
  });

  test('a missing config file stops start-up with one line naming it', () => {
    const r = spawnSync(process.execPath, [MAIN, '--config-file', '/nonexistent/bridge.properties'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('/nonexistent/bridge.properties');
  });
});

describe('listening', () => {
  test('the API answers on 127.0.0.1 and on ::1 (loopback host), management on its own port and on the API port', async () => {
    expect((await call(url, 'GET', '/healthy')).status).toBe(200);
    expect((await call(bridge.mgmtUrl, 'GET', '/healthy')).status).toBe(200);
    const ready = await call(bridge.mgmtUrl, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.text).toBe('');
    const v6 = await canConnect('::1', bridge.port);
    if (v6 !== 'no-ipv6') {
      expect(v6).toBe(true);
      expect((await call(`http://[::1]:${bridge.port}`, 'GET', '/')).status).toBe(200);
    }
  });

  test('the management port is not limited to loopback; the API port is', async () => {
    const addr = nonLoopbackAddress();
    if (!addr) return; // a machine with loopback only: nothing to tell apart
    expect(await canConnect(addr, bridge.managementPort)).toBe(true);
    expect(await canConnect(addr, bridge.port)).toBe(false);
  });

  test('/ready?kafka=true checks the broker; /metrics is Prometheus text with the reachability gauge', async () => {
    const r = await call(bridge.mgmtUrl, 'GET', '/ready?kafka=true');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ kafka: 'reachable', bootstrap_servers: kafka.plaintext });
    const m = await call(bridge.mgmtUrl, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(m.text).toMatch(/^strimzi_bridge_kafka_reachable 1$/m);
  });
});

describe('info and contract', () => {
  test('GET / names the version', async () => {
    const r = await call(url, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    expect(r.body).toEqual({ bridge_version: pkg.version });
  });

  test('GET /openapi and /openapi/v3 serve the contract; X-Forwarded-Path adds basePath', async () => {
    const contract = JSON.parse(readFileSync(join(process.cwd(), 'bridge/http/openapi.json'), 'utf8'));
    for (const p of ['/openapi', '/openapi/v3']) {
      const r = await call(url, 'GET', p);
      expect(r.status).toBe(200);
      expect(r.body).toEqual(contract);
    }
    const fwd = await call(url, 'GET', '/openapi', { headers: { 'x-forwarded-path': '/kafka' } });
    expect(fwd.body.basePath).toBe('/kafka');
    expect(fwd.body.paths).toEqual(contract.paths);
  });

  test('an unknown path is 404 "Not Found" in the Strimzi error body', async () => {
    const r = await call(url, 'POST', '/nowhere', { ct: CT.json, body: {} });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe(CT.v2);
    expect(r.body).toEqual({ error_code: 404, message: 'Not Found' });
  });
});

describe('producing', () => {
  test('json: any JSON value, keys stored as JSON text, headers, timestamps; read back byte for byte', async () => {
    const records = [
      { key: 'k1', value: { a: [1, 2, { b: null }], s: 'é✓' } },
      { key: { id: 7 }, value: [1, 'two'], timestamp: 1591897790000 },
      { value: 'plain', headers: [{ key: 'h1', value: Buffer.from('value1').toString('base64') }] },
    ];
    const r = await call(url, 'POST', `/topics/${T.one}`, { ct: CT.json, body: { records } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(CT.v2);
    expect(r.body.offsets).toHaveLength(3);
    const first = r.body.offsets[0].offset as number;
    expect(r.body.offsets.map((o: { offset: number }) => o.offset)).toEqual([first, first + 1, first + 2]);
    const back = await readBack(kafka.plaintext, T.one, 0, first, 3);
    expect(back[0]!.key!.toString()).toBe('"k1"');
    expect(JSON.parse(back[0]!.value!.toString())).toEqual(records[0]!.value);
    expect(back[1]!.key!.toString()).toBe('{"id":7}');
    expect(back[1]!.timestamp).toBe(1591897790000);
    expect(back[2]!.key).toBeNull();
    expect(back[2]!.value!.toString()).toBe('"plain"');
    expect(back[2]!.headers).toEqual([{ key: 'h1', value: Buffer.from('value1') }]);
  });

  test('json: values stored as compact JSON however the client wrote them', async () => {
    // Compact values go out as the request's own bytes, the others re-serialized (json-verbatim.ts):
    // both must land as the same compact text, as the Strimzi bridge stores them.
    const raw = [
      '{"records":[',
      '{"key":"k","value":{"id":"a","n":[1,2.5,null,true],"s":"Zoë 🚀"}},',
      '{ "key" : "k" , "value" : {\n  "id": "a",  "n": [1, 2.50, null, true],\n  "s": "Zo\\u00eb \\ud83d\\ude80"\n} },',
      '{"key":"k","value":{"n":1.0,"dup":1,"dup":2,"7":"seven","e":1e2,"z":-0}}',
      ']}',
    ].join('');
    const r = await call(url, 'POST', `/topics/${T.one}/partitions/0`, { ct: CT.json, raw });
    expect(r.status).toBe(200);
    const first = r.body.offsets[0].offset as number;
    const back = await readBack(kafka.plaintext, T.one, 0, first, 3);
    const compact = '{"id":"a","n":[1,2.5,null,true],"s":"Zoë 🚀"}';
    expect(back[0]!.value!.toString('utf8')).toBe(compact);
    expect(back[1]!.value!.toString('utf8')).toBe(compact);
    expect(back[2]!.value!.toString('utf8')).toBe('{"7":"seven","n":1,"dup":2,"e":100,"z":0}');
    expect(back.map((m) => m.key!.toString())).toEqual(['"k"', '"k"', '"k"']);
  });

  test('binary: non-UTF-8 bytes, null key and headers arrive exactly', async () => {
    const value = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a, 0x00]);
    const key = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const hdr = Buffer.from('ünïcode header', 'utf8');
    const r = await call(url, 'POST', `/topics/${T.one}/partitions/0`, {
      ct: CT.binary,
      body: {
        records: [
          { value: value.toString('base64') },
          { key: key.toString('base64'), value: '', headers: [{ key: 'h', value: hdr.toString('base64') }] },
        ],
      },
    });
    expect(r.status).toBe(200);
    const [a, b] = r.body.offsets as { partition: number; offset: number }[];
    expect(a!.partition).toBe(0);
    const back = await readBack(kafka.plaintext, T.one, 0, a!.offset, 2);
    expect(back[0]!.key).toBeNull();
    expect(back[0]!.value!.equals(value)).toBe(true);
    expect(back[1]!.offset).toBe(b!.offset);
    expect(back[1]!.key!.equals(key)).toBe(true);
    expect(back[1]!.value!.length).toBe(0);
    expect(back[1]!.headers).toEqual([{ key: 'h', value: hdr }]);
  });

  test('text: strings stored as UTF-8; a null value is a tombstone', async () => {
    const r = await call(url, 'POST', `/topics/${T.one}`, {
      ct: CT.text,
      body: {
        records: [
          { key: 'ключ', value: 'Grüße 🚀' },
          { key: 'gone', value: null },
        ],
      },
    });
    expect(r.status).toBe(200);
    const back = await readBack(kafka.plaintext, T.one, 0, r.body.offsets[0].offset, 2);
    expect(back[0]!.key!.equals(Buffer.from('ключ', 'utf8'))).toBe(true);
    expect(back[0]!.value!.equals(Buffer.from('Grüße 🚀', 'utf8'))).toBe(true);
    expect(back[1]!.value).toBeNull();
  });

  test('keys are routed as the Java producer routes them (murmur2), the same key always to the same partition', async () => {
    const keys = Array.from({ length: 24 }, (_, i) => `customer-${i}`);
    const r = await call(url, 'POST', `/topics/${T.six}`, {
      ct: CT.text,
      body: { records: keys.map((k) => ({ key: k, value: 'v' })) },
    });
    expect(r.status).toBe(200);
    const got = (r.body.offsets as { partition: number }[]).map((o) => o.partition);
    expect(got).toEqual(keys.map((k) => javaPartition(Buffer.from(k), 6)));
    expect(new Set(got).size).toBeGreaterThan(1);
  });

  test('per-record errors sit among successes, in request order, answered at once', async () => {
    const started = Date.now();
    const r = await call(url, 'POST', `/topics/${T.six}`, {
      ct: CT.json,
      body: {
        records: [
          { value: 'a', partition: 0 },
          { value: 'b', partition: 42 },
          { value: 'c', partition: 5 },
        ],
      },
    });
    expect(r.status).toBe(200);
    const [a, b, c] = r.body.offsets;
    expect(a.partition).toBe(0);
    expect(b).toEqual({ error_code: 404, message: expect.stringContaining('partition 42') });
    expect(c.partition).toBe(5);
    expect(Date.now() - started).toBeLessThan(10_000); // not a 60 s metadata wait
  });

  test('a partition that does not exist on a topic never produced to before is answered at once too', async () => {
    const topic = `bp-fresh-${run}`;
    await createTopic(kafka, topic, 1);
    const started = Date.now();
    const r = await call(url, 'POST', `/topics/${topic}/partitions/3`, {
      ct: CT.text,
      body: { records: [{ value: 'x' }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.offsets[0].error_code).toBe(404);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('?async=true answers 204 with no body, and the records still arrive', async () => {
    const before = await call(url, 'GET', `/topics/${T.one}/partitions/0/offsets`);
    const r = await call(url, 'POST', `/topics/${T.one}?async=true`, {
      ct: CT.text,
      body: { records: [{ value: 'a1' }, { value: 'a2' }] },
    });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    await eventually(
      async () => {
        const after = await call(url, 'GET', `/topics/${T.one}/partitions/0/offsets`);
        return after.body.end_offset === before.body.end_offset + 2;
      },
      10_000,
      'async records visible',
    );
  });

  test('the produce metrics count records, bytes and per-record errors by topic', async () => {
    const m = (await call(bridge.mgmtUrl, 'GET', '/metrics')).text;
    expect(m).toMatch(new RegExp(`^strimzi_bridge_producer_records_total\\{topic="${T.one}"\\} \\d+`, 'm'));
    expect(m).toMatch(new RegExp(`^strimzi_bridge_producer_bytes_total\\{topic="${T.one}"\\} \\d+`, 'm'));
    expect(m).toMatch(
      new RegExp(
        `^strimzi_bridge_producer_record_errors_total\\{topic="${T.six}",error_code="404"\\} 1`,
        'm',
      ),
    );
    expect(m).toMatch(
      /^strimzi_bridge_http_server_requests_total\{method="POST",route="\/topics\/\{topicname\}",code="200"\} \d+/m,
    );
    expect(m).toMatch(/strimzi_bridge_http_server_request_duration_seconds_bucket\{le="0.1",method="POST"/);
  });
});

describe('request errors', () => {
  test('schema violations: 400 with every problem listed', async () => {
    const r = await call(url, 'POST', `/topics/${T.one}`, {
      ct: CT.json,
      body: { records: [{ value: 5, extra: true }, { key: 'k' }, { value: 'v', partition: 'one' }] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe(400);
    expect(r.body.message).toBe('Validation error on: Schema validation error');
    expect(r.body.validation_errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining('/records/0: property "extra" is not allowed'),
        expect.stringContaining('/records/0/value: must be one of'),
        expect.stringContaining('/records/1: property "value" is required'),
        expect.stringContaining('/records/2/partition'),
      ]),
    );
  });

  test('partition in the body of sendToPartition is a schema error (400)', async () => {
    const r = await call(url, 'POST', `/topics/${T.one}/partitions/0`, {
      ct: CT.json,
      body: { records: [{ value: 1, partition: 0 }] },
    });
    expect(r.status).toBe(400);
  });

  test('wrong or missing content type: 400 naming the allowed types', async () => {
    for (const ct of ['application/json', undefined]) {
      const r = await call(url, 'POST', `/topics/${T.one}`, {
        ...(ct ? { ct } : {}),
        raw: '{"records":[{"value":"x"}]}',
      });
      expect(r.status).toBe(400);
      expect(r.body.message).toContain('application/vnd.kafka.json.v2+json');
    }
  });

  test('a body that is not JSON: 400', async () => {
    const r = await call(url, 'POST', `/topics/${T.one}`, { ct: CT.json, raw: '{"records":[' });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('not valid JSON');
  });

  test('a body over http.maxBodyBytes: 413', async () => {
    const r = await call(url, 'POST', `/topics/${T.one}`, {
      ct: CT.text,
      body: { records: [{ value: 'x'.repeat(30_000) }] },
    });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ error_code: 413, message: expect.stringContaining('20000 bytes') });
  });

  test('text format with a non-string, binary with bad base64: 422 naming the record', async () => {
    const t = await call(url, 'POST', `/topics/${T.one}`, {
      ct: CT.text,
      body: { records: [{ value: 'ok' }, { value: { a: 1 } }] },
    });
    expect(t.status).toBe(422);
    expect(t.body.message).toBe(
      "Record 1: Because the embedded format is 'text', the value must be a string",
    );
    const b = await call(url, 'POST', `/topics/${T.one}`, {
      ct: CT.binary,
      body: { records: [{ value: 'not base64!' }] },
    });
    expect(b.status).toBe(422);
    expect(b.body.message).toContain('Record 0');
  });

  test('a non-boolean async and a negative partition: 400 parameter errors', async () => {
    const a = await call(url, 'POST', `/topics/${T.one}?async=maybe`, { ct: CT.text, body: { records: [] } });
    expect(a.status).toBe(400);
    expect(a.body.message).toMatch(/^Parameter error on: async/);
    const p = await call(url, 'GET', `/topics/${T.one}/partitions/-1`);
    expect(p.status).toBe(400);
    expect(p.body.message).toMatch(/^Parameter error on: partitionid/);
  });
});

describe('topics, partitions, offsets, admin', () => {
  test('POST /admin/topics creates (201 {}), a second time is 500 saying it exists, bad bodies 400', async () => {
    const r = await call(url, 'POST', '/admin/topics', {
      ct: CT.json,
      body: { topic_name: T.created, partitions_count: 2, replication_factor: 1 },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({});
    const again = await call(url, 'POST', '/admin/topics', { ct: CT.json, body: { topic_name: T.created } });
    expect(again.status).toBe(500);
    expect(again.body.message).toContain('already exists');
    const bad = await call(url, 'POST', '/admin/topics', { ct: CT.json, body: { partitions_count: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.validation_errors.length).toBeGreaterThanOrEqual(2);
  });

  test('GET /topics lists the topics (no internal ones)', async () => {
    const r = await call(url, 'GET', '/topics');
    expect(r.status).toBe(200);
    expect(r.body).toEqual(expect.arrayContaining([T.one, T.six, T.created]));
    expect(r.body).not.toContain('__consumer_offsets');
  });

  test('GET /topics/{t}: name, every config entry (defaults included, as the anchor) and partitions', async () => {
    const r = await call(url, 'GET', `/topics/${T.created}`);
    expect(r.status).toBe(200);
    expect(r.body.name).toBe(T.created);
    expect(r.body.configs['cleanup.policy']).toBe('delete');
    expect(Object.keys(r.body.configs).length).toBeGreaterThan(10);
    expect(r.body.configs_unavailable).toBeUndefined();
    expect(r.body.partitions).toEqual([
      {
        partition: 0,
        leader: expect.any(Number),
        replicas: [{ broker: expect.any(Number), leader: true, in_sync: true }],
      },
      {
        partition: 1,
        leader: expect.any(Number),
        replicas: [{ broker: expect.any(Number), leader: true, in_sync: true }],
      },
    ]);
  });

  test('an unknown topic is 404 on every metadata endpoint, and asking does not create it', async () => {
    const ghost = `bp-ghost-${run}`;
    for (const p of [
      `/topics/${ghost}`,
      `/topics/${ghost}/partitions`,
      `/topics/${ghost}/partitions/0`,
      `/topics/${ghost}/partitions/0/offsets`,
    ]) {
      const r = await call(url, 'GET', p);
      expect(r.status).toBe(404);
      expect(r.body.message).toContain(ghost);
    }
    expect((await call(url, 'GET', '/topics')).body).not.toContain(ghost);
  });

  test('partitions, one partition, an unknown partition, and the offsets summary', async () => {
    const list = await call(url, 'GET', `/topics/${T.six}/partitions`);
    expect(list.status).toBe(200);
    expect(list.body.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2, 3, 4, 5]);
    const one = await call(url, 'GET', `/topics/${T.six}/partitions/3`);
    expect(one.body).toEqual(list.body[3]);
    const missing = await call(url, 'GET', `/topics/${T.six}/partitions/6`);
    expect(missing.status).toBe(404);
    const produced = await call(url, 'POST', `/topics/${T.created}/partitions/1`, {
      ct: CT.text,
      body: { records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] },
    });
    expect(produced.status).toBe(200);
    const off = await call(url, 'GET', `/topics/${T.created}/partitions/1/offsets`);
    expect(off.body).toEqual({ beginning_offset: 0, end_offset: 3 });
  });
});

describe('an unreachable cluster', () => {
  let down: BridgeProcess;
  let deadAddress: string;
  beforeAll(async () => {
    deadAddress = `127.0.0.1:${await freePort()}`;
    down = await startBridgeProcess({ properties: properties(deadAddress) });
  });
  afterAll(async () => {
    await down?.stop();
  });

  test('the bridge is still ready (the app may not need Kafka now); ?kafka=true and the gauge say otherwise', async () => {
    expect((await call(down.mgmtUrl, 'GET', '/ready')).status).toBe(200);
    const k = await call(down.mgmtUrl, 'GET', '/ready?kafka=true');
    expect(k.status).toBe(503);
    expect(k.body.message).toContain(deadAddress);
    expect((await call(down.mgmtUrl, 'GET', '/metrics')).text).toMatch(/^strimzi_bridge_kafka_reachable 0$/m);
  });

  test('produce and metadata requests: 503 naming the bootstrap address', async () => {
    const p = await call(down.url, 'POST', '/topics/t', { ct: CT.text, body: { records: [{ value: 'x' }] } });
    expect(p.status).toBe(503);
    expect(p.body.message).toContain(`Kafka is not reachable at ${deadAddress}`);
    const t = await call(down.url, 'GET', '/topics');
    expect(t.status).toBe(503);
    expect(t.body.message).toContain(deadAddress);
    // The operator's log says why, not only that a request failed.
    let line: string | undefined;
    for (const deadline = Date.now() + 5000; !line && Date.now() < deadline; ) {
      line = readFileSync(down.proc.logFile, 'utf8')
        .split('\n')
        .find((l) => l.includes('"request failed"') && l.includes('"path":"/topics/t"'));
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      status: 503,
      error: expect.stringContaining(deadAddress),
    });
  });
});

describe('configuration switches: CORS, producer disabled, librdkafka statistics', () => {
  let b: BridgeProcess;
  beforeAll(async () => {
    b = await startBridgeProcess({
      properties: properties(
        kafka.plaintext,
        [
          'http.cors.enabled=true',
          'http.cors.allowedOrigins=https://app\\.example,https://.*\\.internal',
          'http.cors.allowedMethods=GET,POST',
          'http.producer.enabled=false',
          'kafka.statistics.interval.ms=200',
        ].join('\n'),
      ),
    });
  });
  afterAll(async () => {
    await b?.stop();
  });

  test('CORS: an allowed origin gets the headers, a preflight is answered, another origin gets none', async () => {
    const pre = await call(b.url, 'OPTIONS', `/topics/${T.one}`, {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(pre.headers.get('access-control-allow-methods')).toBe('GET,POST');
    expect(pre.headers.get('access-control-allow-headers')).toContain('content-type');
    const ok = await call(b.url, 'GET', '/topics', { headers: { origin: 'https://svc.internal' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://svc.internal');
    const other = await call(b.url, 'GET', '/topics', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('http.producer.enabled=false: /ready?kafka=true still checks the broker (through the metadata client)', async () => {
    expect((await call(b.mgmtUrl, 'GET', '/ready?kafka=true')).status).toBe(200);
  });

  test('http.producer.enabled=false: produce answers 503 with the anchor message', async () => {
    const r = await call(b.url, 'POST', `/topics/${T.one}`, {
      ct: CT.text,
      body: { records: [{ value: 'x' }] },
    });
    expect(r.status).toBe(503);
    expect(r.body.message).toBe(
      'Producer is disabled in config. To enable producer update http.producer.enabled to true',
    );
  });

  test('librdkafka statistics reach /metrics: queue depth, broker connection and round-trip time', async () => {
    // The producer is disabled here; the metadata client is created by its first use.
    expect((await call(b.url, 'GET', '/topics')).status).toBe(200);
    await eventually(
      async () =>
        /^strimzi_bridge_kafka_broker_rtt_avg_seconds\{client="admin",broker="\d+"\} /m.test(
          (await call(b.mgmtUrl, 'GET', '/metrics')).text,
        ),
      10_000,
      'admin client statistics',
    );
    const m = (await call(b.mgmtUrl, 'GET', '/metrics')).text;
    expect(m).toMatch(/^strimzi_bridge_kafka_client_queue_messages\{client="admin"\} \d+/m);
    expect(m).toMatch(/^strimzi_bridge_kafka_broker_connected\{client="admin",broker="\d+"\} 1/m);
  });
});

describe('a topic that does not exist, where the producer may not create it', () => {
  let b: BridgeProcess;
  beforeAll(async () => {
    b = await startBridgeProcess({
      properties: properties(kafka.plaintext, 'kafka.producer.allow.auto.create.topics=false'),
    });
  });
  afterAll(async () => {
    await b?.stop();
  });

  test('per-record 404 at once (librdkafka alone would hold the records for 30 s), and the topic is not created', async () => {
    const ghost = `bp-nowhere-${run}`;
    const started = Date.now();
    const r = await call(b.url, 'POST', `/topics/${ghost}`, {
      ct: CT.text,
      body: { records: [{ value: 'a' }, { value: 'b' }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.offsets).toEqual([
      { error_code: 404, message: `The specified topic was not found: ${ghost}` },
      { error_code: 404, message: `The specified topic was not found: ${ghost}` },
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await call(b.url, 'GET', '/topics')).body).not.toContain(ghost);
    // An existing topic on the same bridge still works.
    const ok = await call(b.url, 'POST', `/topics/${T.one}`, {
      ct: CT.text,
      body: { records: [{ value: 'c' }] },
    });
    expect(ok.body.offsets[0].partition).toBe(0);
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM: a request in progress still gets its answer, the process exits 0 within the budget', async () => {
    const b = await startBridgeProcess({
      properties: properties(kafka.plaintext, 'bridge.shutdown.timeoutMs=8000'),
    });
    const body = JSON.stringify({ records: Array.from({ length: 50 }, (_, i) => ({ value: `s${i}` })) });
    const half = Math.floor(body.length / 2);
    // Headers and half the body now, the rest after the signal: the request is in progress
    // when SIGTERM arrives, deterministically.
    let req!: ReturnType<typeof request>;
    const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req = request(
        `${b.url}/topics/${T.one}`,
        {
          method: 'POST',
          headers: { 'content-type': CT.text, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
    });
    req.write(body.slice(0, half));
    // The metrics request itself is one active request; the half-sent one is the second.
    await eventually(
      async () =>
        /^strimzi_bridge_http_server_active_requests [2-9]/m.test(
          (await call(b.mgmtUrl, 'GET', '/metrics')).text,
        ),
      5000,
      'request in progress',
    );
    const started = Date.now();
    b.proc.child.kill('SIGTERM');
    req.end(body.slice(half));
    const r = await reply;
    const code = await b.proc.exited;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).offsets).toHaveLength(50);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
    await b.stop();
  });
});

function canConnect(host: string, port: number): Promise<boolean | 'no-ipv6'> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      resolve(
        err.code === 'EADDRNOTAVAIL' || err.code === 'ENETUNREACH' || err.code === 'EAFNOSUPPORT'
          ? 'no-ipv6'
          : false,
      );
    });
  });
}

function nonLoopbackAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
