import type { V1Pod } from '@kubernetes/client-node';
import jsonpatch from 'fast-json-patch';
import { parseConfig } from '../../webhook/config.js';
import { mutatePod } from '../../webhook/mutate.js';
import { createPatch } from '../../webhook/patch.js';

const { applyPatch, deepClone } = jsonpatch;
const config = parseConfig('defaults:\n  cluster: my-cluster\n');

const inject = { 'bridge.strimzi/inject': 'true', 'bridge.strimzi/user': 'bridge' };
const app = { name: 'main', image: 'centos:7', command: ['sh', '-c', 'sleep 3600'] };

/** Mutates, diffs, applies the patch to a copy of the original with fast-json-patch, returns the result. */
function injectAndApply(pod: V1Pod, namespace = 'apps') {
  const m = mutatePod(pod, namespace, config);
  if (m.outcome !== 'injected') throw new Error(`expected injection, got ${m.outcome}`);
  const ops = createPatch(pod, m.pod);
  const patched = applyPatch(deepClone(pod), ops, true, false).newDocument as V1Pod;
  expect(patched).toEqual(m.pod);
  return { patched, ops, mutated: m.pod };
}

const shapes: [string, V1Pod][] = [
  [
    'no annotations other than ours, no volumes/env/initContainers',
    { metadata: { name: 'p', annotations: inject }, spec: { containers: [app] } },
  ],
  [
    'generateName with empty name',
    { metadata: { name: '', generateName: 'web-7d9f-', annotations: inject }, spec: { containers: [app] } },
  ],
  [
    'no metadata.name at all',
    { metadata: { generateName: 'job-', annotations: inject }, spec: { containers: [app] } },
  ],
  [
    'existing volumes and init containers',
    {
      metadata: {
        name: 'p',
        annotations: { ...inject, 'bridge.strimzi/config-map': 'bridge-configuration' },
      },
      spec: {
        initContainers: [
          { name: 'init-a', image: 'busybox' },
          { name: 'init-b', image: 'busybox' },
        ],
        containers: [app, { name: 'second', image: 'nginx' }],
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'certs', secret: { secretName: 's' } },
        ],
      },
    },
  ],
  [
    'annotation keys needing ~0/~1 escapes',
    {
      metadata: {
        name: 'p',
        annotations: { ...inject, 'example.com/a~b': 'x', 'a/b/c': 'y' },
        labels: { 'app.kubernetes.io/name': 'x' },
      },
      spec: { containers: [app] },
    },
  ],
];

