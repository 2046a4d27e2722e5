/**
 * The two express applications: the API (contract validation, then the routes of each resource)
 * and the management server (/healthy, /ready, /metrics, also mounted on the API).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ConsumerRegistry } from '../kafka/consumers.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import { type AdminRouteDeps, registerAdminRoutes } from './admin-routes.js';
import type { Contract } from './contract.js';
import { cors } from './cors.js';
import { errors, HttpError, sendError } from './errors.js';
import { type ManagementDeps, registerManagementRoutes } from './management-routes.js';
import { type ProducerRouteDeps, registerProducerRoutes } from './producer-routes.js';
import type { Validated } from './route.js';
import { registerTopicRoutes, type TopicRouteDeps } from './topic-routes.js';

export interface AppDeps extends ManagementDeps, ProducerRouteDeps, TopicRouteDeps, AdminRouteDeps {
  readonly contract: Contract;
  readonly log: Logger;
  readonly metrics: BridgeMetrics;
  readonly maxBodyBytes: number;
  readonly cors?: { readonly allowedOrigins: readonly string[]; readonly allowedMethods: readonly string[] };
  /**
   * The consumer registry, created on the first /consumers request: an idle sidecar that only
   * produces never loads the consumer machinery (issue 3, idle memory).
   */
  readonly consumers?: () => Promise<ConsumerRegistry>;
  readonly consumerEnabled: boolean;
}

/** Counts requests in progress, so graceful shutdown can wait for them. */
export class InFlight {
  private n = 0;
  private waiters: Array<() => void> = [];
  get count(): number {
    return this.n;
  }
  enter(): void {
    this.n++;
  }
  leave(): void {
    this.n--;
    if (this.n === 0) for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves when no request is in progress (or at once). */
  idle(): Promise<void> {
    return this.n === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

/** Request count and latency by route template and status; 5xx answers are logged. */
function observe(metrics: BridgeMetrics, log: Logger, inflight: InFlight) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    inflight.enter();
    metrics.httpActiveRequests.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inflight.leave();
      metrics.httpActiveRequests.dec();
      const v = res.locals.contract as Validated | undefined;
      const labels = { method: req.method, route: v?.op.path ?? 'unmatched', code: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
      if (res.statusCode >= 500)
        log.warn(
          { method: req.method, path: req.path, status: res.statusCode, error: res.locals.errorMessage },
          'request failed',
        );
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
}

/**
 * Validates every request that matches an operation of the contract: path and query
 * parameters, then (for operations with a body) the content type, size and JSON schema.
 * The parsed body is left in `req.body`, the coerced parameters in `res.locals.contract`.
 */
function validateFromContract(contract: Contract, maxBodyBytes: number) {
  const readBody = express.raw({ type: () => true, limit: maxBodyBytes });
  return (req: Request, res: Response, next: NextFunction): void => {
    let v: Validated;
    try {
      const m = contract.match(req.method, req.path);
      if (!m) {
        next();
        return;
      }
      res.locals.contract = { op: m.op, params: m.params, query: {} } satisfies Validated;
      if (m.error) throw m.error;
      v = { op: m.op, params: m.params, query: contract.query(m.op, req.query as Record<string, unknown>) };
      res.locals.contract = v;
    } catch (err) {
      sendError(res, err);
      return;
    }
    const body = v.op.body;
    if (!body) {
      next();
      return;
    }
    const length = req.get('content-length');
    const hasBody = req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
    if (!hasBody) {
      // The anchor's docs: a POST without a body must come without Content-Type (e.g. create a
      // consumer with defaults, commit everything fetched).
      if (body.required) sendError(res, errors.bodyRequired());
      else next();
      return;
    }
    const ct = req.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
    if (!ct || !body.schemas.has(ct)) {
      sendError(res, errors.unsupportedBodyFormat(req.get('content-type'), [...body.schemas.keys()]));
      return;
    }
    readBody(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { status?: number; type?: string; message?: string };
        if (e.status === 413 || e.type === 'entity.too.large')
          sendError(res, errors.bodyTooLarge(maxBodyBytes));
        else sendError(res, errors.bodyNotJson(e.message ?? String(err)));
        return;
      }
      const raw = req.body as Buffer | undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw && raw.length > 0 ? raw.toString('utf8') : 'null');
      } catch (parseErr) {
        sendError(res, errors.bodyNotJson((parseErr as Error).message));
        return;
      }
      contract.validateBody(v.op, ct, parsed).then(
        () => {
          req.body = parsed;
          if (raw) res.locals.contract = { ...v, rawBody: raw } satisfies Validated;
          next();
        },
        (verr: unknown) => sendError(res, verr),
      );
    });
  };
}

/**
 * The consumer API's routes, loaded with the registry on the first request under /consumers.
 * The routes keep their full paths, so the inner router sees the request as the outer one does.
 */
function lazyConsumerRoutes(
  registry: () => Promise<ConsumerRegistry>,
  consumerEnabled: boolean,
): (req: Request, res: Response, next: NextFunction) => void {
  let routes: Promise<express.Router> | undefined;
  return (req, res, next) => {
    if (req.path !== '/consumers' && !req.path.startsWith('/consumers/')) {
      next();
      return;
    }
    routes ??= Promise.all([import('./consumer-routes.js'), registry()]).then(([mod, consumers]) => {
      const r = express.Router();
      mod.registerConsumerRoutes(r, { consumers, consumerEnabled });
      return r;
    });
    routes.then(
      (r) => r(req, res, next),
      (err: unknown) => {
        routes = undefined;
        next(err);
      },
    );
  };
}

function notFound(_req: Request, res: Response): void {
  sendError(res, errors.routeNotFound());
}

function errorHandler(log: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (!(err instanceof HttpError)) log.error({ err }, 'unhandled error in a route');
    sendError(res, err);
  };
}

function baseApp(): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  return app;
}

export interface Apps {
  readonly api: express.Express;
  readonly management: express.Express;
  readonly inflight: InFlight;
}

export function createApps(deps: AppDeps): Apps {
  const inflight = new InFlight();

  const management = baseApp();
  management.use(observe(deps.metrics, deps.log, inflight));
  management.use((req, res, next) => {
    const m = deps.contract.match(req.method, req.path);
    if (m) res.locals.contract = { op: m.op, params: m.params, query: {} } satisfies Validated;
    next();
  });
  const mgmtRouter = express.Router();
  registerManagementRoutes(mgmtRouter, deps);
  management.use(mgmtRouter);
  management.use(notFound);
  management.use(errorHandler(deps.log));

  const api = baseApp();
  api.use(observe(deps.metrics, deps.log, inflight));
  if (deps.cors) api.use(cors(deps.cors));
  api.use(validateFromContract(deps.contract, deps.maxBodyBytes));
  const router = express.Router();
  registerManagementRoutes(router, deps);
  registerAdminRoutes(router, deps);
  registerTopicRoutes(router, deps);
  registerProducerRoutes(router, deps);
  // Consumer API (issue 4). Without a registry (tests of the producer side) its paths answer 404.
  if (deps.consumers) router.use(lazyConsumerRoutes(deps.consumers, deps.consumerEnabled));
  api.use(router);
  api.use(notFound);
  api.use(errorHandler(deps.log));

  return { api, management, inflight };
}
