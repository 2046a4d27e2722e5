/**
 * Conformance of the consumer API (issue 4) with the Strimzi bridge contract
 * (bridge/http/openapi.json): drives every consumer operation to each answer it can give and
 * validates every response with ajv (JSON Schema 2020-12) against the contract's schema for that
 * status and media type. Errors the contract does not list for an operation (400, 500, 503) must
 * still be the contract's `Error` in application/vnd.kafka.v2+json, as the anchor sends them.
 *
 * Defects of the contract itself, handled explicitly (never by loosening anything else):
 * - `SubscribedTopicList.topics` is `$ref Topics` (an object), while its own example, the anchor's
 *   code (HttpSinkBridgeEndpoint.doListSubscriptions) and every client use an array of names: the
 *   listing is validated with `topics` as an array of strings.
 * - `unsubscribe` lists its 404 as `application/json`; the anchor (and we) send every error as
 *   application/vnd.kafka.v2+json (strimzi-bridge-behaviour.md, table row 5).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { OpenApiDoc } from '../../bridge/http/contract.js';
import { compileSchema, createAjv, formatAjvErrors } from '../../bridge/http/schemas.js';
import { createTopic } from '../infra/kafka-admin.js';
import { requireKafka } from '../infra/state.js';
import {
  type BridgeUnderTest,
  CT,
  type HttpAnswer,
  http,
  produce,
  startBridge,
  uniqueName,
} from './bridge-consumer-harness.js';

jest.setTimeout(90_000);
const kafka = requireKafka();

const contract = JSON.parse(
  readFileSync(join(process.cwd(), 'bridge/http/openapi.json'), 'utf8'),
) as OpenApiDoc;

function patched(doc: OpenApiDoc): OpenApiDoc {
  const copy = JSON.parse(JSON.stringify(doc)) as OpenApiDoc;
  const s = copy.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
  s.SubscribedTopicList!.properties!.topics = { type: 'array', items: { type: 'string' } };
  return copy;
}

const doc = patched(contract);
const ajv = createAjv(doc);
const errorSchema = compileSchema(ajv, { $ref: '#/components/schemas/Error' });

interface Op {
  readonly method: string;
  readonly responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}
const ops = new Map<string, Op>();
for (const [path, item] of Object.entries(doc.paths)) {
  if (!path.startsWith('/consumers')) continue;
  for (const [method, o] of Object.entries(item)) {
    if (method === 'parameters') continue;
    const op = o as { operationId: string; responses: Op['responses'] };
    ops.set(op.operationId, { method: method.toUpperCase(), responses: op.responses });
  }
}

const walked = new Map<string, Set<number>>();
const validators = new Map<string, ValidateFunction>();

function conforms(operationId: string, reply: HttpAnswer, expectStatus: number): void {
  expect({ operationId, status: reply.status, body: reply.text }).toMatchObject({ status: expectStatus });
  const op = ops.get(operationId);
  if (!op) throw new Error(`no operation ${operationId} in the contract`);
  const seen = walked.get(operationId) ?? new Set<number>();
  seen.add(reply.status);
  walked.set(operationId, seen);
  if (reply.status === 204) {
    expect(reply.text).toBe('');
    return;
  }
  const ct = reply.contentType?.split(';')[0] ?? '';
  const documented = op.responses[String(reply.status)];
  if (!documented) {
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(ct).toBe(CT.v2);
    if (!errorSchema(reply.json))
      throw new Error(`${operationId} ${reply.status}: ${formatAjvErrors(errorSchema.errors)}`);
    return;
  }
  const media = documented.content ?? {};
  const allowed = Object.keys(media);
  if (operationId === 'unsubscribe' && reply.status === 404) allowed.push(CT.v2);
  expect(allowed).toContain(ct);
  const entry = media[ct] ?? Object.values(media)[0];
  const schema = entry?.schema;
  if (!schema) return;
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    v = compileSchema(ajv, schema);
    validators.set(key, v);
  }
  if (!v(reply.json))
    throw new Error(`${operationId} ${reply.status}: ${formatAjvErrors(v.errors).join('; ')}\n${reply.text}`);
}

let bridge: BridgeUnderTest;
const topic = uniqueName('conf');
const group = uniqueName('g');

beforeAll(async () => {
  await createTopic(kafka, topic, 2);
  await produce(kafka.plaintext, topic, [
    {
      key: Buffer.from('"k"'),
      value: Buffer.from('{"a":1}'),
      partition: 0,
      headers: [{ h: Buffer.from('v') }],
    },
    { key: Buffer.from('"k2"'), value: Buffer.from('[1,2]'), partition: 1 },
  ]);
  bridge = await startBridge({ bootstrap: kafka.plaintext });
});

afterAll(async () => {
  await bridge?.stop();
});

describe('every consumer response conforms to the contract', () => {
  test('create, subscribe, list, poll in all three formats, commit, seek, unsubscribe, delete', async () => {
    const u = bridge.url;
    for (const format of ['json', 'binary', 'text'] as const) {
      // A group per format: each reads both records from the start (the previous one committed them).
      const group = uniqueName(`g-${format}`);
      const name = `c-${format}`;
      const base = `/consumers/${group}/instances/${name}`;
      conforms(
        'createConsumer',
        await http(u, 'POST', `/consumers/${group}`, {
          body: { name, format, 'auto.offset.reset': 'earliest' },
        }),
        200,
      );
      conforms('createConsumer', await http(u, 'POST', `/consumers/${group}`, { body: { name } }), 409);
      conforms(
        'subscribe',
        await http(u, 'POST', `${base}/subscription`, { body: { topics: [topic] } }),
        204,
      );
      let records: unknown[] = [];
      const deadline = Date.now() + 30_000;
      while (records.length < 2 && Date.now() < deadline) {
        const r = await http(u, 'GET', `${base}/records?timeout=500`, { accept: CT[format] });
        conforms('poll', r, 200);
        expect(r.contentType).toBe(CT[format]);
        records = records.concat(r.json);
      }
      expect(records).toHaveLength(2);
      conforms('listSubscriptions', await http(u, 'GET', `${base}/subscription`), 200);
      conforms('commit', await http(u, 'POST', `${base}/offsets`), 204);
      conforms(
        'commit',
        await http(u, 'POST', `${base}/offsets`, { body: { offsets: [{ topic, partition: 0, offset: 1 }] } }),
        204,
      );
      const assigned = (await http(u, 'GET', `${base}/subscription`)).json.partitions as Array<
        Record<string, number[]>
      >;
      const p = Number(Object.values(assigned[0]!)[0]![0]);
      conforms(
        'seek',
        await http(u, 'POST', `${base}/positions`, {
          body: { offsets: [{ topic, partition: p, offset: 0 }] },
        }),
        204,
      );
      conforms(
        'seekToBeginning',
        await http(u, 'POST', `${base}/positions/beginning`, {
          body: { partitions: [{ topic, partition: p }] },
        }),
        204,
      );
      conforms(
        'seekToEnd',
        await http(u, 'POST', `${base}/positions/end`, { body: { partitions: [{ topic, partition: p }] } }),
        204,
      );
      conforms('unsubscribe', await http(u, 'DELETE', `${base}/subscription`), 204);
      conforms('deleteConsumer', await http(u, 'DELETE', base), 204);
    }
  });

  test('assign, and the 422 of a record larger than max_bytes (it stays for the next poll)', async () => {
    const u = bridge.url;
    const g = uniqueName('g-assign');
    conforms(
      'createConsumer',
      await http(u, 'POST', `/consumers/${g}`, { body: { name: 'a', 'auto.offset.reset': 'earliest' } }),
      200,
    );
    const base = `/consumers/${g}/instances/a`;
    conforms(
      'assign',
      await http(u, 'POST', `${base}/assignments`, { body: { partitions: [{ topic, partition: 0 }] } }),
      204,
    );
    let r = await http(u, 'GET', `${base}/records?timeout=500&max_bytes=10`, { accept: CT.binary });
    const deadline = Date.now() + 20_000;
    while (r.status === 200 && Date.now() < deadline) {
      expect(r.json).toEqual([]);
      r = await http(u, 'GET', `${base}/records?timeout=500&max_bytes=10`, { accept: CT.binary });
    }
    conforms('poll', r, 422);
    const next = await http(u, 'GET', `${base}/records?timeout=500`, { accept: CT.binary });
    conforms('poll', next, 200);
    expect(next.json.map((x: { offset: number }) => x.offset)).toEqual([0]);
    conforms('listSubscriptions', await http(u, 'GET', `${base}/subscription`), 200);
    conforms('deleteConsumer', await http(u, 'DELETE', base), 204);
  });

  test('every error answer is the contract Error', async () => {
    const u = bridge.url;
    const missing = `/consumers/${group}/instances/nobody`;
    conforms('deleteConsumer', await http(u, 'DELETE', missing), 404);
    conforms(
      'subscribe',
      await http(u, 'POST', `${missing}/subscription`, { body: { topics: [topic] } }),
      404,
    );
    conforms('listSubscriptions', await http(u, 'GET', `${missing}/subscription`), 404);
    conforms('unsubscribe', await http(u, 'DELETE', `${missing}/subscription`), 404);
    conforms('assign', await http(u, 'POST', `${missing}/assignments`, { body: { partitions: [] } }), 404);
    conforms('poll', await http(u, 'GET', `${missing}/records`, { accept: CT.binary }), 404);
    conforms('commit', await http(u, 'POST', `${missing}/offsets`), 404);
    conforms('seek', await http(u, 'POST', `${missing}/positions`, { body: { offsets: [] } }), 404);
    conforms(
      'seekToBeginning',
      await http(u, 'POST', `${missing}/positions/beginning`, { body: { partitions: [] } }),
      404,
    );
    conforms(
      'seekToEnd',
      await http(u, 'POST', `${missing}/positions/end`, { body: { partitions: [] } }),
      404,
    );

    conforms(
      'createConsumer',
      await http(u, 'POST', `/consumers/${group}`, { body: { format: 'xml' } }),
      422,
    );
    conforms('createConsumer', await http(u, 'POST', `/consumers/${group}`, { body: { unknown: 1 } }), 400);
    conforms(
      'createConsumer',
      await http(u, 'POST', `/consumers/${group}`, { body: { 'enable.auto.commit': 'yes' } }),
      400,
    );

    const base = `/consumers/${group}/instances/errs`;
    conforms(
      'createConsumer',
      await http(u, 'POST', `/consumers/${group}`, { body: { name: 'errs', format: 'text' } }),
      200,
    );
    conforms('poll', await http(u, 'GET', `${base}/records`, { accept: CT.text }), 500);
    conforms('subscribe', await http(u, 'POST', `${base}/subscription`, { body: {} }), 422);
    conforms(
      'subscribe',
      await http(u, 'POST', `${base}/subscription`, { body: { topics: [topic], topic_pattern: 'x' } }),
      409,
    );
    conforms('subscribe', await http(u, 'POST', `${base}/subscription`, { body: { topics: [topic] } }), 204);
    conforms(
      'assign',
      await http(u, 'POST', `${base}/assignments`, { body: { partitions: [{ topic, partition: 0 }] } }),
      409,
    );
    conforms('poll', await http(u, 'GET', `${base}/records`, { accept: CT.binary }), 406);
    conforms('poll', await http(u, 'GET', `${base}/records?timeout=abc`, { accept: CT.text }), 400);
    conforms(
      'seek',
      await http(u, 'POST', `${base}/positions`, { body: { offsets: [{ topic, partition: 9, offset: 0 }] } }),
      404,
    );
    conforms('deleteConsumer', await http(u, 'DELETE', base), 204);
  });

  test('every consumer operation of the contract was walked, with every status it documents', () => {
    expect([...walked.keys()].sort()).toEqual([...ops.keys()].sort());
    for (const [id, op] of ops) {
      const documented = Object.keys(op.responses).map(Number);
      expect({ id, statuses: [...(walked.get(id) ?? [])].sort() }).toEqual({
        id,
        statuses: expect.arrayContaining(documented),
      });
    }
  });
});
