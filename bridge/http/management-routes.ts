/**
 * /healthy, /ready and /metrics: served on the management port (all interfaces, for kubelet
 * probes and Prometheus) and on the API port.
 *
 * /ready is 200 as soon as the API listens, as in the anchor: a sidecar that turned unready
 * whenever Kafka blinked would take the whole pod out of its Services, even when the app does
 * not need Kafka at that moment. Whether Kafka answers is a separate question:
 * `GET /ready?kafka=true` asks a broker for metadata and answers 200 or 503 (naming the bootstrap
 * address), and the gauge `strimzi_bridge_kafka_reachable` keeps the last answer.
 */
import type { Request, Response, Router } from 'express';
import type { BridgeMetrics } from '../metrics.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';
import { errors, sendError } from './errors.js';
import { sendJson } from './respond.js';

export interface ManagementDeps {
  readonly metrics: BridgeMetrics;
  /** True once the API server listens, false again once shutdown began. */
  isReady(): boolean;
  /** A live broker check. */
  probeKafka(): Promise<{ ok: true } | { ok: false; error: string }>;
  readonly bootstrapServers: string;
}

export function registerManagementRoutes(router: Router, deps: ManagementDeps): void {
  router.get('/healthy', (_req: Request, res: Response) => {
    res.status(200).end();
  });

  router.get('/ready', async (req: Request, res: Response) => {
    if (!deps.isReady()) {
      res.status(500).end();
      return;
    }
    if (req.query.kafka !== 'true') {
      res.status(200).end();
      return;
    }
    const r = await deps.probeKafka();
    if (r.ok) sendJson(res, 200, { kafka: 'reachable', bootstrap_servers: deps.bootstrapServers });
    else sendError(res, errors.kafkaUnreachable(deps.bootstrapServers, r.error));
  });

  router.get('/metrics', async (_req: Request, res: Response) => {
    const text = await deps.metrics.registry.metrics();
    res.status(200);
    res.set('Content-Type', METRICS_CONTENT_TYPE);
    res.end(text);
  });
}
