/**
 * Conformance with the Strimzi bridge contract (bridge/http/openapi.json, OpenAPI 3.1): walks every
 * operation of this issue's paths (topics, partitions, offsets, admin, info, openapi, management),
 * drives each to the answers it can give, and validates every response with ajv against the
 * contract's response schema for that status and media type. Errors the contract does not list
 * for an operation (400, 403, 413, 503...) must still be the contract's `Error` in
 * application/vnd.kafka.v2+json, as the anchor sends every error.
 *
 * Two defects of the contract itself are handled explicitly, never by loosening:
 * - `OffsetRecordSentList.offsets[]` is `oneOf [OffsetRecordSent, Error]`, but neither alternative
 *   has required properties, so every entry matches both and strict oneOf rejects any non-empty
 *   list. We validate against a stricter copy where OffsetRecordSent requires partition+offset and
 *   Error requires error_code+message: each entry must then match exactly one.
 * - `/openapi` declares `application/json` with schema `{type: string}` while the anchor (and we)
 *   serve the document as a JSON object; that body is compared with the contract file instead.
 * One deliberate addition of ours is checked explicitly: when a topic's configs cannot be read,
 * GET /topics/{t} carries `configs_unavailable` (why) instead of `configs`; the rest of the body
 * must still be a valid TopicMetadata.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { OpenApiDoc } from '../../bridge/http/contract.js';
import { compileSchema, createAjv, formatAjvErrors } from '../../bridge/http/schemas.js';
import { createTopic } from '../infra/kafka-admin.js';
import { requireKafka } from '../infra/state.js';
import { type BridgeProcess, CT, call, type Reply, startBridgeProcess } from './bridge-producer-harness.js';

jest.setTimeout(60_000);
const kafka = requireKafka();
const run = Math.random().toString(36).slice(2, 8);
const topic = `conf-${run}`;

const contractFile = join(process.cwd(), 'bridge/http/openapi.json');
const contractJson = JSON.parse(readFileSync(contractFile, 'utf8')) as OpenApiDoc;

/** The contract with the two alternatives of OffsetRecordSentList made mutually exclusive. */
function strictened(doc: OpenApiDoc): OpenApiDoc {
  const copy = JSON.parse(JSON.stringify(doc)) as OpenApiDoc;
  const s = copy.components.schemas as Record<string, Record<string, unknown>>;
  s.OffsetRecordSent!.required = ['partition', 'offset'];
  s.Error!.required = ['error_code', 'message'];
  return copy;
}

const doc = strictened(contractJson);
const ajv = createAjv(doc);
const errorSchema = compileSchema(ajv, { $ref: '#/components/schemas/Error' });

interface Op {
  method: string;
  path: string;
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}
const ops = new Map<string, Op>();
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, o] of Object.entries(item)) {
    if (method === 'parameters') continue;
    const op = o as { operationId: string; responses: Op['responses'] };
    ops.set(op.operationId, { method: method.toUpperCase(), path, responses: op.responses });
  }
}

/** This issue's operations: everything but the consumer API (issue 4). */
const ISSUE_OPERATIONS = [...ops.entries()]
  .filter(([, o]) => !o.path.startsWith('/consumers'))
  .map(([id]) => id)
  .sort();

const walked = new Map<string, Set<number>>();
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    v = compileSchema(ajv, schema);
    validators.set(key, v);
  }
  return v;
}

function conforms(operationId: string, reply: Reply): void {
  const op = ops.get(operationId);
  if (!op) throw new Error(`no operation ${operationId} in the contract`);
  const seen = walked.get(operationId) ?? new Set<number>();
  seen.add(reply.status);
  walked.set(operationId, seen);
  const documented = op.responses[String(reply.status)];
  const ct = reply.headers.get('content-type');
  if (reply.status === 204) {
    expect(reply.text).toBe('');
    return;
  }
  if (documented) {
    const media = Object.entries(documented.content ?? {});
    if (media.length === 0) return; // the contract documents no body for this status
    const [type, { schema }] = media[0]!;
    expect(ct?.split(';')[0]).toBe(type);
    if (!schema) return;
    if (operationId === 'openapi' || operationId === 'openapiv3') {
      expect(JSON.parse(reply.text)).toEqual(contractJson);
      return;
    }
    const body = type.startsWith('text/') ? reply.text : JSON.parse(reply.text);
    if (operationId === 'getTopic' && reply.status === 200 && 'configs_unavailable' in body) {
      // Our one addition, only when configs could not be read: then configs must be absent.
      expect(typeof body.configs_unavailable).toBe('string');
      expect(body.configs).toBeUndefined();
      delete body.configs_unavailable;
    }
    const v = validatorFor(schema);
    if (!v(body))
      throw new Error(
        `${operationId} ${reply.status}: ${formatAjvErrors(v.errors).join('; ')}\n${reply.text}`,
      );
    return;
  }
  // Not listed for this operation: must be an error, and every error is the contract's Error.
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(ct).toBe(CT.v2);
  const body = JSON.parse(reply.text);
  if (!errorSchema(body))
    throw new Error(`${operationId} ${reply.status}: ${formatAjvErrors(errorSchema.errors).join('; ')}`);
}

let bridge: BridgeProcess;
let url: string;

beforeAll(async () => {
  await createTopic(kafka, topic, 2);
  bridge = await startBridgeProcess({
    properties: `http.host=127.0.0.1\nkafka.bootstrap.servers=${kafka.plaintext}\nhttp.maxBodyBytes=4096\n`,
  });
  url = bridge.url;
});

