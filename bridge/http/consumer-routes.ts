/**
 * The consumer endpoints of the contract (`/consumers/...`): HTTP in, one ConsumerRegistry or
 * ConsumerInstance call, HTTP out. Request bodies arrive schema-validated by the contract layer;
 * the checks here are the semantic ones the anchor makes in its handlers (409, 422, 406, 404).
 */
import type { Request, Response, Router } from 'express';
import { converterFor, mediaType } from '../formats/index.js';
import type { OffsetSpec } from '../kafka/consumer.js';
import type { ConsumerRegistry, CreateConsumerRequest } from '../kafka/consumers.js';
import { errors, KAFKA_JSON, sendError } from './errors.js';

export interface ConsumerRouteDeps {
  readonly consumers: ConsumerRegistry;
  /** `http.consumer.enabled`: when false every consumer endpoint answers 503. */
  readonly consumerEnabled: boolean;
}

/** The anchor's poll default (`timeout` query parameter, ms). */
export const DEFAULT_POLL_TIMEOUT_MS = 100;

type Handler = (req: Request, res: Response) => Promise<void>;

/** Request headers as a plain lookup, so the base_uri logic is a pure function. */
export interface BaseUriRequest {
  /** Lower-case header name to value. */
  header(name: string): string | undefined;
  /** `http` or `https`: how the request reached us. */
  readonly protocol: string;
  /** The request path, e.g. `/consumers/my-group`. */
  readonly path: string;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * `base_uri` of a new instance, as the anchor builds it (HttpSinkBridgeEndpoint.buildRequestUri):
 * scheme and host from the request, replaced by `Forwarded` (when it has both host= and proto=),
 * else by `X-Forwarded-Host` + `X-Forwarded-Proto` (when both are set); the path from
 * `X-Forwarded-Path` when set. A host without a port gets the scheme's default port.
 */
export function buildBaseUri(req: BaseUriRequest, name: string): string {
  let scheme = req.protocol;
  let host = req.header('host') ?? 'localhost';
  const path = nonEmpty(req.header('x-forwarded-path')) ?? req.path;
  const forwarded = nonEmpty(req.header('forwarded'));
  if (forwarded) {
    const h = /host=([^;,]+)/i.exec(forwarded);
    const p = /proto=([^;,]+)/i.exec(forwarded);
    if (h && p) {
      host = h[1]!.trim().replace(/^"|"$/g, '');
      scheme = p[1]!.trim().replace(/^"|"$/g, '');
    }
  } else {
    const xh = nonEmpty(req.header('x-forwarded-host'));
    const xp = nonEmpty(req.header('x-forwarded-proto'));
    if (xh && xp) {
      host = xh.split(',', 1)[0]!.trim();
      scheme = xp.split(',', 1)[0]!.trim();
    }
  }
  // An IPv6 literal keeps its brackets; the port is whatever follows the last colon outside them.
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  const hostname = m?.[1] ?? host;
  let port = m?.[2];
  if (port === undefined) {
    if (scheme === 'http') port = '80';
    else if (scheme === 'https') port = '443';
    else throw errors.invalidBaseUriScheme(scheme);
  }
  const sep = path.endsWith('/') ? '' : '/';
  return `${scheme}://${hostname}:${port}${path}${sep}instances/${encodeURIComponent(name)}`;
}

/** The request body as an object: parsed JSON, or undefined for an empty body. */
function bodyOf(req: Request): Record<string, unknown> | undefined {
  const b: unknown = req.body;
  if (b === undefined || b === null) return undefined;
  if (Buffer.isBuffer(b) || typeof b === 'string') {
    const text = b.toString();
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw errors.bodyNotJson((err as Error).message);
    }
  }
  if (typeof b === 'object' && Object.keys(b).length === 0 && !req.headers['content-length'])
    return undefined;
  return b as Record<string, unknown>;
}

/** A query parameter that must be a non-negative integer when present. */
function intParam(req: Request, name: string): number | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  const s = Array.isArray(raw) ? raw[0] : raw;
  if (typeof s !== 'string' || !/^\d+$/.test(s)) {
    throw errors.parameter(name, `must be a non-negative integer, got '${String(s)}'`);
  }
  return Number(s);
}

function partitionsOf(body: Record<string, unknown> | undefined): { topic: string; partition: number }[] {
  const list = body?.partitions;
  if (!Array.isArray(list))
    throw errors.schemaValidation(['The body must be {"partitions":[{"topic","partition"}]}']);
  return list.map((p: { topic?: unknown; partition?: unknown }, i) => {
    if (typeof p?.topic !== 'string' || !Number.isInteger(p?.partition)) {
      throw errors.schemaValidation([`partitions[${i}] needs a string topic and an integer partition`]);
    }
    return { topic: p.topic, partition: p.partition as number };
  });
}

