import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import {
  connectionFromEnvironment,
  connectionFromKubeconfig,
  KubeApiError,
  kubeRest,
} from '../../webhook/kube-rest.js';
import { requireKube } from '../infra/state.js';

// The webhook's own Kubernetes client (used by the certificate bootstrap) against the real API server:
// with the kubeconfig, and with a service account's token the way it runs in a pod.
const kube = requireKube();
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const ns = `kube-rest-${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'kube-rest-'));

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
});
afterAll(async () => {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('kubeRest with the kubeconfig', () => {
  const rest = kubeRest(
    connectionFromKubeconfig(readFileSync(kube.kubeconfig, 'utf8'), dirname(kube.kubeconfig)),
  );

  it('creates, reads and JSON-patches objects', async () => {
    const created = await rest.call<{ metadata: { uid: string } }>(
      'POST',
      `/api/v1/namespaces/${ns}/configmaps`,
      {
        metadata: { name: 'c' },
        data: { a: '1' },
      },
    );
    expect(created.metadata.uid).toMatch(/-/);
    const patched = await rest.call<{ data: Record<string, string> }>(
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/c`,
      [{ op: 'add', path: '/data/b', value: '2' }],
      'application/json-patch+json',
    );
    expect(patched.data).toEqual({ a: '1', b: '2' });
  });

  it('turns a refusal into a KubeApiError with the status and the API server message', async () => {
    const err = await rest.call('GET', `/api/v1/namespaces/${ns}/secrets/absent`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({
      status: 404,
      reason: 'NotFound',
      message: 'HTTP 404: secrets "absent" not found',
    });
  });
});

describe('kubeRest with a service account, as in a pod', () => {
  it('authenticates with the projected token and gets what RBAC allows', async () => {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'injector' } } });
    const token = await core.createNamespacedServiceAccountToken({
      namespace: ns,
      name: 'injector',
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const saDir = join(dir, 'serviceaccount');
    mkdirSync(saDir);
    writeFileSync(join(saDir, 'token'), token.status!.token);
    const ca = connectionFromKubeconfig(readFileSync(kube.kubeconfig, 'utf8'), dirname(kube.kubeconfig)).ca!;
    writeFileSync(join(saDir, 'ca.crt'), ca);
    const url = new URL(kube.server);
    const rest = kubeRest(
      connectionFromEnvironment(
        { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
        saDir,
      ),
    );

    const denied = await rest.call('GET', `/api/v1/namespaces/${ns}/secrets`).catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 403 });
    expect((denied as Error).message).toContain(`system:serviceaccount:${ns}:injector`);

    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'secrets' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'secrets' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secrets' },
        subjects: [{ kind: 'ServiceAccount', name: 'injector', namespace: ns }],
      },
    });
    const list = await rest.call<{ kind: string }>('GET', `/api/v1/namespaces/${ns}/secrets`);
    expect(list.kind).toBe('SecretList');
  });
});
