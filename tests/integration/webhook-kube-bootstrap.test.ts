import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { freePort } from '../infra/ports.js';
import { type Supervised, supervise, waitUntilReady } from '../infra/process.js';
import { requireKube } from '../infra/state.js';

/**
 * `bridge-injector serve` without certificate files, as the chart runs it: the certificate comes from
 * a Secret the webhook creates, the caBundle is patched by the webhook itself, /readyz waits for both,
 * and the namespace given to the bootstrap is the webhook's own, never injected.
 */
const kube = requireKube();
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);

const run = Date.now().toString(36);
const own = `bridge-injector-${run}`;
const apps = `wh-boot-apps-${run}`;
const configName = `bridge-injector-boot-${run}`;
const ANNOTATIONS = {
  'bridge.strimzi/inject': 'true',
  'bridge.strimzi/bootstrap-servers': 'kafka:9092',
  'bridge.strimzi/auth': 'none',
};
const pod = (name: string): V1Pod => ({
  metadata: { name, annotations: ANNOTATIONS },
  spec: { containers: [{ name: 'main', image: 'busybox' }], restartPolicy: 'Never' },
});

function status(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // The CA is the webhook's own creation: what is checked here is readiness, not trust (the API server checks that).
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('bridge-injector serve with the certificate self-bootstrap', () => {
  let dir: string;
  let webhook: Supervised;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webhook-boot-'));
    for (const name of [own, apps]) {
      await core.createNamespace({
        body: { metadata: { name, labels: { 'bridge.strimzi/injection': 'enabled' } } },
      });
    }
    port = await freePort();
    // Registered without a caBundle: filling it is the webhook's job.
    await admission.createMutatingWebhookConfiguration({
      body: {
        metadata: { name: configName },
        webhooks: [
          {
            name: 'inject.bridge.strimzi.io',
            clientConfig: { url: `https://127.0.0.1:${port}/mutate` },
            rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
            namespaceSelector: { matchLabels: { 'bridge.strimzi/injection': 'enabled' } },
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            failurePolicy: 'Fail',
            timeoutSeconds: 5,
            reinvocationPolicy: 'IfNeeded',
          },
        ],
      },
    });
    webhook = supervise(
      'bridge-injector (bootstrap)',
      process.execPath,
      [
        'dist/webhook/main.js',
        'serve',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--namespace',
        own,
        '--webhook-config',
        configName,
        '--tls-secret',
        'bridge-injector-tls',
        '--service',
        'bridge-injector',
        '--tls-san',
        '127.0.0.1',
        '--cert-resync-seconds',
        '2',
      ],
      { logFile: join(dir, 'webhook.log'), env: { ...process.env, KUBECONFIG: kube.kubeconfig } },
    );
    await waitUntilReady(webhook, async () => (await status(port, '/readyz')) === 200, 60_000);
  });

  afterAll(async () => {
    await admission.deleteMutatingWebhookConfiguration({ name: configName }).catch(() => undefined);
    await webhook?.stop();
    for (const name of [own, apps]) await core.deleteNamespace({ name }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('ready only once the caBundle it patched trusts its certificate; pods get the sidecar', async () => {
    const config = await admission.readMutatingWebhookConfiguration({ name: configName });
    const secret = await core.readNamespacedSecret({ name: 'bridge-injector-tls', namespace: own });
    const bundle = Buffer.from(config.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8');
    const ca = Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64').toString('utf8');
    expect(ca).toContain('-----BEGIN CERTIFICATE-----');
    expect(bundle).toContain(ca.trim());

    // The API server may take a moment to see the patched configuration.
    const deadline = Date.now() + 30_000;
    let created: V1Pod | undefined;
    for (let i = 0; !created?.spec?.initContainers; i++) {
      try {
        created = await core.createNamespacedPod({ namespace: apps, body: pod(`app-${i}`) });
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
      if (created && !created.spec?.initContainers) throw new Error('a pod was admitted without injection');
    }
    expect(created.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge']);
  });

  test("the bootstrap's namespace is the webhook's own: never injected, even labelled and annotated", async () => {
    const created = await core.createNamespacedPod({ namespace: own, body: pod('in-own-namespace') });
    expect(created.spec?.initContainers).toBeUndefined();
    expect(created.metadata?.annotations).toEqual(ANNOTATIONS);
  });
});