function offsetsOf(body: Record<string, unknown> | undefined, required: boolean): OffsetSpec[] | undefined {
  if (body === undefined || body.offsets === undefined) {
    if (required)
      throw errors.schemaValidation(['The body must be {"offsets":[{"topic","partition","offset"}]}']);
    return undefined;
  }
  if (!Array.isArray(body.offsets)) throw errors.schemaValidation(['offsets must be an array']);
  return body.offsets.map((o: { topic?: unknown; partition?: unknown; offset?: unknown }, i) => {
    if (typeof o?.topic !== 'string' || !Number.isInteger(o?.partition) || !Number.isInteger(o?.offset)) {
      throw errors.schemaValidation([`offsets[${i}] needs a string topic and integer partition and offset`]);
    }
    return { topic: o.topic, partition: o.partition as number, offset: o.offset as number };
  });
}

function sendJson(res: Response, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.status(status);
  res.set('Content-Type', KAFKA_JSON);
  res.set('Content-Length', String(Buffer.byteLength(body)));
  res.end(body);
}

function noContent(res: Response): void {
  res.status(204).end();
}

export function registerConsumerRoutes(router: Router, deps: ConsumerRouteDeps): void {
  const { consumers } = deps;
  const route =
    (h: Handler) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        if (!deps.consumerEnabled) throw errors.consumerDisabled();
        await h(req, res);
      } catch (err) {
        sendError(res, err);
      }
    };
  const p = (req: Request, name: string): string => String(req.params[name]);
  const instance = (req: Request) => consumers.get(p(req, 'groupid'), p(req, 'name'));
  const base = '/consumers/:groupid/instances/:name';

  router.post(
    '/consumers/:groupid',
    route(async (req, res) => {
      const body = (bodyOf(req) ?? {}) as CreateConsumerRequest;
      const name = body.name ?? consumers.generateName();
      // Checked before creating anything: a base_uri we cannot build is an error, not a leak.
      const baseUri = buildBaseUri(
        { header: (h) => req.get(h), protocol: req.protocol, path: req.path },
        name,
      );
      const inst = await consumers.create(p(req, 'groupid'), { ...body, name });
      sendJson(res, 200, { instance_id: inst.name, base_uri: baseUri });
    }),
  );

  router.delete(
    base,
    route(async (req, res) => {
      await consumers.delete(p(req, 'groupid'), p(req, 'name'));
      noContent(res);
    }),
  );

  router.post(
    `${base}/subscription`,
    route(async (req, res) => {
      const inst = instance(req);
      const body = bodyOf(req) ?? {};
      const topics = body.topics;
      const pattern = body.topic_pattern;
      if (topics !== undefined && (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string'))) {
        throw errors.schemaValidation(['topics must be an array of strings']);
      }
      if (pattern !== undefined && typeof pattern !== 'string') {
        throw errors.schemaValidation(['topic_pattern must be a string']);
      }
      await inst.subscribe({
        ...(topics !== undefined ? { topics: topics as string[] } : {}),
        ...(pattern !== undefined ? { topic_pattern: pattern } : {}),
      });
      noContent(res);
    }),
  );

  router.get(
    `${base}/subscription`,
    route(async (req, res) => {
      sendJson(res, 200, await instance(req).listSubscription());
    }),
  );

  router.delete(
    `${base}/subscription`,
    route(async (req, res) => {
      await instance(req).unsubscribe();
      noContent(res);
    }),
  );

  router.post(
    `${base}/assignments`,
    route(async (req, res) => {
      const inst = instance(req);
      await inst.assign(partitionsOf(bodyOf(req)));
      noContent(res);
    }),
  );

  router.get(
    `${base}/records`,
    route(async (req, res) => {
      const inst = instance(req);
      const conv = converterFor(inst.format);
      const accepted = (req.get('accept') ?? '').split(',').map((a) => mediaType(a));
      if (!accepted.includes(conv.contentType)) throw errors.acceptMismatch();
      const timeoutMs = intParam(req, 'timeout') ?? DEFAULT_POLL_TIMEOUT_MS;
      const maxBytes = intParam(req, 'max_bytes') ?? Number.MAX_SAFE_INTEGER;
      const result = await inst.poll({ timeoutMs, maxBytes });
      res.status(200);
      res.set('Content-Type', conv.contentType);
      res.set('Content-Length', String(result.length));
      // The parts go out in one writev: the records are never copied into a single body.
      res.cork();
      for (const part of result.body) res.write(part);
      res.end();
    }),
  );

  router.post(
    `${base}/offsets`,
    route(async (req, res) => {
      const inst = instance(req);
      await inst.commit(offsetsOf(bodyOf(req), false));
      noContent(res);
    }),
  );

  router.post(
    `${base}/positions`,
    route(async (req, res) => {
      const inst = instance(req);
      await inst.seek(offsetsOf(bodyOf(req), true) ?? []);
      noContent(res);
    }),
  );

  for (const edge of ['beginning', 'end'] as const) {
    router.post(
      `${base}/positions/${edge}`,
      route(async (req, res) => {
        const inst = instance(req);
        await inst.seekToEdge(partitionsOf(bodyOf(req)), edge);
        noContent(res);
      }),
    );
  }
}
