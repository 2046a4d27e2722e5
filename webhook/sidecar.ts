import type { V1Container, V1EnvVar, V1Volume } from '@kubernetes/client-node';
import type { InjectionSpec } from './annotations.js';

/** Where the ConfigMap's `bridge.properties` appears inside the sidecar (as in the hand-written pod). */
export const CONFIG_DIR = '/etc/strimzi-bridge';
export const CONFIG_FILE = `${CONFIG_DIR}/bridge.properties`;

/**
 * The env contract between the injector and the bridge's built-in defaults (bridge/config): the bridge
 * reads these when it runs without `--config-file`, and a ConfigMap can reference them as `${env:NAME}`.
 * `http.port`, `http.management.port` and `log.level` are bridge configuration keys: the bridge lets
 * environment variables override its file, so the annotations win over a ConfigMap's values.
 */
export const ENV = {
  bootstrapServers: 'BOOTSTRAP_SERVERS',
  userCrt: 'USER_CRT',
  userKey: 'USER_KEY',
  caCrt: 'CA_CRT',
  saslMechanism: 'KAFKA_SASL_MECHANISM',
  saslUsername: 'KAFKA_SASL_USERNAME',
  saslPassword: 'KAFKA_SASL_PASSWORD',
  httpPort: 'http.port',
  managementPort: 'http.management.port',
  logLevel: 'log.level',
} as const;

export interface Sidecar {
  readonly container: V1Container;
  /** The ConfigMap volume, only when a ConfigMap was asked for. */
  readonly volume: V1Volume | null;
}

const secretEnv = (name: string, secret: string, key: string): V1EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

export function volumeName(spec: Pick<InjectionSpec, 'containerName'>): string {
  return `${spec.containerName}-config`;
}

function env(spec: InjectionSpec): V1EnvVar[] {
  const out: V1EnvVar[] = [{ name: ENV.bootstrapServers, value: spec.bootstrapServers }];
  switch (spec.auth.mechanism) {
    case 'tls':
      out.push(secretEnv(ENV.userCrt, spec.auth.userSecret, 'user.crt'));
      out.push(secretEnv(ENV.userKey, spec.auth.userSecret, 'user.key'));
      break;
    case 'scram-sha-512':
      out.push({ name: ENV.saslMechanism, value: 'SCRAM-SHA-512' });
      out.push({ name: ENV.saslUsername, value: spec.auth.username });
      out.push(secretEnv(ENV.saslPassword, spec.auth.userSecret, 'password'));
      break;
    case 'none':
      break;
  }
  if (spec.caSecret !== null) out.push(secretEnv(ENV.caCrt, spec.caSecret, 'ca.crt'));
  out.push({ name: ENV.httpPort, value: String(spec.port) });
  out.push({ name: ENV.managementPort, value: String(spec.managementPort) });
  out.push({ name: ENV.logLevel, value: spec.logLevel });
  return out;
}

// resolveInjection shares one frozen spec between pods with the same annotations: the sidecar is built
// once per spec, frozen, and only ever inserted into a patch (patch.ts caches the JSON of frozen values).
const built = new WeakMap<InjectionSpec, Sidecar>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The bridge container and its volume for `spec`. Pure: the same spec always gives equal objects, and
 * the same spec object the very same (deep-frozen) objects.
 */
export function buildSidecar(spec: InjectionSpec): Sidecar {
  let sidecar = built.get(spec);
  if (sidecar === undefined) {
    sidecar = deepFreeze(build(spec));
    built.set(spec, sidecar);
  }
  return sidecar;
}

function build(spec: InjectionSpec): Sidecar {
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: spec.managementPort, scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 1,
    failureThreshold,
  });
  const container: V1Container = {
    name: spec.containerName,
    image: spec.image,
    command: spec.configMap === null ? ['kafka-bridge'] : ['kafka-bridge', '--config-file', CONFIG_FILE],
    env: env(spec),
    ports: [{ name: 'bridge-mgmt', containerPort: spec.managementPort, protocol: 'TCP' }],
    readinessProbe: probe('/ready', 5, 3),
    livenessProbe: probe('/healthy', 10, 3),
    resources: {
      ...(Object.keys(spec.resources.requests).length > 0
        ? { requests: { ...spec.resources.requests } }
        : {}),
      ...(Object.keys(spec.resources.limits).length > 0 ? { limits: { ...spec.resources.limits } } : {}),
    },
    // Everything Pod Security "restricted" asks of a container, so the sidecar never blocks a pod
    // in a namespace that enforces it.
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (spec.configMap !== null) {
    container.volumeMounts = [{ name: volumeName(spec), mountPath: CONFIG_DIR, readOnly: true }];
  }
  if (spec.placement.kind === 'native') {
    // The kubelet starts the next init container, and the app, only once this probe passes.
    container.restartPolicy = 'Always';
    container.startupProbe = probe('/ready', 1, 120);
  } else {
    // The kubelet does not start the next container until postStart returns: the app finds the bridge listening.
    container.lifecycle = {
      postStart: {
        exec: {
          command: [
            'kafka-bridge',
            'wait-ready',
            '--port',
            String(spec.managementPort),
            '--timeout',
            String(spec.placement.waitSeconds),
          ],
        },
      },
    };
  }
  const volume: V1Volume | null =
    spec.configMap === null ? null : { name: volumeName(spec), configMap: { name: spec.configMap } };
  return { container, volume };
}
