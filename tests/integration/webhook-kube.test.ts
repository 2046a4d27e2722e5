import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1MutatingWebhookConfiguration,
  type V1Pod,
} from '@kubernetes/client-node';
import { createCa, issueServing, type KeyPair } from '../../certs/certificates.js';
import { freePort } from '../infra/ports.js';
import { type Supervised, supervise, waitUntilReady } from '../infra/process.js';
import { requireKube } from '../infra/state.js';

/**
 * The injector as the API server sees it: the `bridge-injector serve` process on loopback, registered
 * through a MutatingWebhookConfiguration, pods created and read back through @kubernetes/client-node.
 */
const kube = requireKube();
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);

const run = Date.now().toString(36);
const labelled = `wh-inject-${run}`;
const plain = `wh-plain-${run}`;
const configName = `bridge-injector-${run}`;
const touchName = `zz-touch-${run}`;

const SCENARIO = {
  'bridge.strimzi/inject': 'true',
  'bridge.strimzi/cluster': 'my-cluster',
  'bridge.strimzi/user': 'bridge',
  'bridge.strimzi/config-map': 'bridge-configuration',
};

// An app container that passes Pod Security "restricted" itself, so the namespace can enforce it
// and the API server proves the injected sidecar passes too.
const app = {
  name: 'main',
  image: 'centos:7',
  command: ['sh', '-c', 'sleep 3600'],
  securityContext: {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
};

function pod(name: string, annotations?: Record<string, string>): V1Pod {
  return {
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { containers: [app], restartPolicy: 'Never' },
  };
}

function get(port: number, ca: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function metric(text: string, outcome: string): number {
  const m = new RegExp(`^bridge_injector_admissions_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

function errorBody(err: unknown): { code?: number; message: string } {
  const e = err as { code?: number; body?: unknown };
  const body =
    typeof e.body === 'string'
      ? (JSON.parse(e.body) as { message?: string })
      : (e.body as { message?: string });
  return { code: e.code, message: body?.message ?? String(err) };
}

/** A second mutating webhook, called after ours (configurations run in name order), that adds an annotation. */
function startTouchWebhook(tls: KeyPair): Promise<{ server: Server; port: number; calls: () => number }> {
  let calls = 0;
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      calls++;
      const review = JSON.parse(body) as { request: { uid: string; object: V1Pod } };
      const annotations = review.request.object.metadata?.annotations;
      const ops =
        annotations === undefined
          ? [{ op: 'add', path: '/metadata/annotations', value: { 'test.example/touched': 'yes' } }]
          : annotations['test.example/touched'] === undefined
            ? [{ op: 'add', path: '/metadata/annotations/test.example~1touched', value: 'yes' }]
            : [];
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid: review.request.uid,
            allowed: true,
            ...(ops.length
              ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') }
              : {}),
          },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port, calls: () => calls }),
    ),
  );
}

function webhookConfiguration(
  name: string,
  webhookName: string,
  url: string,
  ca: string,
  extra: { reinvocationPolicy?: string; annotationCondition?: boolean } = {},
): V1MutatingWebhookConfiguration {
  return {
    metadata: { name },
    webhooks: [
      {
        name: webhookName,
        clientConfig: { url, caBundle: Buffer.from(ca).toString('base64') },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        namespaceSelector: { matchLabels: { 'bridge.strimzi/injection': 'enabled' } },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        failurePolicy: 'Fail',
        timeoutSeconds: 5,
        reinvocationPolicy: extra.reinvocationPolicy ?? 'Never',
      },
    ],
  };
}

describe('bridge-injector against the real kube-apiserver', () => {
  let dir: string;
  let ca: KeyPair;
  let webhook: Supervised;
  let port: number;
  let touch: Awaited<ReturnType<typeof startTouchWebhook>>;

  const scrape = async () => (await get(port, ca.cert, '/metrics')).body;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webhook-kube-'));
    ca = await createCa('bridge-injector-test-ca');
    const serving = await issueServing(ca, {
      commonName: 'bridge-injector',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    writeFileSync(join(dir, 'tls.crt'), serving.cert);
    writeFileSync(join(dir, 'tls.key'), serving.key, { mode: 0o600 });
    writeFileSync(join(dir, 'config.yaml'), 'namespace: bridge-injector\ndefaults:\n  logLevel: info\n');
    port = await freePort();
    webhook = supervise(
      'bridge-injector',
      process.execPath,
      [
        'dist/webhook/main.js',
        'serve',
        '--cert-file',
        join(dir, 'tls.crt'),
        '--key-file',
        join(dir, 'tls.key'),
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--config',
        join(dir, 'config.yaml'),
      ],
      { logFile: join(dir, 'webhook.log') },
    );
    await waitUntilReady(webhook, async () => (await get(port, ca.cert, '/readyz')).status === 200, 20_000);
    touch = await startTouchWebhook(serving);

    await core.createNamespace({
      body: {
        metadata: {
          name: labelled,
          labels: {
            'bridge.strimzi/injection': 'enabled',
            'pod-security.kubernetes.io/enforce': 'restricted',
          },
        },
      },
    });
    await core.createNamespace({ body: { metadata: { name: plain } } });
    await admission.createMutatingWebhookConfiguration({
      body: webhookConfiguration(
        configName,
        'inject.bridge.strimzi.io',
        `https://127.0.0.1:${port}/mutate`,
        ca.cert,
        {
          reinvocationPolicy: 'IfNeeded',
        },
      ),
    });
    // The API server picks up new webhook configurations asynchronously: wait until a dry run is mutated.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = await core.createNamespacedPod({
        namespace: labelled,
        body: pod(`probe-${run}`, SCENARIO),
        dryRun: 'All',
      });
      if (probe.spec?.initContainers?.length) break;
      if (Date.now() > deadline) throw new Error(`the webhook was never called. Log:\n${webhook.logTail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    await admission.deleteMutatingWebhookConfiguration({ name: configName }).catch(() => undefined);
    await admission.deleteMutatingWebhookConfiguration({ name: touchName }).catch(() => undefined);
    // Without a controller manager namespaces stay Terminating; the stack's etcd goes away with the run.
    await core.deleteNamespace({ name: labelled }).catch(() => undefined);
    await core.deleteNamespace({ name: plain }).catch(() => undefined);
    await webhook?.stop();
    await new Promise((r) => (touch ? touch.server.close(r) : r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  test('an annotated pod in a labelled namespace is stored with exactly the injected sidecar', async () => {
    await core.createNamespacedPod({ namespace: labelled, body: pod('scenario', SCENARIO) });
    const stored = await core.readNamespacedPod({ name: 'scenario', namespace: labelled });
    expect(stored.metadata?.annotations).toEqual({ ...SCENARIO, 'bridge.strimzi/status': 'injected' });
    expect(stored.spec?.containers.map((c) => c.name)).toEqual(['main']);
    expect(stored.spec?.volumes).toEqual([
      { name: 'kafka-bridge-config', configMap: { name: 'bridge-configuration', defaultMode: 420 } },
    ]);
    // What the API server stored, its defaults included: exactly one init container, this one.
    expect(stored.spec?.initContainers).toEqual([
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
          successThreshold: 1,
        },
        livenessProbe: {
          httpGet: { path: '/healthy', port: 8081, scheme: 'HTTP' },
          periodSeconds: 10,
          timeoutSeconds: 1,
          failureThreshold: 3,
          successThreshold: 1,
        },
        startupProbe: {
          httpGet: { path: '/ready', port: 8081, scheme: 'HTTP' },
          periodSeconds: 1,
          timeoutSeconds: 1,
          failureThreshold: 120,
          successThreshold: 1,
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
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'FallbackToLogsOnError',
        imagePullPolicy: 'IfNotPresent',
        volumeMounts: [{ name: 'kafka-bridge-config', mountPath: '/etc/strimzi-bridge', readOnly: true }],
      },
    ]);
  });

  test('a generateName pod with init containers and volumes: sidecar first, the rest kept in order', async () => {
    const created = await core.createNamespacedPod({
      namespace: labelled,
      body: {
        metadata: {
          generateName: 'web-',
          annotations: { ...SCENARIO, 'bridge.strimzi/native-sidecar': 'false' },
        },
        spec: {
          initContainers: [{ ...app, name: 'migrate' }],
          containers: [app, { ...app, name: 'second' }],
          volumes: [{ name: 'data', emptyDir: {} }],
          restartPolicy: 'Never',
        },
      },
    });
    expect(created.metadata?.name).toMatch(/^web-/);
    expect(created.spec?.initContainers?.map((c) => c.name)).toEqual(['migrate']);
    expect(created.spec?.containers.map((c) => c.name)).toEqual(['kafka-bridge', 'main', 'second']);
    expect(created.spec?.containers[0]?.lifecycle?.postStart?.exec?.command).toEqual([
      'kafka-bridge',
      'wait-ready',
      '--port',
      '8081',
      '--timeout',
      '60',
    ]);
    expect(created.spec?.volumes?.map((v) => v.name)).toEqual(['data', 'kafka-bridge-config']);
  });

  test('a pod without the annotation, and an annotated pod in an unlabelled namespace, are untouched', async () => {
    const a = await core.createNamespacedPod({ namespace: labelled, body: pod('plain') });
    expect(a.spec?.initContainers).toBeUndefined();
    expect(a.metadata?.annotations).toBeUndefined();
    const b = await core.createNamespacedPod({ namespace: plain, body: pod('annotated', SCENARIO) });
    expect(b.spec?.initContainers).toBeUndefined();
    expect(b.metadata?.annotations).toEqual(SCENARIO);
  });

  test('a bad annotation is refused with the annotation, the value and what is allowed', async () => {
    const err = await core
      .createNamespacedPod({
        namespace: labelled,
        body: pod('bad', { ...SCENARIO, 'bridge.strimzi/auth': 'kerberos' }),
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const { code, message } = errorBody(err);
    expect(code).toBe(400);
    expect(message).toBe(
      'admission webhook "inject.bridge.strimzi.io" denied the request: bridge-injector: annotation bridge.strimzi/auth: "kerberos" is not allowed: allowed: "tls", "scram-sha-512", "none"',
    );
    await expect(core.readNamespacedPod({ name: 'bad', namespace: labelled })).rejects.toMatchObject({
      code: 404,
    });
  });

  test('an unknown bridge.strimzi/* key reaches the client as a Warning header, and the pod is injected', async () => {
    const res = await core.createNamespacedPodWithHttpInfo({
      namespace: labelled,
      body: pod('warned', { ...SCENARIO, 'bridge.strimzi/memory-limt': '1Gi' }),
    });
    expect(res.data.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge']);
    const headers = res.headers as Record<string, string>;
    expect(headers.warning).toContain(
      'unknown annotation bridge.strimzi/memory-limt ignored (did you mean bridge.strimzi/memory-limit?)',
    );
  });

  test('a server-side dry run comes back mutated and nothing is stored', async () => {
    const before = metric(await scrape(), 'injected');
    const dry = await core.createNamespacedPod({
      namespace: labelled,
      body: pod('dry', SCENARIO),
      dryRun: 'All',
    });
    expect(dry.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge']);
    expect(dry.metadata?.annotations?.['bridge.strimzi/status']).toBe('injected');
    await expect(core.readNamespacedPod({ name: 'dry', namespace: labelled })).rejects.toMatchObject({
      code: 404,
    });
    expect(metric(await scrape(), 'injected')).toBe(before + 1);
  });

  test('reinvocation after another webhook changed the pod, and re-creating an injected pod: one sidecar', async () => {
    await admission.createMutatingWebhookConfiguration({
      body: webhookConfiguration(
        touchName,
        'touch.test.example',
        `https://127.0.0.1:${touch.port}/mutate`,
        ca.cert,
      ),
    });
    const deadline = Date.now() + 30_000;
    while (touch.calls() === 0) {
      await core.createNamespacedPod({ namespace: labelled, body: pod(`touch-probe-${run}`), dryRun: 'All' });
      if (Date.now() > deadline) throw new Error('the second webhook was never called');
      await new Promise((r) => setTimeout(r, 200));
    }
    const before = metric(await scrape(), 'already-injected');
    const created = await core.createNamespacedPod({ namespace: labelled, body: pod('reinvoked', SCENARIO) });
    expect(created.metadata?.annotations?.['test.example/touched']).toBe('yes');
    expect(created.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge']);
    // Ours ran again after the other webhook's change, saw its own work, and added nothing.
    expect(metric(await scrape(), 'already-injected')).toBe(before + 1);

    const stored = await core.readNamespacedPod({ name: 'reinvoked', namespace: labelled });
    const copy: V1Pod = {
      metadata: { name: 'recreated', annotations: stored.metadata?.annotations },
      spec: stored.spec,
    };
    const again = await core.createNamespacedPod({ namespace: labelled, body: copy });
    expect(again.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge']);
  });
});