describe('mutatePod + createPatch over pod shapes', () => {
  test.each(shapes)('%s: the patch turns the original into the mutated pod', (_name, pod) => {
    const { patched } = injectAndApply(pod);
    expect(patched.metadata?.annotations?.['bridge.strimzi/status']).toBe('injected');
    expect(patched.spec?.initContainers?.[0]?.name).toBe('kafka-bridge');
  });

  test('the patch is add-only and escapes the status annotation key', () => {
    const { ops } = injectAndApply(shapes[0]![1]);
    expect(ops.every((o) => o.op === 'add')).toBe(true);
    expect(ops).toContainEqual({
      op: 'add',
      path: '/metadata/annotations/bridge.strimzi~1status',
      value: 'injected',
    });
  });

  test('absent arrays and objects are added whole, never indexed into', () => {
    const pod: V1Pod = { spec: { containers: [app] } };
    const m = mutatePod({ ...pod, metadata: { annotations: inject } }, 'apps', config);
    if (m.outcome !== 'injected') throw new Error(m.outcome);
    const noMeta: V1Pod = { metadata: { annotations: inject }, spec: { containers: [app] } };
    const ops = createPatch(noMeta, m.pod);
    expect(ops.find((o) => o.path === '/spec/initContainers')).toMatchObject({ op: 'add' });
    const noAnnotations = createPatch(
      { spec: { containers: [app] } },
      { metadata: { annotations: { 'bridge.strimzi/status': 'injected' } }, spec: { containers: [app] } },
    );
    expect(noAnnotations).toEqual([
      { op: 'add', path: '/metadata', value: { annotations: { 'bridge.strimzi/status': 'injected' } } },
    ]);
  });

  test('existing init containers and volumes keep their order, sidecar first, volume last', () => {
    const { patched, ops } = injectAndApply(shapes[3]![1]);
    expect(patched.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge', 'init-a', 'init-b']);
    expect(patched.spec?.volumes?.map((v) => v.name)).toEqual(['data', 'certs', 'kafka-bridge-config']);
    expect(patched.spec?.containers.map((c) => c.name)).toEqual(['main', 'second']);
    expect(ops).toContainEqual(expect.objectContaining({ op: 'add', path: '/spec/initContainers/0' }));
    expect(ops).toContainEqual(expect.objectContaining({ op: 'add', path: '/spec/volumes/2' }));
    expect(ops.some((o) => o.op === 'replace' || o.op === 'remove')).toBe(false);
  });

  test('native-sidecar false: a regular container placed first, the app containers untouched after it', () => {
    const pod: V1Pod = {
      metadata: { name: 'p', annotations: { ...inject, 'bridge.strimzi/native-sidecar': 'false' } },
      spec: { containers: [app, { name: 'second', image: 'nginx' }] },
    };
    const { patched, ops } = injectAndApply(pod);
    expect(patched.spec?.containers.map((c) => c.name)).toEqual(['kafka-bridge', 'main', 'second']);
    expect(patched.spec?.initContainers).toBeUndefined();
    expect(ops.filter((o) => o.path.startsWith('/spec/containers'))).toEqual([
      expect.objectContaining({ op: 'add', path: '/spec/containers/0' }),
    ]);
    const bridge = patched.spec!.containers[0]!;
    expect(bridge.restartPolicy).toBeUndefined();
    expect(bridge.lifecycle?.postStart?.exec?.command).toEqual([
      'kafka-bridge',
      'wait-ready',
      '--port',
      '8081',
      '--timeout',
      '60',
    ]);
  });

  test('idempotent: mutating the mutated pod again changes nothing', () => {
    for (const [, pod] of shapes) {
      const { mutated } = injectAndApply(pod);
      const again = mutatePod(mutated, 'apps', config);
      expect(again.outcome).toBe('already-injected');
      expect(again.warnings).toEqual([]);
    }
  });

  test('a pod carrying a container of the injected name gets nothing, with a warning', () => {
    const pod: V1Pod = {
      metadata: { annotations: inject },
      spec: { containers: [app, { name: 'kafka-bridge', image: 'x' }] },
    };
    const m = mutatePod(pod, 'apps', config);
    expect(m).toEqual({
      outcome: 'already-injected',
      warnings: ['pod already has a container named kafka-bridge: nothing injected'],
    });
  });

  test('a pod without the annotation, or with inject "false", is not touched', () => {
    expect(mutatePod({ spec: { containers: [app] } }, 'apps', config).outcome).toBe('not-requested');
    expect(
      mutatePod(
        { metadata: { annotations: { 'bridge.strimzi/inject': 'false' } }, spec: { containers: [app] } },
        'apps',
        config,
      ).outcome,
    ).toBe('not-requested');
  });

  test.each(['kube-system', 'kube-public', 'kube-node-lease', 'bridge-injector'])(
    'namespace %s is never touched, whatever the pod says',
    (ns) => {
      const own = parseConfig('namespace: bridge-injector\ndefaults:\n  cluster: c\n');
      const m = mutatePod({ metadata: { annotations: inject }, spec: { containers: [app] } }, ns, own);
      expect(m.outcome).toBe('excluded-namespace');
      expect(m.warnings).toEqual([
        `bridge.strimzi/inject ignored: pods in namespace ${ns} are never injected`,
      ]);
    },
  );

  test('a volume name clash with the ConfigMap volume is denied with the reason', () => {
    const pod: V1Pod = {
      metadata: { annotations: { ...inject, 'bridge.strimzi/config-map': 'cm' } },
      spec: { containers: [app], volumes: [{ name: 'kafka-bridge-config', emptyDir: {} }] },
    };
    const m = mutatePod(pod, 'apps', config);
    expect(m.outcome).toBe('denied');
    if (m.outcome === 'denied') expect(m.errors[0]).toMatch(/volume named kafka-bridge-config/);
  });

  test('mirror pods and hostNetwork pods are not injected, with the reason', () => {
    const mirror = mutatePod(
      {
        metadata: { annotations: { ...inject, 'kubernetes.io/config.mirror': 'abc' } },
        spec: { containers: [app] },
      },
      'apps',
      config,
    );
    expect(mirror).toEqual({
      outcome: 'unsupported-pod',
      warnings: ['bridge.strimzi/inject ignored: mirror pods of static pods are never injected'],
    });
    const host = mutatePod(
      { metadata: { annotations: inject }, spec: { containers: [app], hostNetwork: true } },
      'apps',
      config,
    );
    expect(host.outcome).toBe('unsupported-pod');
    expect(host.warnings[0]).toMatch(/hostNetwork pods are not injected/);
  });

  test('native-sidecar false in a run-to-completion pod warns that the bridge keeps it running', () => {
    const m = mutatePod(
      {
        metadata: { annotations: { ...inject, 'bridge.strimzi/native-sidecar': 'false' } },
        spec: { containers: [app], restartPolicy: 'OnFailure' },
      },
      'apps',
      config,
    );
    expect(m.outcome).toBe('injected');
    expect(m.warnings).toEqual([
      'bridge.strimzi/native-sidecar "false": the bridge keeps this restartPolicy OnFailure pod running after the app exits',
    ]);
  });

  test('an app container declaring the bridge port is warned about', () => {
    const pod: V1Pod = {
      metadata: { annotations: inject },
      spec: { containers: [{ ...app, ports: [{ containerPort: 8080 }] }] },
    };
    const m = mutatePod(pod, 'apps', config);
    expect(m.outcome).toBe('injected');
    expect(m.warnings).toEqual([
      'container main declares port 8080, which the bridge uses: set bridge.strimzi/port to a free port',
    ]);
  });

  test('a pod of 300 containers: the patch is small and shares no app container', () => {
    const containers = Array.from({ length: 300 }, (_, i) => ({
      name: `c${i}`,
      image: 'busybox',
      env: [{ name: 'I', value: `${i}` }],
    }));
    const pod: V1Pod = { metadata: { annotations: inject }, spec: { containers } };
    const { ops } = injectAndApply(pod);
    expect(ops.map((o) => o.path).sort()).toEqual([
      '/metadata/annotations/bridge.strimzi~1status',
      '/spec/initContainers',
    ]);
  });
});

describe('the injected container', () => {
  test('matches the hand-written sidecar of the scenario, plus probes and security context', () => {
    const pod: V1Pod = {
      metadata: {
        name: 'bridge-sidecar',
        annotations: {
          'bridge.strimzi/inject': 'true',
          'bridge.strimzi/cluster': 'my-cluster',
          'bridge.strimzi/user': 'bridge',
          'bridge.strimzi/config-map': 'bridge-configuration',
        },
      },
      spec: { containers: [app], restartPolicy: 'Never' },
    };
    const { patched } = injectAndApply(pod);
    expect(patched.spec?.volumes).toEqual([
      { name: 'kafka-bridge-config', configMap: { name: 'bridge-configuration' } },
    ]);
    expect(patched.spec?.initContainers).toEqual([
      {
        name: 'kafka-bridge',
        image: 'ghcr.io/strimzi-bridge-injector/kafka-bridge:0.1.0',
        command: ['kafka-bridge', '--config-file', '/etc/strimzi-bridge/bridge.properties'],
        env: [
          { name: 'BOOTSTRAP_SERVERS', value: 'my-cluster-kafka-bootstrap:9093' },
          { name: 'USER_CRT', valueFrom: { secretKeyRef: { name: 'bridge', key: 'user.crt' } } },
          { name: 'USER_KEY', valueFrom: { secretKeyRef: { name: 'bridge', key: 'user.key' } } },
          {
            name: 'CA_CRT',
            valueFrom: { secretKeyRef: { name: 'my-cluster-cluster-ca-cert', key: 'ca.crt' } },
          },
          { name: 'http.port', value: '8080' },
          { name: 'http.management.port', value: '8081' },
          { name: 'log.level', value: 'info' },
        ],
        ports: [{ name: 'bridge-mgmt', containerPort: 8081, protocol: 'TCP' }],
        readinessProbe: {
          httpGet: { path: '/ready', port: 8081, scheme: 'HTTP' },
          periodSeconds: 5,
          timeoutSeconds: 1,
          failureThreshold: 3,
        },
        livenessProbe: {
          httpGet: { path: '/healthy', port: 8081, scheme: 'HTTP' },
          periodSeconds: 10,
          timeoutSeconds: 1,
          failureThreshold: 3,
        },
        startupProbe: {
          httpGet: { path: '/ready', port: 8081, scheme: 'HTTP' },
          periodSeconds: 1,
          timeoutSeconds: 1,
          failureThreshold: 120,
        },
        restartPolicy: 'Always',
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        securityContext: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [{ name: 'kafka-bridge-config', mountPath: '/etc/strimzi-bridge', readOnly: true }],
      },
    ]);
  });

  test('without a ConfigMap: no volume, no mount, command without --config-file', () => {
    const { patched } = injectAndApply({ metadata: { annotations: inject }, spec: { containers: [app] } });
    const c = patched.spec!.initContainers![0]!;
    expect(c.command).toEqual(['kafka-bridge']);
    expect(c.volumeMounts).toBeUndefined();
    expect(patched.spec?.volumes).toBeUndefined();
  });

  test('scram-sha-512: username literal, password from the user Secret, CA still from the cluster', () => {
    const { patched } = injectAndApply({
      metadata: {
        annotations: { ...inject, 'bridge.strimzi/auth': 'scram-sha-512', 'bridge.strimzi/user': 'alice' },
      },
      spec: { containers: [app] },
    });
    expect(patched.spec!.initContainers![0]!.env!.slice(0, 5)).toEqual([
      { name: 'BOOTSTRAP_SERVERS', value: 'my-cluster-kafka-bootstrap:9093' },
      { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-512' },
      { name: 'KAFKA_SASL_USERNAME', value: 'alice' },
      { name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'alice', key: 'password' } } },
      { name: 'CA_CRT', valueFrom: { secretKeyRef: { name: 'my-cluster-cluster-ca-cert', key: 'ca.crt' } } },
    ]);
  });

  test('auth none with explicit bootstrap servers and annotations for every tunable', () => {
    const { patched } = injectAndApply({
      metadata: {
        annotations: {
          'bridge.strimzi/inject': 'TRUE',
          'bridge.strimzi/auth': 'none',
          'bridge.strimzi/bootstrap-servers': 'kafka-0.kafka:9092,kafka-1.kafka:9092',
          'bridge.strimzi/image':
            'registry.example.com:5000/team/bridge:1.2@sha256:0123456789abcdef0123456789abcdef',
          'bridge.strimzi/port': '9000',
          'bridge.strimzi/management-port': '9001',
          'bridge.strimzi/cpu-request': '250m',
          'bridge.strimzi/cpu-limit': '1',
          'bridge.strimzi/memory-request': '64Mi',
          'bridge.strimzi/memory-limit': '1Gi',
          'bridge.strimzi/log-level': 'DEBUG',
        },
      },
      spec: { containers: [app] },
    });
    const c = patched.spec!.initContainers![0]!;
    expect(c.image).toBe('registry.example.com:5000/team/bridge:1.2@sha256:0123456789abcdef0123456789abcdef');
    expect(c.env).toEqual([
      { name: 'BOOTSTRAP_SERVERS', value: 'kafka-0.kafka:9092,kafka-1.kafka:9092' },
      { name: 'CA_CRT', valueFrom: { secretKeyRef: { name: 'my-cluster-cluster-ca-cert', key: 'ca.crt' } } },
      { name: 'http.port', value: '9000' },
      { name: 'http.management.port', value: '9001' },
      { name: 'log.level', value: 'debug' },
    ]);
    expect(c.resources).toEqual({
      requests: { cpu: '250m', memory: '64Mi' },
      limits: { cpu: '1', memory: '1Gi' },
    });
    expect(c.readinessProbe?.httpGet?.port).toBe(9001);
  });
});
