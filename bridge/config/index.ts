/**
 * The bridge's configuration: `--config-file` (or the built-in defaults), environment overrides,
 * placeholders, then typed values and one librdkafka map per Kafka client.
 *
 * Environment override rule (the Strimzi bridge's ConfigRetriever): every environment variable whose name
 * is a configuration key, i.e. starts with `bridge.`, `http.`, `kafka.` or `log.`, replaces that key of the
 * file. Names are taken verbatim (Kubernetes allows dots in env names): `kafka.producer.acks=all` in the
 * container's env beats the ConfigMap. Other variables are only read through `${env:NAME}` placeholders.
 *
 * Placeholders are resolved in every value (the Java bridge resolves them in `kafka.*` only, through Kafka
 * config providers; doing it everywhere lets e.g. `http.port=${env:PORT}` work too).
 */
import { readFileSync } from 'node:fs';
import { httpConfig, IGNORED_BRIDGE_KEYS, KNOWN_KEYS, logLevelFrom } from './bridge-keys.js';
import { BUILT_IN_SOURCE, builtInProperties, DEFAULTS } from './defaults.js';
import {
  describeReadError,
  isProviderKey,
  type PlaceholderContext,
  providersFrom,
  type ReadFile,
  resolvePlaceholders,
} from './placeholders.js';
import { PropertiesSyntaxError, parseProperties } from './properties.js';
import { type ClientKind, type ClientSetting, translateClient } from './translate.js';
import { type BridgeConfig, ConfigError, type ConfigNotice } from './types.js';

export { BUILT_IN_SOURCE, builtInProperties } from './defaults.js';
export { CONFIG_KEYS, type ConfigKeyDoc, configKeysMarkdown, describeConfigKeys } from './docs.js';
export { isSecretKey, redact } from './translate.js';
export type { BridgeConfig, ConfigNotice, HttpConfig, KafkaClientsConfig, RdkafkaSettings } from './types.js';
export { ConfigError } from './types.js';

export interface LoadConfigOptions {
  /** Command-line arguments after the program name; default `process.argv.slice(2)`. */
  readonly argv?: readonly string[];
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file as UTF-8 (config file and `${file:}`/`${dir:}` placeholders); default fs.readFileSync. */
  readonly readFile?: ReadFile;
}

/** `--config-file PATH` or `--config-file=PATH`; undefined when absent. Other arguments are not ours. */
export function configFileFromArgv(argv: readonly string[]): string | undefined {
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config-file') {
      const next = argv[i + 1];
      if (next === undefined || next === '' || next.startsWith('--')) {
        throw new ConfigError(
          '--config-file',
          '--config-file: needs a path (--config-file /path/to/bridge.properties)',
        );
      }
      path = next;
      i++;
    } else if (arg.startsWith('--config-file=')) {
      path = arg.slice('--config-file='.length);
      if (path === '') {
        throw new ConfigError(
          '--config-file',
          '--config-file: needs a path (--config-file /path/to/bridge.properties)',
        );
      }
    }
  }
  return path;
}

const OVERRIDABLE = /^(?:bridge|http|kafka|log)\./;

const CLIENTS: readonly ClientKind[] = ['producer', 'consumer', 'admin'];

function configText(path: string | undefined, env: LoadConfigOptions['env'], readFile: ReadFile): string {
  if (path === undefined) return builtInProperties(env ?? {});
  try {
    return readFile(path);
  } catch (err) {
    throw new ConfigError('--config-file', `--config-file: ${path} ${describeReadError(err)}`);
  }
}

/** Reads, merges, resolves and translates the configuration; throws ConfigError with a one-line message. */
export function loadConfig(options: LoadConfigOptions = {}): BridgeConfig {
  const argv = options.argv ?? process.argv.slice(2);
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));

  const path = configFileFromArgv(argv);
  const source = path ?? BUILT_IN_SOURCE;
  let raw: Map<string, string>;
  try {
    raw = parseProperties(configText(path, env, readFile));
  } catch (err) {
    if (err instanceof PropertiesSyntaxError) {
      throw new ConfigError('--config-file', `${source}: ${err.message}`);
    }
    throw err;
  }
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && OVERRIDABLE.test(name)) raw.set(name, value);
  }

  const { providers, unsupported } = providersFrom(raw);
  const ctx: PlaceholderContext = { env, readFile, providers, unsupported };
  const config = new Map<string, string>();
  for (const [key, value] of raw) {
    if (isProviderKey(key)) continue; // understood above, never passed on
    config.set(key, resolvePlaceholders(key, value, ctx));
  }

  const notices: ConfigNotice[] = [];
  const get = (key: string) => config.get(key);
  const bridgeId = get('bridge.id')?.trim() || DEFAULTS.bridgeId;
  const http = httpConfig(get);
  const logLevel = logLevelFrom(get('log.level'));

  const common = new Map<string, ClientSetting>();
  const specific: Record<ClientKind, Map<string, ClientSetting>> = {
    producer: new Map(),
    consumer: new Map(),
    admin: new Map(),
  };
  for (const [key, value] of config) {
    const kafka = /^kafka\.(?:(producer|consumer|admin)\.)?(.+)$/.exec(key);
    if (kafka) {
      const client = kafka[1] as ClientKind | undefined;
      const name = kafka[2]!;
      if (client) specific[client].set(name, { value, source: key, specific: true });
      else common.set(name, { value, source: key, specific: false });
      continue;
    }
    if (KNOWN_KEYS.has(key)) continue;
    const ignored = IGNORED_BRIDGE_KEYS.get(key);
    if (ignored) notices.push({ key, reason: ignored });
    else if (key.startsWith('http.ssl.'))
      notices.push({ key, reason: 'ignored: TLS on the HTTP API is not supported' });
    else notices.push({ key, reason: 'unknown setting, ignored' });
  }

  const clients = {} as Record<ClientKind, ReturnType<typeof translateClient>>;
  for (const kind of CLIENTS) {
    const merged = new Map(common);
    for (const [name, setting] of specific[kind]) merged.set(name, setting);
    // client.id defaults (bridge.id for producer and admin, the instance name for consumers) are set
    // where the clients are created, below whatever the user configured.
    clients[kind] = translateClient(kind, merged);
    notices.push(...clients[kind].notices);
  }

  const enabled: Record<ClientKind, boolean> = {
    producer: http.producerEnabled,
    consumer: http.consumerEnabled,
    admin: true,
  };
  for (const kind of CLIENTS) {
    if (enabled[kind] && clients[kind].settings['bootstrap.servers'] === undefined) {
      const hint = path === undefined ? ' (the built-in defaults take it from BOOTSTRAP_SERVERS)' : '';
      throw new ConfigError(
        'kafka.bootstrap.servers',
        `kafka.bootstrap.servers: not set for the ${kind}${hint}; allowed: host:port[,host:port...]`,
      );
    }
  }

  return {
    bridgeId,
    http,
    kafka: {
      producer: clients.producer.settings,
      consumer: clients.consumer.settings,
      admin: clients.admin.settings,
      bootstrapServers:
        clients.admin.settings['bootstrap.servers'] ?? clients.producer.settings['bootstrap.servers'] ?? '',
      maxPollRecords: clients.consumer.maxPollRecords!,
    },
    notices: dedupe(notices),
    source,
    logLevel,
  };
}

function dedupe(notices: readonly ConfigNotice[]): ConfigNotice[] {
  const seen = new Set<string>();
  return notices.filter((n) => {
    const id = `${n.key}\u0000${n.reason}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
