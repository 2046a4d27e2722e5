import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, type SettingName } from './settings.js';

/**
 * The webhook's own configuration file (YAML or JSON; the Helm chart renders it from its values).
 * `defaults` holds the cluster-wide value of every `bridge.strimzi/*` annotation; a pod's
 * annotation wins over it.
 */
export interface InjectorConfig {
  /** Name of the injected container (and prefix of its volume). */
  readonly containerName: string;
  /** The webhook's own namespace: never injected. From the file, else `$POD_NAMESPACE`. */
  readonly namespace: string | null;
  /** Namespaces never injected on top of kube-system, kube-public, kube-node-lease and `namespace`. */
  readonly excludedNamespaces: readonly string[];
  /** Seconds the `wait-ready` postStart hook waits for the bridge when `native-sidecar` is false. */
  readonly waitReadyTimeoutSeconds: number;
  /** Cluster-wide defaults as raw annotation values, already validated one by one. */
  readonly defaults: Readonly<Partial<Record<SettingName, string>>>;
}

export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

const ALWAYS_EXCLUDED = ['kube-system', 'kube-public', 'kube-node-lease'] as const;

const defaultsSchemaProperties = Object.fromEntries(
  SETTINGS.map((s) => [
    s.configKey,
    { type: s.kind === 'boolean' ? 'boolean' : s.kind === 'port' ? 'integer' : 'string' },
  ]),
);

// Shape only (types, unknown keys); the values go through the very parsers the annotations use, so a
// default can never be something a pod annotation could not say.
const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    containerName: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    namespace: { type: 'string', minLength: 1 },
    excludedNamespaces: { type: 'array', items: { type: 'string', minLength: 1 } },
    waitReadyTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
    defaults: { type: 'object', additionalProperties: false, properties: defaultsSchemaProperties },
  },
} as const;

const ajv = new Ajv({ allErrors: true });
const validateShape = ajv.compile(schema);

export const BUILT_IN_DEFAULTS: Readonly<Partial<Record<SettingName, string>>> = Object.fromEntries(
  SETTINGS.filter((s) => s.builtIn !== undefined).map((s) => [s.name, s.builtIn as string]),
);

/** Parses and validates a configuration document; throws ConfigFileError naming the key and what is allowed. */
export function parseConfig(text: string, source = 'configuration', env = process.env): InjectorConfig {
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : parseYaml(text);
  } catch (err) {
    throw new ConfigFileError(`${source}: not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!validateShape(doc)) {
    const problems = (validateShape.errors ?? []).map((e) => {
      const where = `${e.instancePath.replace(/^\//, '').replaceAll('/', '.')}` || '(top level)';
      if (e.keyword === 'additionalProperties') {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys(
          where === '(top level)' ? schema.properties : where === 'defaults' ? defaultsSchemaProperties : {},
        );
        return `${where === '(top level)' ? '' : `${where}.`}${extra}: unknown key (allowed: ${allowed.join(', ')})`;
      }
      return `${where}: ${e.message}`;
    });
    throw new ConfigFileError(`${source}: ${problems.join('; ')}`);
  }
  const file = doc as {
    containerName?: string;
    namespace?: string;
    excludedNamespaces?: string[];
    waitReadyTimeoutSeconds?: number;
    defaults?: Record<string, string | number | boolean>;
  };
  const defaults: Partial<Record<SettingName, string>> = { ...BUILT_IN_DEFAULTS };
  const problems: string[] = [];
  for (const s of SETTINGS) {
    const v = file.defaults?.[s.configKey];
    if (v === undefined) continue;
    const raw = String(v);
    const problem = s.check(raw);
    if (problem) problems.push(`defaults.${s.configKey}: ${JSON.stringify(raw)} is not allowed: ${problem}`);
    else defaults[s.name] = raw;
  }
  if (problems.length > 0) throw new ConfigFileError(`${source}: ${problems.join('; ')}`);
  return {
    containerName: file.containerName ?? 'kafka-bridge',
    namespace: file.namespace ?? env.POD_NAMESPACE ?? null,
    excludedNamespaces: file.excludedNamespaces ?? [],
    waitReadyTimeoutSeconds: file.waitReadyTimeoutSeconds ?? 60,
    defaults,
  };
}

export function loadConfig(file: string | undefined, env = process.env): InjectorConfig {
  if (file === undefined) return parseConfig('', 'built-in configuration', env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError(`--config ${file}: cannot read: ${(err as Error).message}`);
  }
  return parseConfig(text, file, env);
}

/** True when pods in `namespace` must never be touched, whatever they ask. */
export function isExcludedNamespace(config: InjectorConfig, namespace: string): boolean {
  return (
    (ALWAYS_EXCLUDED as readonly string[]).includes(namespace) ||
    namespace === config.namespace ||
    config.excludedNamespaces.includes(namespace)
  );
}
