/**
 * One running bridge: the shared producer, the admin/metadata client, the consumer registry and
 * the two HTTP servers, started from a BridgeConfig and stopped gracefully. main.ts is the CLI
 * around this; tests can start it in-process.
 */
import type { BridgeConfig } from '../config/types.js';
import { KafkaAdmin } from '../kafka/admin.js';
import type { ConsumerRegistry } from '../kafka/consumers.js';
import { SharedProducer } from '../kafka/producer.js';
import type { Logger } from '../log.js';
import { type BridgeMetrics, createMetrics } from '../metrics.js';
import { createApps } from './app.js';
import { Contract } from './contract.js';
import { HttpError } from './errors.js';
import { closeServers, listenAll, listenApi } from './listen.js';

export interface RunningBridge {
  readonly apiAddresses: readonly string[];
  readonly managementAddresses: readonly string[];
  readonly metrics: BridgeMetrics;
  /**
   * Graceful stop: no new connections, requests in progress finish, consumers are closed, the
   * producer is flushed and every Kafka client disconnected (a connected node-rdkafka client would
   * hold the process ~30 s). Bounded by `timeoutMs`.
   */
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly version: string;
  /** Leave out the management server (tests that only need the API port). */
  readonly managementServer?: boolean;
}

export async function startBridge(
  config: BridgeConfig,
  log: Logger,
  opts: StartOptions,
): Promise<RunningBridge> {
  const metrics = createMetrics();
  const contract = Contract.load();
  const clientId = config.bridgeId || 'kafka-bridge';
  const bootstrapServers = config.kafka.bootstrapServers;

  const producer: SharedProducer = new SharedProducer({
    settings: config.kafka.producer,
    bootstrapServers,
    clientId,
    log,
    metrics,
    topicCheck: (topic) =>
      admin.describeTopic(topic).then(
        () => undefined,
        (err: unknown) => (err instanceof HttpError ? err : undefined),
      ),
  });
  const admin: KafkaAdmin = new KafkaAdmin({
    settings: config.kafka.admin,
    bootstrapServers,
    clientId,
    log,
    metrics,
    knownUnreachable: () => (producer.state === 'unreachable' ? producer.unavailable() : undefined),
  });
  // Created on the first consumer request (see app.ts). One created while stopping is shut at
  // once, so it refuses new instances as the registry that was shut down would.
  let stopRequested = false;
  let consumers: Promise<ConsumerRegistry> | undefined;
  const consumerRegistry = (): Promise<ConsumerRegistry> => {
    consumers ??= import('../kafka/consumers.js').then(async ({ ConsumerRegistry }) => {
      const registry = new ConsumerRegistry({ config, log, metrics });
      if (stopRequested) await registry.shutdown(0);
      return registry;
    });
    return consumers;
  };

  let ready = false;
  const { api, management, inflight } = createApps({
    contract,
    log,
    metrics,
    producer,
    producerEnabled: config.http.producerEnabled,
    admin,
    version: opts.version,
    consumers: consumerRegistry,
    consumerEnabled: config.http.consumerEnabled,
    maxBodyBytes: config.http.maxBodyBytes,
    ...(config.http.cors.enabled
      ? {
          cors: {
            allowedOrigins: config.http.cors.allowedOrigins,
            allowedMethods: config.http.cors.allowedMethods,
          },
        }
      : {}),
    bootstrapServers,
    isReady: () => ready,
    probeKafka: () => (config.http.producerEnabled ? producer.probe() : admin.probe()),
  });

  // The producer connects in the background: the API is ready before Kafka answers, and a
  // request that needs Kafka meanwhile gets a 503 naming the bootstrap address.
  if (config.http.producerEnabled) producer.start();

  const apiListening = await listenApi(api, config.http.host, config.http.port, log);
  let mgmtListening: Awaited<ReturnType<typeof listenAll>> | undefined;
  try {
    if (opts.managementServer ?? true)
      mgmtListening = await listenAll(management, config.http.managementPort);
  } catch (err) {
    await closeServers(apiListening.servers, 0);
    await producer.close(1000);
    throw err;
  }
  ready = true;
  log.info(
    {
      api: apiListening.addresses,
      management: mgmtListening?.addresses ?? [],
      bootstrap: bootstrapServers,
      config: config.source,
    },
    'kafka-bridge ready',
  );

  let stopping: Promise<void> | undefined;
  const stop = (timeoutMs = config.http.shutdownTimeoutMs): Promise<void> => {
    stopping ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      const left = () => Math.max(0, deadline - Date.now());
      ready = false;
      log.info({ inflight: inflight.count, timeoutMs }, 'shutting down');
      // 1. stop accepting; requests in progress may take up to half the budget.
      const serversClosed = closeServers(
        [...apiListening.servers, ...(mgmtListening?.servers ?? [])],
        Math.floor(timeoutMs / 2),
      );
      await Promise.race([inflight.idle(), new Promise((r) => setTimeout(r, Math.floor(timeoutMs / 2)))]);
      // 2. consumers, 3. producer (flush, then disconnect), 4. admin clients.
      stopRequested = true;
      await consumers
        ?.then((c) => c.shutdown(Math.max(500, left() / 3)))
        .catch((err: unknown) => {
          log.warn({ err: (err as Error).message }, 'consumer shutdown failed');
        });
      await producer.close(Math.max(500, left() / 2));
      await admin.close(Math.max(500, left()));
      await serversClosed;
      log.info('stopped');
    })();
    return stopping;
  };

  return {
    apiAddresses: apiListening.addresses,
    managementAddresses: mgmtListening?.addresses ?? [],
    metrics,
    stop,
  };
}
