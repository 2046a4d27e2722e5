import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCa, issueClient, issueServing, type KeyPair } from '../../certs/certificates.js';
import { cacheDir } from './paths.js';
import { freePorts } from './ports.js';
import { type Supervised, supervise, waitUntilReady } from './process.js';
import type { KubeState, ToolsState } from './state.js';

/** What `tests/infra/build-kube.sh` built, as it records it in `<cache>/kube-tools.json`. */
export interface KubeTools {
  readonly kubernetesVersion: string;
  readonly etcdVersion: string;
  readonly helmVersion: string;
  readonly kubeApiserver: string;
  readonly etcd: string;
  readonly kubectl: string;
  readonly helm: string;
}

const BUILD_HINT = 'run `bash tests/infra/build-kube.sh` (or `make infra`) first';

function toolsFile(): string {
  return join(cacheDir(), 'kube-tools.json');
}

/** The binaries of the last `build-kube.sh` run; throws, saying how to build them, when they are missing. */
export function kubeTools(): KubeTools {
  const file = toolsFile();
  if (!existsSync(file))
    throw new Error(`kube-apiserver, etcd, kubectl and helm are not built (${file}): ${BUILD_HINT}`);
  const tools = JSON.parse(readFileSync(file, 'utf8')) as KubeTools;
  for (const bin of [tools.kubeApiserver, tools.etcd, tools.kubectl, tools.helm]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: ${BUILD_HINT}`);
  }
  return tools;
}

/** helm and kubectl for the tests, when they have been built; a test that needs one says so itself. */
export function toolsState(): ToolsState {
  if (!existsSync(toolsFile())) return {};
  const t = JSON.parse(readFileSync(toolsFile(), 'utf8')) as Partial<KubeTools>;
  return {
    ...(t.helm && existsSync(t.helm) ? { helm: t.helm } : {}),
    ...(t.kubectl && existsSync(t.kubectl) ? { kubectl: t.kubectl } : {}),
  };
}

// A loaded 2-core machine has taken over 30 s to get a cold kube-apiserver ready; fail long before a test times out.
const ETCD_READY_MS = 30_000;
const APISERVER_READY_MS = 90_000;

interface Tls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS request to the API server as the admin user. */
function call(server: string, tls: Tls, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      {
        method,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        timeout: 5_000,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok && (await res.text()).includes('"health":"true"');
}

function writePair(dir: string, name: string, pair: KeyPair): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, pair.cert);
  writeFileSync(key, pair.key, { mode: 0o600 });
  return { cert, key };
}

function kubeconfig(server: string, caPem: string, admin: KeyPair): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [
      {
        name: 'admin',
        user: { 'client-certificate-data': b64(admin.cert), 'client-key-data': b64(admin.key) },
      },
    ],
    contexts: [{ name: 'admin@test', context: { cluster: 'test', user: 'admin', namespace: 'default' } }],
    'current-context': 'admin@test',
  });
}

/**
 * Starts etcd and kube-apiserver the way controller-runtime's envtest does (loopback only, free ports, data and
 * certificates in `<runDir>/kube`), and resolves once the API server is ready for tests: `/readyz` is ok, the
 * `default` namespace exists and a namespace can be created. An admin user (`CN=admin, O=system:masters`)
 * authenticates with a client certificate; its kubeconfig is `state.kubeconfig`.
 */
export async function startKube(runDir: string): Promise<{ state: KubeState; stop(): Promise<void> }> {
  const tools = kubeTools();
  const dir = join(runDir, 'kube');
  mkdirSync(dir, { recursive: true });

  const [etcdClient, etcdPeer, securePort] = (await freePorts(3)) as [number, number, number];
  const server = `https://127.0.0.1:${securePort}`;

  const servingCa = await createCa('kube-apiserver-ca');
  const serving = await issueServing(servingCa, {
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    // 10.0.0.1: the `kubernetes` Service's cluster IP, the first address of --service-cluster-ip-range.
    ipAddresses: ['127.0.0.1', '10.0.0.1'],
  });
  const clientCa = await createCa('kube-client-ca');
  const admin = await issueClient(clientCa, 'admin', { organization: 'system:masters' });
  writeFileSync(join(dir, 'ca.crt'), servingCa.cert);
  const servingFiles = writePair(dir, 'apiserver', serving);
  writeFileSync(join(dir, 'client-ca.crt'), clientCa.cert);
  writePair(dir, 'admin', admin);
  // The key pair that signs and verifies service-account tokens ("required on 1.20+", says envtest).
  const sa = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'sa-signer.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  writeFileSync(join(dir, 'sa-signer.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));

  const kubeconfigFile = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigFile, kubeconfig(server, servingCa.cert, admin), { mode: 0o600 });

  // Loopback never goes through a proxy; keep a proxy from the environment away from webhook calls all the same.
  const env = { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };
  const started: Supervised[] = [];
  // Last started, first stopped: the API server would otherwise spend its shutdown retrying a vanished etcd.
  const stop = async () => {
    for (const s of started.splice(0).reverse()) await s.stop();
  };

  try {
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = supervise(
      'etcd',
      tools.etcd,
      [
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        // Test data is thrown away: no fsync per write (envtest does the same).
        '--unsafe-no-fsync=true',
      ],
      { logFile: join(dir, 'etcd.log'), env },
    );
    started.push(etcd);
    await waitUntilReady(etcd, () => httpOk(`${etcdUrl}/health`), ETCD_READY_MS);

    const apiserver = supervise(
      'kube-apiserver',
      tools.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${securePort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${servingFiles.cert}`,
        `--tls-private-key-file=${servingFiles.key}`,
        `--client-ca-file=${join(dir, 'client-ca.crt')}`,
        '--authorization-mode=RBAC',
        `--service-account-issuer=${server}/`,
        `--service-account-key-file=${join(dir, 'sa-signer.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa-signer.key')}`,
        // Without a controller manager no namespace gets a `default` ServiceAccount, which this plugin
        // would require of every pod. MutatingAdmissionWebhook stays on: it is what the tests exercise.
        '--disable-admission-plugins=ServiceAccount',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--profiling=false',
      ],
      { logFile: join(dir, 'kube-apiserver.log'), env },
    );
    started.push(apiserver);

    const tls: Tls = { ca: servingCa.cert, cert: admin.cert, key: admin.key };
    let version = '';
    await waitUntilReady(
      apiserver,
      async () => {
        // Every post-start hook (RBAC bootstrap roles, system namespaces, informer sync) is part of /readyz.
        if ((await call(server, tls, 'GET', '/readyz')).body !== 'ok') return false;
        if ((await call(server, tls, 'GET', '/api/v1/namespaces/default')).status !== 200) return false;
        // The admission chain and storage accept a write (dry run: nothing is left behind).
        const probe = await call(server, tls, 'POST', '/api/v1/namespaces?dryRun=All', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'readiness-probe' },
        });
        if (probe.status !== 201) return false;
        const v = await call(server, tls, 'GET', '/version');
        version = (JSON.parse(v.body) as { gitVersion: string }).gitVersion;
        return true;
      },
      APISERVER_READY_MS,
      250,
    );
    return {
      state: { server, kubeconfig: kubeconfigFile, version, logFile: apiserver.logFile },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
