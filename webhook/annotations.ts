import type { InjectorConfig } from './config.js';
import {
  type AuthMechanism,
  type LogLevel,
  PREFIX,
  quantityValue,
  SETTING_BY_ANNOTATION,
  SETTINGS,
  type SettingName,
  STATUS_ANNOTATION,
} from './settings.js';

/** How the bridge authenticates to Kafka. Each mechanism carries exactly the Secret it needs. */
export type Auth =
  | { readonly mechanism: 'tls'; readonly userSecret: string }
  | { readonly mechanism: 'scram-sha-512'; readonly userSecret: string; readonly username: string }
  | { readonly mechanism: 'none' };

export interface Resources {
  readonly requests: Readonly<{ cpu?: string; memory?: string }>;
  readonly limits: Readonly<{ cpu?: string; memory?: string }>;
}

/** Everything needed to build the sidecar, validated. */
export interface InjectionSpec {
  readonly containerName: string;
  readonly image: string;
  readonly bootstrapServers: string;
  /** Secret holding `ca.crt` (the cluster CA), or null: the bridge then trusts the system CAs. */
  readonly caSecret: string | null;
  readonly auth: Auth;
  /** ConfigMap holding `bridge.properties`, or null: the bridge runs on its built-in defaults. */
  readonly configMap: string | null;
  readonly port: number;
  readonly managementPort: number;
  readonly resources: Resources;
  readonly logLevel: LogLevel;
  /** native: an init container with restartPolicy Always; first: the first regular container. */
  readonly placement: { readonly kind: 'native' } | { readonly kind: 'first'; readonly waitSeconds: number };
}

export type Resolution =
  | { readonly kind: 'skip'; readonly warnings: readonly string[] }
  | { readonly kind: 'inject'; readonly spec: InjectionSpec; readonly warnings: readonly string[] }
  | { readonly kind: 'deny'; readonly errors: readonly string[]; readonly warnings: readonly string[] };

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function unknownKeyWarning(key: string): string {
  const suffix = key.slice(PREFIX.length);
  let best: string | undefined;
  let bestDistance = 3;
  for (const s of SETTINGS) {
    const d = editDistance(suffix, s.name);
    if (d < bestDistance) {
      best = s.annotation;
      bestDistance = d;
    }
  }
  return `unknown annotation ${key} ignored${best ? ` (did you mean ${best}?)` : ''}`;
}

/** The Auth for `mechanism`, or the error when the user it needs is missing. */
function resolveAuth(mechanism: AuthMechanism = 'tls', user: string | undefined): Auth | string {
  if (mechanism === 'none') return { mechanism };
  if (user === undefined) {
    return `annotation ${PREFIX}user is required when ${PREFIX}auth is ${mechanism}: the KafkaUser whose Secret holds ${
      mechanism === 'tls' ? 'user.crt and user.key' : 'password'
    } (or set ${PREFIX}auth: none)`;
  }
  return mechanism === 'tls'
    ? { mechanism, userSecret: user }
    : { mechanism, userSecret: user, username: user };
}

// Resolutions already computed, per configuration, keyed on the pod's bridge.strimzi/* annotations (the only
// ones read). Pods of one Deployment carry the same annotations, so most reviews are a hit; the results are
// deep-frozen and shared, which also lets buildSidecar memoize on the spec's identity. Bounded: cleared when
// full, and annotations too long to be worth a key are resolved every time.
const CACHE_ENTRIES = 256;
const CACHE_KEY_CHARS = 4096;
const resolved = new WeakMap<InjectorConfig, Map<string, Resolution>>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Pod annotations + cluster defaults -> what to inject, or why not. Pure: reads nothing but its arguments
 * (the result is deep-frozen and may be shared between calls with the same arguments).
 * Every bad value is reported at once, each naming the annotation (or the default), the value and what is allowed.
 */
export function resolveInjection(
  annotations: Readonly<Record<string, string>> | undefined,
  config: InjectorConfig,
): Resolution {
  let key = '';
  if (annotations !== undefined) {
    for (const k of Object.keys(annotations)) {
      if (!k.startsWith(PREFIX)) continue;
      const v = annotations[k]!;
      // Length-prefixed, so no two different annotation sets share a key.
      key += `${k.length}:${k}${v.length}:${v}`;
      if (key.length > CACHE_KEY_CHARS) return deepFreeze(resolve(annotations, config));
    }
  }
  let byKey = resolved.get(config);
  if (byKey === undefined) {
    byKey = new Map();
    resolved.set(config, byKey);
  }
  const hit = byKey.get(key);
  if (hit !== undefined) return hit;
  const r = deepFreeze(resolve(annotations, config));
  if (byKey.size >= CACHE_ENTRIES) byKey.clear();
  byKey.set(key, r);
  return r;
}

