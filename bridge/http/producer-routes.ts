/**
 * POST /topics/{t} and /topics/{t}/partitions/{p}: records in the request's embedded format ->
 * Kafka bytes -> the shared producer -> `{offsets:[...]}` in request order, each entry a
 * partition/offset or that record's error. `?async=true` answers 204 without waiting.
 */
import type { Request, Response, Router } from 'express';
import {
  converterFor,
  formatFromContentType,
  type HttpProducerRecord,
  toKafkaRecord,
} from '../formats/index.js';
import { verbatimRecords } from '../formats/json-verbatim.js';
import type { SharedProducer } from '../kafka/producer.js';
import { errors } from './errors.js';
import { sendJson, sendNoContent } from './respond.js';
import { route, validated } from './route.js';

/** How long a produce request waits for a producer that is still connecting (start-up). */
export const CONNECTING_WAIT_MS = 5_000;

export interface ProducerRouteDeps {
  readonly producer: SharedProducer;
  /** `http.producer.enabled`: when false both endpoints answer 503. */
  readonly producerEnabled: boolean;
}

export function registerProducerRoutes(router: Router, deps: ProducerRouteDeps): void {
  const handler = route(async (req: Request, res: Response) => {
    if (!deps.producerEnabled) throw errors.producerDisabled();
    const { params, query, rawBody } = validated(res);
    const topic = String(params.topicname);
    const pathPartition = params.partitionid === undefined ? undefined : Number(params.partitionid);
    // The contract middleware accepted the content type, so it names a format.
    const format = formatFromContentType(req.get('content-type'));
    if (!format) throw errors.unsupportedBodyFormat(req.get('content-type'), []);
    const conv = converterFor(format);
    const body = req.body as { records?: HttpProducerRecord[] };
    // Compact JSON values go to Kafka as the request's own bytes (json-verbatim.ts).
    const verbatim = format === 'json' && rawBody ? verbatimRecords(rawBody) : undefined;
    const records = (body.records ?? []).map((r, i) => toKafkaRecord(conv, r, i, verbatim));
    // Right after start the producer may still be connecting: give it a moment rather than a 503.
    if (deps.producer.state === 'connecting') await deps.producer.waitConnected(CONNECTING_WAIT_MS);
    await deps.producer.recheck();
    const unavailable = deps.producer.unreachable();
    if (unavailable) throw unavailable;
    if (query.async === true) {
      deps.producer.sendAsync(topic, records, pathPartition);
      sendNoContent(res);
      return;
    }
    const offsets = await deps.producer.send(topic, records, pathPartition);
    sendJson(res, 200, { offsets });
  });
  router.post('/topics/:topicname', handler);
  router.post('/topics/:topicname/partitions/:partitionid', handler);
}