afterAll(async () => {
  await bridge?.stop();
});

describe("every response of this issue's operations conforms to the contract", () => {
  test('info, openapi, management', async () => {
    conforms('info', await call(url, 'GET', '/'));
    conforms('openapi', await call(url, 'GET', '/openapi'));
    conforms('openapiv3', await call(url, 'GET', '/openapi/v3'));
    for (const base of [url, bridge.mgmtUrl]) {
      conforms('healthy', await call(base, 'GET', '/healthy'));
      conforms('ready', await call(base, 'GET', '/ready'));
      conforms('metrics', await call(base, 'GET', '/metrics'));
    }
  });

  test('createTopic: 201, 400 (schema), 400 (content type), 500 (exists)', async () => {
    conforms(
      'createTopic',
      await call(url, 'POST', '/admin/topics', {
        ct: CT.json,
        body: { topic_name: `${topic}-new`, partitions_count: 1 },
      }),
    );
    conforms(
      'createTopic',
      await call(url, 'POST', '/admin/topics', { ct: CT.json, body: { topic_name: 5, extra: 1 } }),
    );
    conforms(
      'createTopic',
      await call(url, 'POST', '/admin/topics', { ct: 'application/json', body: { topic_name: 'x' } }),
    );
    const exists = await call(url, 'POST', '/admin/topics', { ct: CT.json, body: { topic_name: topic } });
    expect(exists.status).toBe(500);
    conforms('createTopic', exists);
  });

  test('send: 200 in all three formats, with per-record errors, 204 async, 400, 413, 422', async () => {
    const bodies: Array<[string, unknown]> = [
      [
        CT.json,
        { records: [{ key: { k: 1 }, value: { v: [1, 2] }, headers: [{ key: 'h', value: 'aGk=' }] }] },
      ],
      [CT.binary, { records: [{ key: 'AAE=', value: '/w==' }] }],
      [
        CT.text,
        {
          records: [
            { value: 'text', timestamp: 1591897790000 },
            { value: 'bad', partition: 9 },
          ],
        },
      ],
      [CT.text, { records: [] }],
    ];
    for (const [ct, body] of bodies) {
      const r = await call(url, 'POST', `/topics/${topic}`, { ct, body });
      expect(r.status).toBe(200);
      conforms('send', r);
    }
    conforms(
      'send',
      await call(url, 'POST', `/topics/${topic}?async=true`, {
        ct: CT.text,
        body: { records: [{ value: 'a' }] },
      }),
    );
    conforms(
      'send',
      await call(url, 'POST', `/topics/${topic}`, { ct: CT.json, body: { records: [{ nope: 1 }] } }),
    );
    conforms(
      'send',
      await call(url, 'POST', `/topics/${topic}?async=perhaps`, { ct: CT.text, body: { records: [] } }),
    );
    conforms(
      'send',
      await call(url, 'POST', `/topics/${topic}`, {
        ct: CT.text,
        body: { records: [{ value: 'x'.repeat(5000) }] },
      }),
    );
    const t422 = await call(url, 'POST', `/topics/${topic}`, {
      ct: CT.text,
      body: { records: [{ value: ['not', 'text'] }] },
    });
    expect(t422.status).toBe(422);
    conforms('send', t422);
  });

  test('sendToPartition: 200, 200 with a per-record 404, 400', async () => {
    conforms(
      'sendToPartition',
      await call(url, 'POST', `/topics/${topic}/partitions/1`, {
        ct: CT.binary,
        body: { records: [{ value: 'AA==' }] },
      }),
    );
    const missing = await call(url, 'POST', `/topics/${topic}/partitions/7`, {
      ct: CT.text,
      body: { records: [{ value: 'x' }] },
    });
    expect(missing.body.offsets[0].error_code).toBe(404);
    conforms('sendToPartition', missing);
    conforms(
      'sendToPartition',
      await call(url, 'POST', `/topics/${topic}/partitions/0`, {
        ct: CT.json,
        body: { records: [{ value: 'x', partition: 0 }] },
      }),
    );
  });

  test('listTopics, getTopic (200, 404), listPartitions (200, 404)', async () => {
    conforms('listTopics', await call(url, 'GET', '/topics'));
    conforms('getTopic', await call(url, 'GET', `/topics/${topic}`));
    conforms('getTopic', await call(url, 'GET', `/topics/none-${run}`));
    conforms('listPartitions', await call(url, 'GET', `/topics/${topic}/partitions`));
    conforms('listPartitions', await call(url, 'GET', `/topics/none-${run}/partitions`));
  });

  test('getPartition (200, 404, 400) and getOffsets (200, 404)', async () => {
    conforms('getPartition', await call(url, 'GET', `/topics/${topic}/partitions/1`));
    conforms('getPartition', await call(url, 'GET', `/topics/${topic}/partitions/5`));
    conforms('getPartition', await call(url, 'GET', `/topics/${topic}/partitions/-3`));
    conforms('getOffsets', await call(url, 'GET', `/topics/${topic}/partitions/0/offsets`));
    conforms('getOffsets', await call(url, 'GET', `/topics/${topic}/partitions/3/offsets`));
  });

  test('every operation of this issue was walked, each with its success status', () => {
    expect([...walked.keys()].sort()).toEqual(ISSUE_OPERATIONS);
    const success: Record<string, number> = { createTopic: 201 };
    for (const id of ISSUE_OPERATIONS) expect(walked.get(id)).toContain(success[id] ?? 200);
  });
});
