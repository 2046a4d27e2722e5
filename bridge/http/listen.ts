/**
 * Binding the HTTP servers. A loopback API host means BOTH 127.0.0.1 and ::1, so
 * `curl localhost:8080` works whichever address family the client tries first (the scenario's
 * "Connection refused" on ::1). The management server listens on all interfaces.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from '../log.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase());
}

/** The addresses to bind for a configured host (pure). */
export function bindAddresses(host: string): string[] {
  if (isLoopback(host)) return ['127.0.0.1', '::1'];
  return [host.replace(/^\[(.*)\]$/, '$1')];
}

function listenOne(handler: RequestListener, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    // Keep-alive clients (autocannon, HTTP client pools) reuse connections; keep them longer
    // than the usual 5 s so a pause between bursts does not cost a reconnect.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export interface Listening {
  readonly servers: readonly Server[];
  /** `host:port` of each bound address, for the start-up log. */
  readonly addresses: readonly string[];
}

/**
 * Listens on every address of `host`. For the loopback pair, ::1 may be missing (IPv6 disabled
 * in the pod): that is logged and tolerated, 127.0.0.1 is not optional.
 */
export async function listenApi(
  handler: RequestListener,
  host: string,
  port: number,
  log: Logger,
): Promise<Listening> {
  const addrs = bindAddresses(host);
  const servers: Server[] = [];
  const addresses: string[] = [];
  for (const a of addrs) {
    try {
      const s = await listenOne(handler, a, port);
      servers.push(s);
      addresses.push(a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (a === '::1' && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) {
        log.warn({ address: a, code }, 'IPv6 loopback not available; listening on 127.0.0.1 only');
        continue;
      }
      await closeServers(servers, 0);
      throw err;
    }
  }
  return { servers, addresses };
}

/** All interfaces: `::` (dual-stack where the kernel allows), else 0.0.0.0. */
export async function listenAll(handler: RequestListener, port: number): Promise<Listening> {
  try {
    return { servers: [await listenOne(handler, '::', port)], addresses: [`[::]:${port}`] };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
    return { servers: [await listenOne(handler, '0.0.0.0', port)], addresses: [`0.0.0.0:${port}`] };
  }
}

/**
 * Stops accepting, lets requests in progress finish, then closes what is left after `graceMs`.
 * Idle keep-alive connections are closed at once so they do not hold the process.
 */
export async function closeServers(servers: readonly Server[], graceMs: number): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (!s.listening) {
            resolve();
            return;
          }
          const t = setTimeout(() => s.closeAllConnections(), graceMs);
          s.close(() => {
            clearTimeout(t);
            resolve();
          });
          s.closeIdleConnections();
        }),
    ),
  );
}
