import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { bundleTrusts } from '../../certs/rotation.js';
import { parseConfig } from '../../webhook/config.js';
import { freePort } from '../infra/ports.js';
import { stopAll, supervise, waitUntilReady } from '../infra/process.js';
import { loadStack, requireKube } from '../infra/state.js';

// charts/bridge-injector with the real helm and kubectl, against the real kube-apiserver; the
// webhook itself runs on loopback (the chart's test-only webhook.url), started with exactly the
// arguments and configuration file the chart rendered, and the ServiceAccount token the chart's
// RBAC governs.
const CHART = 'charts/bridge-injector';
const GOLDEN = 'charts/golden';
// Must match charts/update-golden.sh.
const GOLDEN_ARGS = ['--namespace', 'bridge-injector', '--kube-version', '1.36.0'];

const kube = requireKube();
const tools = loadStack().tools;
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);
const suffix = Date.now().toString(36);
const home = mkdtempSync(join(tmpdir(), 'chart-test-'));
const toolEnv = {
  ...process.env,
  HOME: home,
  HELM_CACHE_HOME: join(home, 'helm-cache'),
  HELM_CONFIG_HOME: join(home, 'helm-config'),
  HELM_DATA_HOME: join(home, 'helm-data'),
  KUBECONFIG: kube.kubeconfig,
};
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  await stopAll();
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
});

function tool(name: 'helm' | 'kubectl'): string {
  const path = tools[name];
  if (!path) throw new Error(`${name} was not built: run \`bash tests/infra/build-kube.sh\` (make infra)`);
  return path;
}

