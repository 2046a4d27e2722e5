/**
 * The bridge's configuration after parsing `bridge.properties`, applying environment overrides,
 * resolving placeholders and translating Java-client keys to librdkafka's. Everything downstream
 * (HTTP server, Kafka clients) reads only this.
 */
export interface HttpConfig {
  /** `http.host`, default `127.0.0.1`. A loopback host means both 127.0.0.1 and ::1 are bound. */
  readonly host: string;
  /** `http.port`, default 8080. */
  readonly port: number;
  /** `http.management.port`, default 8081; /healthy /ready /metrics on all interfaces. */
  readonly managementPort: number;
  readonly cors: {
    readonly enabled: boolean;
    readonly allowedOrigins: readonly string[];
    readonly allowedMethods: readonly string[];
  };
  /** `http.consumer.enabled` / `http.producer.enabled`, default true. */
  readonly consumerEnabled: boolean;
  readonly producerEnabled: boolean;
  /** `http.timeoutSeconds`: idle consumer instances are deleted after this; -1 = never. Default -1. */
  readonly timeoutSeconds: number;
  /** Largest request body accepted, in bytes (`http.maxBodyBytes`, our addition); larger gets 413. */
  readonly maxBodyBytes: number;
  /** Graceful-shutdown bound in ms (`bridge.shutdown.timeoutMs`, our addition), default 10000. */
  readonly shutdownTimeoutMs: number;
}

/** librdkafka settings (already translated, placeholder-free), one map per client kind. */
export type RdkafkaSettings = Readonly<Record<string, string>>;

export interface KafkaClientsConfig {
  /** `kafka.*` merged with `kafka.producer.*` (the specific prefix wins). */
  readonly producer: RdkafkaSettings;
  readonly consumer: RdkafkaSettings;
  readonly admin: RdkafkaSettings;
  /** The bootstrap address as configured, for error messages (never contains secrets). */
  readonly bootstrapServers: string;
  /**
   * `max.poll.records` (Java consumer setting, default 500): librdkafka has no equivalent, so the bridge
   * caps the records of each poll itself. Always set by loadConfig(); optional only so that hand-built
   * configs in tests need not spell it out.
   */
  readonly maxPollRecords?: number;
}

/** One line logged at start-up for a setting that has no librdkafka equivalent. */
export interface ConfigNotice {
  readonly key: string;
  readonly reason: string;
}

export interface BridgeConfig {
  /** `bridge.id`; generated consumer names are `<bridge.id>-<uuid>`. */
  readonly bridgeId: string;
  readonly http: HttpConfig;
  readonly kafka: KafkaClientsConfig;
  /** Settings ignored on purpose, each logged once at start-up. */
  readonly notices: readonly ConfigNotice[];
  /** Where the configuration came from: a file path, or `built-in defaults`. */
  readonly source: string;
  /** `log.level` (pino level), default `info`. */
  readonly logLevel: string;
}

/** An invalid configuration: start-up stops with `message`, which names the key and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
