import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import express, { type Request, type Response } from 'express';
import { BadReviewError, review } from './admission.js';
import type { InjectorConfig } from './config.js';
import type { Logger } from './log.js';
import type { WebhookMetrics } from './metrics.js';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/**
 * Where the serving certificate comes from: files on disk (`fileTlsSource`) or the self-bootstrap
 * from a Secret (webhook/bootstrap.ts). The server only serves `current()` and swaps on `onChange`.
 */
export interface TlsSource {
  current(): TlsMaterial;
  onChange(cb: (m: TlsMaterial) => void): () => void;
}

export interface ServerOptions {
  readonly config: InjectorConfig;
  readonly tls: TlsSource;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
  readonly port: number;
  readonly host?: string;
  /** Why the webhook should not receive traffic yet (e.g. caBundle not patched), or undefined when ready. */
  readonly notReadyReason?: () => string | undefined;
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  close(graceMs?: number): Promise<void>;
}

// etcd refuses objects over 1.5 MiB; a review carries the object once (oldObject is null on CREATE).
const BODY_LIMIT_BYTES = 3 * 1024 * 1024;
const BODY_LIMIT = '3mb';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Writes a JSON answer straight to node's response: express's res.json goes through res.send's
 * content-type negotiation, charset rewriting and freshness checks, which an API-server client never uses.
 */
function answer(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Why a body could not be read: the HTTP status and the reason given to the client. */
class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The request body as text, refused past BODY_LIMIT (before reading when Content-Length says so).
 * One buffer list and one decode: the review is parsed once, by JSON.parse, in the caller.
 */
function readBody(req: Request): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > BODY_LIMIT_BYTES) {
      req.resume();
      reject(new BodyError(413, `the body exceeds ${BODY_LIMIT}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        chunks.length = 0;
        reject(new BodyError(413, `the body exceeds ${BODY_LIMIT}`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

export function createApp(opts: Omit<ServerOptions, 'tls' | 'port' | 'host'>): express.Express {
  const { config, logger, metrics } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  const bad = (res: Response, start: bigint, status: number, message: string) => {
    metrics.admissions.inc({ outcome: 'invalid' });
    metrics.duration.observe(Number(process.hrtime.bigint() - start) / 1e9);
    logger.warn({ outcome: 'invalid', reason: message }, 'malformed AdmissionReview');
    answer(res, status, { error: message });
  };

  const admit = (text: string, res: Response) => {
    const start = process.hrtime.bigint();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return bad(res, start, 400, `the body is not valid JSON: ${(err as Error).message}`);
    }
    try {
      const { response, summary } = review(body, config);
      answer(res, 200, response);
      metrics.admissions.inc({ outcome: summary.outcome });
      metrics.duration.observe(Number(process.hrtime.bigint() - start) / 1e9);
      logger.info(summary, 'admission');
    } catch (err) {
      if (err instanceof BadReviewError) return bad(res, start, 400, err.message);
      // A bug of ours must not take the webhook down, nor fail the pod open silently: answer 500, log it.
      metrics.admissions.inc({ outcome: 'error' });
      logger.error({ err }, 'admission failed');
      answer(res, 500, { error: `bridge-injector internal error: ${(err as Error).message}` });
    }
  };

  // First route: the one every API-server call takes.
  app.post('/mutate', (req: Request, res: Response) => {
    readBody(req).then(
      (text) => admit(text, res),
      (err: Error) => {
        // A client that went away mid-body cannot be answered; one that sent too much can.
        if (!(err instanceof BodyError)) return;
        bad(res, process.hrtime.bigint(), err.status, err.message);
      },
    );
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const reason = opts.notReadyReason?.();
    if (reason) res.status(503).type('text/plain').send(`not ready: ${reason}\n`);
    else res.type('text/plain').send('ok\n');
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return app;
}

/** Starts the HTTPS server; resolves once it listens. The certificate follows `tls.onChange`. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const app = createApp(opts);
  const server = createServer({ ...opts.tls.current(), keepAliveTimeout: 65_000 }, app);
  // The API server keeps connections open and reuses them; idle ones are closed after keepAliveTimeout.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const unsubscribe = opts.tls.onChange((m) => {
    try {
      server.setSecureContext({ cert: m.cert, key: m.key });
      opts.metrics.tlsReloads.inc({ result: 'applied' });
      opts.logger.info({}, 'serving certificate reloaded');
    } catch (err) {
      opts.metrics.tlsReloads.inc({ result: 'rejected' });
      opts.logger.error({ err }, 'new serving certificate rejected; keeping the previous one');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    // Stops accepting, lets reviews in flight finish (the API server would count a cut connection as a
    // webhook failure, and with failurePolicy Fail refuse the pod), then drops what is left after graceMs.
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        unsubscribe();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/**
 * Certificate and key files, re-read when they change. The directory is watched, not the files:
 * a mounted Secret is updated by swapping a symlink, which a watch on the old file never sees.
 * A half-written or mismatched pair is ignored until the next change makes it whole.
 */
export function fileTlsSource(
  certFile: string,
  keyFile: string,
  logger?: Logger,
  pollMs = 30_000,
): TlsSource & { close(): void } {
  const read = (): TlsMaterial => ({
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
  });
  let current = read();
  createSecureContext(current); // fail at start, with the reason, on a bad pair
  const listeners = new Set<(m: TlsMaterial) => void>();
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    timer = undefined;
    let next: TlsMaterial;
    try {
      next = read();
      if (next.cert === current.cert && next.key === current.key) return;
      createSecureContext(next);
    } catch (err) {
      logger?.warn(
        { err: (err as Error).message, certFile, keyFile },
        'certificate files changed but do not load yet',
      );
      return;
    }
    current = next;
    for (const cb of listeners) cb(next);
  };
  const schedule = () => {
    if (timer === undefined) timer = setTimeout(check, 100);
  };
  const watchers: FSWatcher[] = [...new Set([dirname(certFile), dirname(keyFile)])].map((dir) =>
    watch(dir, { persistent: false }, schedule),
  );
  // fs.watch is not guaranteed everywhere (network filesystems): a slow poll backs it up.
  const poll = setInterval(schedule, pollMs);
  poll.unref();
  return {
    current: () => current,
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    close() {
      for (const w of watchers) w.close();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
    },
  };
}