async function run(
  name: 'helm' | 'kubectl',
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      tool(name),
      args,
      { env: toolEnv, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function ok(name: 'helm' | 'kubectl', args: string[], input?: string): Promise<string> {
  const r = await run(name, args, input);
  if (r.code !== 0) throw new Error(`${name} ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const goldenNames = () =>
  readdirSync(GOLDEN)
    .filter((f) => f.endsWith('.golden.yaml'))
    .map((f) => f.slice(0, -'.golden.yaml'.length));
const valuesArgs = (name: string) =>
  name === 'default' ? [] : ['--values', join(GOLDEN, `${name}.values.yaml`)];

interface Manifest {
  kind: string;
  apiVersion: string;
  metadata: { name: string };
  data?: Record<string, string>;
}
const manifests = (yaml: string): Manifest[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);

describe('the bridge-injector chart', () => {
  it('passes helm lint --strict with the default, tuned and cert-manager values', async () => {
    for (const name of goldenNames()) {
      const out = await ok('helm', ['lint', '--strict', CHART, ...valuesArgs(name), ...GOLDEN_ARGS.slice(2)]);
      expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  }, 60_000);

  it('renders exactly the reviewed golden files (regenerate with `make golden` and review the diff)', async () => {
    const names = goldenNames();
    expect(names.sort()).toEqual(['cert-manager', 'default', 'tuned']);
    for (const name of names) {
      const rendered = await ok('helm', [
        'template',
        'bridge-injector',
        CHART,
        ...GOLDEN_ARGS,
        ...valuesArgs(name),
      ]);
      const golden = readFileSync(join(GOLDEN, `${name}.golden.yaml`), 'utf8');
      if (rendered !== golden) {
        throw new Error(
          `charts/golden/${name}.golden.yaml is stale: run \`make golden\` (charts/update-golden.sh) and review the diff`,
        );
      }
    }
  });

  it('renders a configuration file the webhook accepts, carrying every tuned default', async () => {
    const rendered = manifests(
      await ok('helm', ['template', 'bridge-injector', CHART, ...GOLDEN_ARGS, ...valuesArgs('tuned')]),
    );
    const cm = rendered.find((m) => m.kind === 'ConfigMap');
    const config = parseConfig(cm?.data?.['config.yaml'] ?? '', 'rendered config.yaml', {});
    expect(config).toMatchObject({
      containerName: 'bridge',
      namespace: 'bridge-injector',
      excludedNamespaces: ['monitoring', 'cert-manager'],
      waitReadyTimeoutSeconds: 30,
    });
    expect(config.defaults).toMatchObject({
      image: 'registry.example.com/platform/kafka-bridge:0.1.0-rc1',
      cluster: 'my-cluster',
      'bootstrap-servers': 'my-cluster-kafka-bootstrap.kafka:9093',
      user: 'bridge',
      auth: 'scram-sha-512',
      'ca-secret': 'my-cluster-cluster-ca-cert',
      'config-map': 'bridge-configuration',
      port: '8090',
      'management-port': '8091',
      'cpu-request': '200m',
      'cpu-limit': '1',
      'memory-request': '256Mi',
      'memory-limit': '512Mi',
      'log-level': 'debug',
      'native-sidecar': 'false',
    });
  }, 60_000);

  it('refuses a values typo or a bad value at install time, naming it', async () => {
    const typo = await run('helm', ['template', 'x', CHART, '--set', 'webhook.failurPolicy=Ignore']);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain("additional properties 'failurPolicy' not allowed");
    const bad = await run('helm', ['template', 'x', CHART, '--set', 'sidecar.auth=plain']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/sidecar\/auth.*'tls', 'scram-sha-512', 'none'/);
    const noCa = await run('helm', ['template', 'x', CHART, '--set', 'tls.existingSecret=mine']);
    expect(noCa.code).not.toBe(0);
    expect(noCa.stderr).toContain('tls.caBundle is required with tls.existingSecret');
  }, 60_000);

  it('is accepted by the real API server (kubectl apply --dry-run=server) for every values set', async () => {
    const ns = `chart-dry-${suffix}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    cleanups.push(() => core.deleteNamespace({ name: ns }));
    for (const name of goldenNames()) {
      const rendered = manifests(
        await ok('helm', ['template', 'dry', CHART, '--namespace', ns, ...valuesArgs(name)]),
      );
      // cert-manager's CRDs are not installed here: its Issuer and Certificate cannot be checked.
      const checkable = rendered.filter((m) => !m.apiVersion.startsWith('cert-manager.io/'));
      const input = checkable.map((m) => JSON.stringify(m)).join('\n');
      const out = await ok('kubectl', ['apply', '--dry-run=server', '-f', '-'], input);
      for (const m of checkable) {
        expect(out).toMatch(
          new RegExp(
            `^${m.kind.toLowerCase()}(\\.[a-z0-9.]+)?/${m.metadata.name} created \\(server dry run\\)$`,
            'm',
          ),
        );
      }
    }
  }, 60_000);

  it('installs, and the webhook it configures injects annotated pods in labelled namespaces only', async () => {
    const release = 'bi';
    const ns = `chart-${suffix}`;
    const fullname = `${release}-bridge-injector`;
    const port = await freePort();
    await ok('helm', [
      'install',
      release,
      CHART,
      '--namespace',
      ns,
      '--create-namespace',
      '--set',
      `webhook.url=https://127.0.0.1:${port}/mutate`,
      '--set',
      'bootstrap.extraSans={127.0.0.1}',
      '--set',
      'bootstrap.resyncSeconds=1',
    ]);
    cleanups.push(() => core.deleteNamespace({ name: ns }));
    cleanups.push(() => run('helm', ['uninstall', release, '--namespace', ns]));

    // The installed configuration has no caBundle yet: the webhook must fill it.
    const before = await admission.readMutatingWebhookConfiguration({ name: fullname });
    expect(before.webhooks?.[0]?.clientConfig.caBundle ?? '').toBe('');

    // Run the webhook as the Deployment says (there is no kubelet): its args, env and config file,
    // with the ServiceAccount's own token, so the chart's RBAC is all it has.
    const deployment = await apps.readNamespacedDeployment({ name: fullname, namespace: ns });
    const container = deployment.spec?.template.spec?.containers[0];
    if (!container?.args) throw new Error('the Deployment has no webhook container args');
    const configMap = await core.readNamespacedConfigMap({ name: `${fullname}-config`, namespace: ns });
    const dir = mkdtempSync(join(tmpdir(), 'chart-webhook-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, configMap.data?.['config.yaml'] ?? '');
    const args = container.args.map((a) =>
      a === '/etc/bridge-injector/config.yaml'
        ? configFile
        : a === String(container.ports?.[0]?.containerPort)
          ? String(port)
          : a,
    );
    expect(args).toEqual(
      expect.arrayContaining(['serve', '--tls-secret', `${fullname}-tls`, '--tls-san', '127.0.0.1']),
    );

    const sa = deployment.spec?.template.spec?.serviceAccountName ?? '';
    const token = (
      await ok('kubectl', ['create', 'token', sa, '--namespace', ns, '--duration', '1h'])
    ).trim();
    const saKubeconfig = join(dir, 'kubeconfig');
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the admin kubeconfig');
    const saConfig = new KubeConfig();
    saConfig.loadFromOptions({
      clusters: [cluster],
      users: [{ name: sa, token }],
      contexts: [{ name: sa, cluster: cluster.name, user: sa, namespace: ns }],
      currentContext: sa,
    });
    writeFileSync(saKubeconfig, saConfig.exportConfig());

    const webhook = supervise(
      'bridge-injector',
      process.execPath,
      ['dist/webhook/main.js', ...args, '--host', '127.0.0.1'],
      {
        logFile: join(dir, 'webhook.log'),
        env: { ...process.env, KUBECONFIG: saKubeconfig, POD_NAMESPACE: ns, LOG_LEVEL: 'info' },
      },
    );
    await waitUntilReady(webhook, async () => (await get(port, '/readyz')).status === 200, 60_000);

    // The caBundle was written by the webhook itself and trusts what it serves.
    const after = await admission.readMutatingWebhookConfiguration({ name: fullname });
    const bundle = Buffer.from(after.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString();
    const served = await peerCertificate(port);
    expect(bundleTrusts(bundle, served)).toBe(true);
    const secret = await core.readNamespacedSecret({ name: `${fullname}-tls`, namespace: ns });
    expect(new X509Certificate(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64')).toString()).toBe(
      served,
    );

    // An annotated pod in a labelled namespace gets the sidecar, with the chart's defaults.
    const appNs = `chart-apps-${suffix}`;
    await core.createNamespace({
      body: { metadata: { name: appNs, labels: { 'bridge.strimzi/injection': 'enabled' } } },
    });
    cleanups.push(() => core.deleteNamespace({ name: appNs }));
    const plainNs = `chart-plain-${suffix}`;
    await core.createNamespace({ body: { metadata: { name: plainNs } } });
    cleanups.push(() => core.deleteNamespace({ name: plainNs }));
    // Our own namespace, labelled anyway: the namespaceSelector still leaves it out.
    await core.patchNamespace({
      name: ns,
      body: [{ op: 'add', path: '/metadata/labels/bridge.strimzi~1injection', value: 'enabled' }],
    });

    const calls0 = await admissionCount(port);
    const injected = await createPod(appNs, 'annotated', {
      'bridge.strimzi/inject': 'true',
      'bridge.strimzi/cluster': 'my-cluster',
      'bridge.strimzi/user': 'bridge',
    });
    const sidecar = injected.spec?.initContainers?.find((c) => c.name === 'kafka-bridge');
    expect(sidecar).toMatchObject({
      image: 'ghcr.io/strimzi-bridge-injector/kafka-bridge:0.1.0',
      restartPolicy: 'Always',
    });
    expect(injected.metadata?.annotations?.['bridge.strimzi/status']).toBe('injected');
    expect(await admissionCount(port)).toBe(calls0 + 1);

    // Pods the API server must not even send: no annotation; annotated but in an unlabelled
    // namespace; annotated in the webhook's own namespace.
    const plain = await createPod(appNs, 'plain', {});
    const unlabelled = await createPod(plainNs, 'annotated', { 'bridge.strimzi/inject': 'true' });
    const own = await createPod(ns, 'annotated', { 'bridge.strimzi/inject': 'true' });
    for (const p of [plain, unlabelled, own]) {
      expect(p.spec?.initContainers ?? []).toEqual([]);
      expect(p.spec?.containers.map((c) => c.name)).toEqual(['main']);
    }
    expect(await admissionCount(port)).toBe(calls0 + 1);

    // `helm upgrade` does not render a caBundle; its three-way merge must leave the webhook's in place.
    await ok('helm', [
      'upgrade',
      release,
      CHART,
      '--namespace',
      ns,
      '--reuse-values',
      '--set',
      'webhook.timeoutSeconds=7',
    ]);
    const upgraded = await admission.readMutatingWebhookConfiguration({ name: fullname });
    expect(upgraded.webhooks?.[0]?.timeoutSeconds).toBe(7);
    expect(upgraded.webhooks?.[0]?.clientConfig.caBundle).toBe(after.webhooks?.[0]?.clientConfig.caBundle);
    const again = await createPod(appNs, 'after-upgrade', {
      'bridge.strimzi/inject': 'true',
      'bridge.strimzi/bootstrap-servers': 'kafka.example:9092',
      'bridge.strimzi/auth': 'none',
    });
    expect(again.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge']);

    // Least privilege, as the API server's authorizer sees the ServiceAccount.
    const as = ['--as', `system:serviceaccount:${ns}:${sa}`];
    const can = async (...what: string[]) =>
      (await run('kubectl', ['auth', 'can-i', ...what, ...as])).stdout.trim();
    expect(await can('patch', `mutatingwebhookconfigurations/${fullname}`)).toBe('yes');
    expect(await can('patch', 'mutatingwebhookconfigurations/someone-else')).toBe('no');
    expect(await can('list', 'mutatingwebhookconfigurations')).toBe('no');
    expect(await can('update', `secrets/${fullname}-tls`, '-n', ns)).toBe('yes');
    expect(await can('get', 'secrets/someone-else', '-n', ns)).toBe('no');
    expect(await can('list', 'secrets', '-n', ns)).toBe('no');
    expect(await can('create', 'secrets', '-n', appNs)).toBe('no');
    expect(await can('create', 'pods', '-n', ns)).toBe('no');

    await webhook.stop();
    await ok('helm', ['uninstall', release, '--namespace', ns]);
    await expect(admission.readMutatingWebhookConfiguration({ name: fullname })).rejects.toMatchObject({
      code: 404,
    });
  }, 120_000);
});

async function createPod(
  namespace: string,
  name: string,
  annotations: Record<string, string>,
): Promise<V1Pod> {
  return core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, annotations },
      spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
    },
  });
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Admissions the webhook has answered, whatever their outcome (its /metrics counter). */
async function admissionCount(port: number): Promise<number> {
  const { body } = await get(port, '/metrics');
  return body
    .split('\n')
    .filter((l) => l.startsWith('bridge_injector_admissions_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

function peerCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw).toString());
    });
    socket.on('error', reject);
  });
}
