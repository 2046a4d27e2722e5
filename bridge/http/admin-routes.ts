/** POST /admin/topics, GET / (bridge info), GET /openapi and /openapi/v3 (the contract). */
import type { Request, Response, Router } from 'express';
import type { KafkaAdmin, NewTopicSpec } from '../kafka/admin.js';
import { contractText } from './contract.js';
import { errors } from './errors.js';
import { sendJson } from './respond.js';
import { route } from './route.js';

export interface AdminRouteDeps {
  readonly admin: KafkaAdmin;
  readonly version: string;
}

/** The contract, with `basePath` injected when a proxy says where it mounted us (as the anchor). */
export function openapiBody(forwardedPath: string | undefined): string {
  const text = contractText();
  if (!forwardedPath) return text;
  const doc = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify({ ...doc, basePath: forwardedPath });
}

export function registerAdminRoutes(router: Router, deps: AdminRouteDeps): void {
  router.post(
    '/admin/topics',
    route(async (req: Request, res: Response) => {
      const spec = req.body as NewTopicSpec;
      if (spec.topic_name === '') throw errors.emptyNewTopic();
      await deps.admin.createTopic(spec);
      sendJson(res, 201, {});
    }),
  );

  router.get('/', (_req: Request, res: Response) => {
    sendJson(res, 200, { bridge_version: deps.version }, 'application/json');
  });

  const openapi = (req: Request, res: Response) => {
    const body = openapiBody(req.get('x-forwarded-path') ?? req.get('x-forwarded-prefix'));
    res.status(200);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', String(Buffer.byteLength(body)));
    res.end(body);
  };
  router.get('/openapi', openapi);
  router.get('/openapi/v3', openapi);
}