function resolve(
  annotations: Readonly<Record<string, string>> | undefined,
  config: InjectorConfig,
): Resolution {
  const ann = annotations ?? {};
  const errors: string[] = [];
  const warnings: string[] = [];
  const values = new Map<SettingName, string>();
  // A setting given with a bad value: already reported, so no follow-on "is required" error.
  const invalid = new Set<SettingName>();

  const inject = ann[`${PREFIX}inject`] ?? config.defaults.inject ?? 'false';
  if (!/^(true|false)$/i.test(inject)) {
    return {
      kind: 'deny',
      errors: [
        `annotation ${PREFIX}inject: ${JSON.stringify(inject)} is not allowed: allowed: "true" or "false"`,
      ],
      warnings,
    };
  }
  if (inject.toLowerCase() !== 'true') return { kind: 'skip', warnings };

  for (const key of Object.keys(ann)) {
    if (!key.startsWith(PREFIX) || key === STATUS_ANNOTATION) continue;
    if (!SETTING_BY_ANNOTATION.has(key)) warnings.push(unknownKeyWarning(key));
  }
  for (const s of SETTINGS) {
    const fromPod = ann[s.annotation];
    if (fromPod !== undefined) {
      const problem = s.check(fromPod);
      if (problem) {
        errors.push(`annotation ${s.annotation}: ${JSON.stringify(fromPod)} is not allowed: ${problem}`);
        invalid.add(s.name);
        continue;
      }
      values.set(s.name, fromPod);
    } else if (config.defaults[s.name] !== undefined) {
      values.set(s.name, config.defaults[s.name]!);
    }
  }
  const get = (n: SettingName): string | undefined => values.get(n);
  const source = (n: SettingName): string =>
    ann[`${PREFIX}${n}`] !== undefined
      ? `annotation ${PREFIX}${n}`
      : `default ${SETTINGS.find((s) => s.name === n)!.configKey}`;

  const cluster = get('cluster');
  const bootstrapServers =
    get('bootstrap-servers') ?? (cluster ? `${cluster}-kafka-bootstrap:9093` : undefined);
  if (bootstrapServers === undefined && !invalid.has('cluster') && !invalid.has('bootstrap-servers')) {
    errors.push(
      `annotation ${PREFIX}cluster or ${PREFIX}bootstrap-servers is required: the injector's configuration names no default Kafka cluster`,
    );
  }
  const caSecret = get('ca-secret') ?? (cluster ? `${cluster}-cluster-ca-cert` : null);
  if (get('ca-secret') !== undefined) {
    warnings.push(
      `${PREFIX}ca-secret: Secret ${JSON.stringify(caSecret)} must hold key ca.crt (not checked at admission)`,
    );
  }

  const auth = invalid.has('auth')
    ? undefined
    : resolveAuth(get('auth') as AuthMechanism | undefined, get('user'));
  if (typeof auth === 'string') {
    if (!invalid.has('user')) errors.push(auth);
  } else if (auth?.mechanism === 'tls' && caSecret === null && bootstrapServers !== undefined) {
    warnings.push(
      `${PREFIX}auth tls without ${PREFIX}cluster or ${PREFIX}ca-secret: the bridge trusts the system CAs`,
    );
  }

  const port = Number(get('port'));
  const managementPort = Number(get('management-port'));
  if (port === managementPort) {
    errors.push(
      `${source('management-port')}: ${managementPort} is not allowed: it must differ from ${PREFIX}port (${port})`,
    );
  }

  const resources = {
    requests: {} as { cpu?: string; memory?: string },
    limits: {} as { cpu?: string; memory?: string },
  };
  for (const r of ['cpu', 'memory'] as const) {
    const request = get(`${r}-request`);
    const limit = get(`${r}-limit`);
    if (request !== undefined) resources.requests[r] = request;
    if (limit !== undefined) resources.limits[r] = limit;
    if (request !== undefined && limit !== undefined && quantityValue(request) > quantityValue(limit)) {
      errors.push(
        `${source(`${r}-request`)}: ${JSON.stringify(request)} is not allowed: it exceeds ${r}-limit ${JSON.stringify(limit)}`,
      );
    }
  }

  if (errors.length > 0 || auth === undefined || typeof auth === 'string' || bootstrapServers === undefined) {
    return { kind: 'deny', errors, warnings };
  }
  const native = (get('native-sidecar') ?? 'true').toLowerCase() === 'true';
  return {
    kind: 'inject',
    warnings,
    spec: {
      containerName: config.containerName,
      image: get('image')!,
      bootstrapServers,
      caSecret,
      auth,
      configMap: get('config-map') ?? null,
      port,
      managementPort,
      resources,
      logLevel: (get('log-level') ?? 'info').toLowerCase() as LogLevel,
      placement: native ? { kind: 'native' } : { kind: 'first', waitSeconds: config.waitReadyTimeoutSeconds },
    },
  };
}
