/**
 * Every `bridge.strimzi/*` setting in one table: its annotation, its key in the configuration file's
 * `defaults`, its built-in default and the check that says what is allowed. Annotations and the
 * configuration file share these checks, so both accept exactly the same values.
 */

export const PREFIX = 'bridge.strimzi/';
export const STATUS_ANNOTATION = `${PREFIX}status`;
export const STATUS_INJECTED = 'injected';

export const AUTH_MECHANISMS = ['tls', 'scram-sha-512', 'none'] as const;
export type AuthMechanism = (typeof AUTH_MECHANISMS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type SettingName =
  | 'inject'
  | 'cluster'
  | 'bootstrap-servers'
  | 'user'
  | 'auth'
  | 'ca-secret'
  | 'config-map'
  | 'image'
  | 'port'
  | 'management-port'
  | 'cpu-request'
  | 'cpu-limit'
  | 'memory-request'
  | 'memory-limit'
  | 'log-level'
  | 'native-sidecar';

export interface Setting {
  readonly name: SettingName;
  readonly annotation: string;
  readonly configKey: string;
  readonly kind: 'boolean' | 'port' | 'string';
  /** What applies when neither the pod nor the configuration file says anything. */
  readonly builtIn?: string;
  /** `null` when `raw` is allowed, else what is allowed (the caller names the annotation and value). */
  readonly check: (raw: string) => string | null;
}

/** The image the chart publishes; the file's `defaults.image` overrides it. */
export const DEFAULT_IMAGE = 'ghcr.io/strimzi-bridge-injector/kafka-bridge:0.1.0';

// RFC 1123 subdomain: what Kubernetes accepts as a Secret or ConfigMap name.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// RFC 1123 label: Strimzi cluster names (they become Service names).
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// The grammar of github.com/distribution/reference (regexp.go), which is what the kubelet's image
// pull accepts: [domain[:port]/]path[:tag][@digest], path components lower case.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);

// resource.Quantity's serialisation grammar (k8s.io/apimachinery/pkg/api/resource), without a sign:
// a negative request or limit is never meaningful.
const QUANTITY = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;
const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The numeric value of a valid quantity (precise enough to compare a request with a limit). */
export function quantityValue(q: string): number {
  const m = /^([0-9.]+)(.*)$/.exec(q);
  if (!m) return Number.NaN;
  const [, num = '', suffix = ''] = m;
  if (/^[eE]/.test(suffix)) return Number(`${num}${suffix}`);
  return Number(num) * (SUFFIX[suffix] ?? Number.NaN);
}

function checkBoolean(raw: string): string | null {
  return /^(true|false)$/i.test(raw) ? null : 'allowed: "true" or "false"';
}

function checkPort(raw: string): string | null {
  if (!/^\d+$/.test(raw)) return 'allowed: an integer port from 1 to 65535';
  const n = Number(raw);
  return n >= 1 && n <= 65535 ? null : 'allowed: a port from 1 to 65535';
}

function checkQuantity(raw: string): string | null {
  return QUANTITY.test(raw) && quantityValue(raw) > 0
    ? null
    : 'allowed: a positive Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi';
}

function checkName(what: string, pattern: RegExp, max: number) {
  return (raw: string): string | null =>
    raw.length <= max && pattern.test(raw)
      ? null
      : `allowed: a ${what} (lower-case letters, digits, '-'${pattern === DNS_SUBDOMAIN ? ", '.'" : ''}, at most ${max} characters)`;
}

function checkBootstrap(raw: string): string | null {
  const ok = raw.split(',').every((hp) => {
    const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):(\d+)$/.exec(hp.trim());
    return m !== null && checkPort(m[3] ?? '') === null;
  });
  return ok ? null : 'allowed: a comma-separated list of host:port (port 1-65535)';
}

function checkImage(raw: string): string | null {
  return raw.length <= 512 && IMAGE_REFERENCE.test(raw)
    ? null
    : 'allowed: an image reference [registry[:port]/]name[:tag][@sha256:digest], name in lower case';
}

function oneOf(values: readonly string[], caseInsensitive = false) {
  return (raw: string): string | null =>
    values.includes(caseInsensitive ? raw.toLowerCase() : raw)
      ? null
      : `allowed: ${values.map((v) => JSON.stringify(v)).join(', ')}`;
}

function setting(
  name: SettingName,
  configKey: string,
  kind: Setting['kind'],
  check: Setting['check'],
  builtIn?: string,
): Setting {
  return {
    name,
    annotation: `${PREFIX}${name}`,
    configKey,
    kind,
    check,
    ...(builtIn === undefined ? {} : { builtIn }),
  };
}

export const SETTINGS: readonly Setting[] = [
  setting('inject', 'inject', 'boolean', checkBoolean, 'false'),
  setting('cluster', 'cluster', 'string', checkName('Strimzi cluster name', DNS_LABEL, 63)),
  setting('bootstrap-servers', 'bootstrapServers', 'string', checkBootstrap),
  setting('user', 'user', 'string', checkName('KafkaUser name', DNS_SUBDOMAIN, 253)),
  setting('auth', 'auth', 'string', oneOf(AUTH_MECHANISMS), 'tls'),
  setting('ca-secret', 'caSecret', 'string', checkName('Secret name', DNS_SUBDOMAIN, 253)),
  setting('config-map', 'configMap', 'string', checkName('ConfigMap name', DNS_SUBDOMAIN, 253)),
  setting('image', 'image', 'string', checkImage, DEFAULT_IMAGE),
  setting('port', 'port', 'port', checkPort, '8080'),
  setting('management-port', 'managementPort', 'port', checkPort, '8081'),
  setting('cpu-request', 'cpuRequest', 'string', checkQuantity, '100m'),
  setting('cpu-limit', 'cpuLimit', 'string', checkQuantity),
  setting('memory-request', 'memoryRequest', 'string', checkQuantity, '128Mi'),
  setting('memory-limit', 'memoryLimit', 'string', checkQuantity, '256Mi'),
  setting('log-level', 'logLevel', 'string', oneOf(LOG_LEVELS, true), 'info'),
  setting('native-sidecar', 'nativeSidecar', 'boolean', checkBoolean, 'true'),
];

export const SETTING_BY_ANNOTATION: ReadonlyMap<string, Setting> = new Map(
  SETTINGS.map((s) => [s.annotation, s]),
);
