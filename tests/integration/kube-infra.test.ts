import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { loadStack, requireKube } from '../infra/state.js';

const run = promisify(execFile);

// The real kube-apiserver, etcd, kubectl and helm that tests/infra/build-kube.sh built and stack.ts started.
describe('kube-apiserver test infrastructure', () => {
  const kube = requireKube();
  const tools = loadStack().tools;
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = `kube-infra-${Date.now().toString(36)}`;
  // helm and kubectl keep caches and settings under $HOME unless told otherwise.
  const home = mkdtempSync(join(tmpdir(), 'kube-infra-test-'));
  const toolEnv = {
    ...process.env,
    HOME: home,
    HELM_CACHE_HOME: join(home, 'helm-cache'),
    HELM_CONFIG_HOME: join(home, 'helm-config'),
    HELM_DATA_HOME: join(home, 'helm-data'),
  };

  afterAll(async () => {
    // Without a controller manager the namespace stays Terminating; the stack's etcd goes away with the run.
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it('creates a Namespace and a ConfigMap and reads them back through @kubernetes/client-node', async () => {
    await core.createNamespace({
      body: { metadata: { name: namespace, labels: { purpose: 'kube-infra' } } },
    });
    const ns = await core.readNamespace({ name: namespace });
    expect(ns.metadata?.labels).toMatchObject({ purpose: 'kube-infra' });
    expect(ns.status?.phase).toBe('Active');

    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'greeting' }, data: { 'hello.txt': 'hello from etcd' } },
    });
    const cm = await core.readNamespacedConfigMap({ name: 'greeting', namespace });
    expect(cm.data).toEqual({ 'hello.txt': 'hello from etcd' });
    expect(cm.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers /version with the version stamped at build time', async () => {
    const v = await kc.makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(v.gitVersion).toBe(kube.version);
    const [, minor] = /^v1\.(\d+)\./.exec(v.gitVersion) ?? [];
    expect(v.major).toBe('1');
    expect(v.minor).toBe(minor);
  });

  it('rejects a client without a certificate: RBAC denies the anonymous user', async () => {
    const anon = new KubeConfig();
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    anon.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'anonymous' }],
      contexts: [{ name: 'anonymous', cluster: cluster.name, user: 'anonymous' }],
      currentContext: 'anonymous',
    });
    await expect(anon.makeApiClient(CoreV1Api).listNamespace()).rejects.toMatchObject({ code: 403 });
  });

  it('runs kubectl at the API server minor version against the kubeconfig', async () => {
    if (!tools.kubectl) throw new Error('kubectl was not built: run `bash tests/infra/build-kube.sh`');
    const args = ['--kubeconfig', kube.kubeconfig, '--cache-dir', join(home, 'kube-cache')];
    const { stdout } = await run(tools.kubectl, ['version', '-o', 'json', ...args], { env: toolEnv });
    const v = JSON.parse(stdout) as {
      clientVersion: { gitVersion: string; minor: string };
      serverVersion: { gitVersion: string; minor: string };
    };
    expect(v.serverVersion.gitVersion).toBe(kube.version);
    expect(v.clientVersion.minor).toBe(v.serverVersion.minor);
    expect(v.clientVersion.gitVersion).toMatch(/^v1\.\d+\.\d+$/);

    // Sees what the API server stored, through its own client stack.
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'for-kubectl' }, data: { answer: '42' } },
    });
    const got = await run(
      tools.kubectl,
      ['get', 'configmap', 'for-kubectl', '-n', namespace, '-o', 'jsonpath={.data.answer}', ...args],
      { env: toolEnv },
    );
    expect(got.stdout).toBe('42');
  });

  it('runs helm, which renders charts for the API server minor version rather than its built-in 1.20', async () => {
    if (!tools.helm) throw new Error('helm was not built: run `bash tests/infra/build-kube.sh`');
    const version = await run(tools.helm, ['version', '--template', '{{ .Version }}'], { env: toolEnv });
    expect(version.stdout).toMatch(/^v[34]\.\d+\.\d+$/);

    const chart = join(home, 'chart');
    mkdirSync(join(chart, 'templates'), { recursive: true });
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 0.1.0\n');
    writeFileSync(
      join(chart, 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n',
    );
    const rendered = await run(tools.helm, ['template', 'probe', chart], { env: toolEnv });
    const [, minor] = /^v1\.(\d+)\./.exec(kube.version) ?? [];
    expect(rendered.stdout).toContain(`kube: "v1.${minor}.0"`);
  });
});
