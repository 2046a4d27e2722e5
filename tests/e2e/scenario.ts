import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  type V1ConfigMap,
  type V1Container,
  type V1Pod,
} from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { type Acl, addAcls, clientCertFor, createTopic } from '../infra/kafka-admin.js';
import { freePort } from '../infra/ports.js';
import { type Supervised, supervise, waitUntilReady } from '../infra/process.js';
import type { KafkaState, KubeState, StackState } from '../infra/state.js';
import { type ObjectReader, prepareContainer } from './kubelet.js';

const run = promisify(execFile);

/** The repository's root, from dist/tests/e2e or tests/e2e alike. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'strimzi-bridge-injector')
        return dir;
    } catch {
      // keep climbing
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the repository root from tests/e2e');
}

export const ROOT = repoRoot();
const FIXTURES = join(ROOT, 'tests/fixtures/scenario');

/** How the scenario reports what it does: the test collects it, `make demo` prints it. */
export interface Narrator {
  step(title: string): void;
  line(text: string): void;
  yaml(title: string, value: unknown): void;
}

export const silent: Narrator = { step() {}, line() {}, yaml() {} };

export interface CurlResult {
  readonly command: string;
  readonly status: number;
  readonly body: string;
}

export interface ScenarioEvidence {
  readonly submittedPod: V1Pod;
  readonly storedPod: V1Pod;
  readonly patch: unknown[];
  readonly bridgeCommand: string[];
  readonly produce: CurlResult;
  readonly listTopics: CurlResult;
  readonly createConsumer: CurlResult;
  readonly subscribe: CurlResult;
  readonly poll: CurlResult;
  readonly commit: CurlResult;
  readonly deleteConsumer: CurlResult;
  readonly describeTopic: CurlResult;
  readonly forbiddenProduce: CurlResult;
  readonly viaIpv4: CurlResult;
  readonly viaIpv6: CurlResult;
  readonly bridgeLog: string;
  /** The caBundle the webhook wrote into its own MutatingWebhookConfiguration. */
  readonly caBundleFilled: boolean;
}

const APP_NAMESPACE = 'scenario';
const INJECTOR_NAMESPACE = 'bridge-injector';
const RELEASE = 'bridge-injector';
const ANNOTATIONS = {
  'bridge.strimzi/inject': 'true',
  'bridge.strimzi/cluster': 'my-cluster',
  'bridge.strimzi/user': 'bridge',
  'bridge.strimzi/config-map': 'bridge-configuration',
};

function fixture<T>(file: string): T {
  return parseYaml(readFileSync(join(FIXTURES, file), 'utf8')) as T;
}

/** The KafkaUser's ACLs (bridge-user.yaml), exactly those and no more, in AclCommand's terms. */
export function aclsOfKafkaUser(): Acl[] {
  const user = fixture<{
    spec: {
      authorization: {
        acls: { resource: { type: string; name: string; patternType?: string }; operation: string }[];
      };
    };
  }>('bridge-user.yaml');
  return user.spec.authorization.acls.map(({ resource, operation }) => ({
    resource: resource.type === 'topic' ? { topic: resource.name } : { group: resource.name },
    operations: [operation],
    patternType: resource.patternType === 'prefix' ? 'prefixed' : 'literal',
  }));
}

/** The scenario's pod as its author now writes it: the main container and four annotations. */
export function annotatedPod(): V1Pod {
  const handWritten = fixture<V1Pod>('bridge-pod-sidecar.yaml');
  const spec = handWritten.spec!;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: handWritten.metadata!.name!, annotations: { ...ANNOTATIONS } },
    spec: {
      containers: spec.containers.filter((c) => c.name === 'main'),
      restartPolicy: spec.restartPolicy!,
    },
  };
}

/** The container the scenario's user wrote by hand (bridge-pod-sidecar.yaml), to compare with what was injected. */
export function handWrittenBridge(): V1Container {
  return fixture<V1Pod>('bridge-pod-sidecar.yaml').spec!.containers.find((c) => c.name === 'bridge')!;
}

function reader(core: CoreV1Api): ObjectReader {
  return {
    async secretData(namespace, name) {
      try {
        const s = await core.readNamespacedSecret({ name, namespace });
        return Object.fromEntries(
          Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
        );
      } catch {
        return undefined;
      }
    },
    async configMapData(namespace, name) {
      try {
        return (await core.readNamespacedConfigMap({ name, namespace })).data ?? {};
      } catch {
        return undefined;
      }
    },
  };
}

/** The image's PATH: `kafka-bridge` and `bridge-injector` are this package's bins. */
function imagePath(dir: string): string {
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(ROOT, 'dist/bridge/main.js'), join(dir, 'kafka-bridge'));
  symlinkSync(join(ROOT, 'dist/webhook/main.js'), join(dir, 'bridge-injector'));
  return `${dir}:${process.env.PATH ?? ''}`;
}

/**
 * A kubeconfig that acts as the chart's ServiceAccount (impersonation), standing in for the token the
 * kubelet would mount: the webhook gets exactly the RBAC the chart grants it.
 */
function serviceAccountKubeconfig(kube: KubeState, file: string, namespace: string, sa: string): string {
  const doc = parseYaml(readFileSync(kube.kubeconfig, 'utf8')) as {
    users: { user: Record<string, unknown> }[];
  };
  for (const u of doc.users) u.user.as = `system:serviceaccount:${namespace}:${sa}`;
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

async function helm(stack: StackState, args: string[]): Promise<string> {
  const bin = stack.tools.helm;
  if (!bin) throw new Error('helm is not in the stack state: run through tests/infra/stack.ts with --kube');
  const { stdout } = await run(bin, [...args, '--kubeconfig', stack.kube!.kubeconfig], { cwd: ROOT });
  return stdout;
}

function httpsJson(url: string, ca: string, body: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolvePromise, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = httpsRequest(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json', 'content-length': data.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const req = httpsRequest(url, { ca }, (res) => {
      res.resume();
      resolvePromise(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function portIsFree(port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', '::1']) {
    try {
      const { createServer } = await import('node:net');
      await new Promise<void>((ok, fail) => {
        const s = createServer();
        s.once('error', fail);
        s.listen({ port, host, exclusive: true }, () => s.close(() => ok()));
      });
    } catch (err) {
      // No IPv6 on the machine is not "taken".
      if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') continue;
      return false;
    }
  }
  return true;
}

/** `curl` as the app in the main container runs it; the last line of output is the HTTP status. */
async function curl(n: Narrator, args: string[]): Promise<CurlResult> {
  const shown = `curl ${args.map((a) => (/[\s'"{}]/.test(a) ? `'${a}'` : a)).join(' ')}`;
  const { stdout } = await run('curl', ['-sS', '--max-time', '30', '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  const result = { command: shown, status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  n.line(`$ ${shown}`);
  n.line(`  -> ${result.status} ${result.body}`);
  return result;
}

export interface RunningScenario {
  readonly evidence: ScenarioEvidence;
  stop(): Promise<void>;
}

/**
 * The scenario of SCENARIO.md with the injector instead of hand-written YAML. Starts the webhook and the
 * bridge as processes (stopped by `stop()`, also when a step fails); Kafka and the API server come from
 * the stack.
 */
export async function runScenario(stack: StackState, n: Narrator, workDir: string): Promise<RunningScenario> {
  const kafka = stack.kafka;
  const kube = stack.kube;
  if (!kafka || !kube)
    throw new Error('the scenario needs Kafka and kube-apiserver: run it with --kafka --kube');
  const processes: Supervised[] = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p.stop();
  };
  try {
    const evidence = await steps(stack, kafka, kube, n, workDir, processes);
    return { evidence, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function steps(
  stack: StackState,
  kafka: KafkaState,
  kube: KubeState,
  n: Narrator,
  workDir: string,
  processes: Supervised[],
): Promise<ScenarioEvidence> {
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const objects = reader(core);
  const PATH = imagePath(join(workDir, 'bin'));

  // 1. The injector, installed with its Helm chart; no kubelet here, so its Deployment's pod runs as a process.
  n.step('1. Install the injector with its Helm chart');
  const webhookPort = await freePort();
  const url = `https://127.0.0.1:${webhookPort}/mutate`;
  await helm(stack, [
    'install',
    RELEASE,
    join(ROOT, 'charts/bridge-injector'),
    '--namespace',
    INJECTOR_NAMESPACE,
    '--create-namespace',
    '--set',
    'replicaCount=1',
    '--set',
    `containerPort=${webhookPort}`,
    '--set',
    `webhook.url=${url}`,
    '--set',
    'bootstrap.extraSans={127.0.0.1}',
  ]);
  n.line(
    `helm install ${RELEASE} charts/bridge-injector -n ${INJECTOR_NAMESPACE} (webhook URL ${url}: test-only value)`,
  );
  const deployment = await apps.readNamespacedDeployment({ name: RELEASE, namespace: INJECTOR_NAMESPACE });
  const template = deployment.spec!.template;
  const webhookPod: V1Pod = {
    metadata: { ...template.metadata, name: `${RELEASE}-standin`, namespace: INJECTOR_NAMESPACE },
    spec: template.spec!,
  };
  const webhookContainer = await prepareContainer(
    webhookPod,
    'webhook',
    objects,
    join(workDir, 'webhook-volumes'),
    ['bridge-injector'],
  );
  const kubeconfig = serviceAccountKubeconfig(
    kube,
    join(workDir, 'webhook-kubeconfig.json'),
    INJECTOR_NAMESPACE,
    template.spec!.serviceAccountName!,
  );
  const [wcmd, ...wargs] = webhookContainer.command;
  const webhook = supervise('bridge-injector', wcmd!, wargs, {
    logFile: join(workDir, 'webhook.log'),
    env: { ...process.env, ...webhookContainer.env, PATH, KUBECONFIG: kubeconfig },
  });
  processes.push(webhook);
  n.line(`webhook pod's container started as a process: ${webhookContainer.command.join(' ')}`);
  // Ready = serving a certificate that the caBundle it wrote itself trusts.
  let caBundle = '';
  await waitUntilReady(
    webhook,
    async () => {
      const cfg = await admission.readMutatingWebhookConfiguration({ name: RELEASE });
      caBundle = Buffer.from(cfg.webhooks?.[0]?.clientConfig.caBundle ?? '', 'base64').toString('utf8');
      if (!caBundle) return false;
      return (await httpsStatus(`https://127.0.0.1:${webhookPort}/readyz`, caBundle)) === 200;
    },
    60_000,
    200,
  );
  n.line('webhook ready: it created its certificate Secret and filled its own caBundle');

  // 2. What Strimzi's operators would have created.
  n.step("2. Create what Strimzi's operators would have: topic, ACLs, Secrets, ConfigMap");
  await createTopic(kafka, 'my-topic', 1);
  await createTopic(kafka, 'audit-log', 1);
  const acls = aclsOfKafkaUser();
  await addAcls(kafka, 'User:bridge', acls);
  n.line(
    `topic my-topic (1 partition); ACLs for User:bridge from bridge-user.yaml: ${acls
      .map((a) => `${a.operations.join(',')} ${JSON.stringify(a.resource)}`)
      .join('; ')}`,
  );
  n.line('topic audit-log exists too, with no ACL for User:bridge');
  await core.createNamespace({
    body: { metadata: { name: APP_NAMESPACE, labels: { 'bridge.strimzi/injection': 'enabled' } } },
  });
  const user = await clientCertFor(kafka, 'bridge');
  const ca = readFileSync(kafka.caCertFile, 'utf8');
  await core.createNamespacedSecret({
    namespace: APP_NAMESPACE,
    body: {
      metadata: { name: 'bridge' },
      stringData: {
        'user.crt': readFileSync(user.certFile, 'utf8'),
        'user.key': readFileSync(user.keyFile, 'utf8'),
        'ca.crt': ca,
      },
    },
  });
  await core.createNamespacedSecret({
    namespace: APP_NAMESPACE,
    body: { metadata: { name: 'my-cluster-cluster-ca-cert' }, stringData: { 'ca.crt': ca } },
  });
  const configMap = fixture<V1ConfigMap>('bridge-configmap.yaml');
  await core.createNamespacedConfigMap({ namespace: APP_NAMESPACE, body: configMap });
  n.line(
    'Secrets bridge (user.crt, user.key, ca.crt) and my-cluster-cluster-ca-cert (ca.crt); ConfigMap bridge-configuration verbatim',
  );

  // 3. The pod, with one annotation block instead of a hand-written sidecar.
  n.step(`3. Label namespace ${APP_NAMESPACE} and create the annotated pod`);
  const submittedPod = annotatedPod();
  n.yaml('submitted pod', submittedPod);
  const review = await httpsJson(url, caBundle, {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'demo-preview',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: APP_NAMESPACE,
      operation: 'CREATE',
      dryRun: true,
      object: submittedPod,
      userInfo: { username: 'demo' },
    },
  });
  const response = (review.json as { response?: { patch?: string } }).response;
  const patch = JSON.parse(Buffer.from(response?.patch ?? 'W10=', 'base64').toString('utf8')) as unknown[];
  n.yaml('the JSONPatch the webhook answers (dry-run preview of the same request)', patch);
  await core.createNamespacedPod({ namespace: APP_NAMESPACE, body: submittedPod });

  // 4. What the API server stored.
  n.step('4. Read the stored pod back from the API server');
  const storedPod = await core.readNamespacedPod({
    name: submittedPod.metadata!.name!,
    namespace: APP_NAMESPACE,
  });
  const injected = [...(storedPod.spec?.initContainers ?? []), ...(storedPod.spec?.containers ?? [])].find(
    (c) => c.name === 'kafka-bridge',
  );
  if (!injected) throw new Error('the stored pod has no kafka-bridge container: the webhook did not inject');
  n.line(
    `kafka-bridge is ${storedPod.spec?.initContainers?.includes(injected) ? 'a native sidecar (initContainer, restartPolicy Always)' : 'a container'}; env: ${(injected.env ?? []).map((e) => e.name).join(', ')}; mounts: ${(injected.volumeMounts ?? []).map((m) => m.mountPath).join(', ')}`,
  );

  // 5. Run the injected container as a kubelet would.
  n.step('5. Run the injected kafka-bridge container as a kubelet would');
  const bridge = await prepareContainer(storedPod, 'kafka-bridge', objects, join(workDir, 'pod-volumes'), [
    'kafka-bridge',
  ]);
  const env: Record<string, string> = { ...bridge.env };
  // Cluster DNS stand-in: the Service name Strimzi gives the TLS listener resolves to our broker's.
  if (env.BOOTSTRAP_SERVERS === 'my-cluster-kafka-bootstrap:9093') env.BOOTSTRAP_SERVERS = kafka.ssl;
  n.line(
    `env resolved from the Secrets through the API; BOOTSTRAP_SERVERS my-cluster-kafka-bootstrap:9093 -> ${kafka.ssl} (DNS stand-in)`,
  );
  // A pod has its own network namespace, so 8080/8081 are always free there; on this shared machine
  // they may not be, and then the bridge's env override (the anchor's rule) moves them.
  let apiPort = 8080;
  if (!(await portIsFree(8080))) {
    apiPort = await freePort();
    env['http.port'] = String(apiPort);
    n.line(`port 8080 is taken on this machine: env http.port=${apiPort} (a pod would have its own)`);
  }
  let mgmtPort = 8081;
  if (!(await portIsFree(8081))) {
    mgmtPort = await freePort();
    env['http.management.port'] = String(mgmtPort);
  }
  const [bcmd, ...bargs] = bridge.command;
  const bridgeProcess = supervise('kafka-bridge', bcmd!, bargs, {
    logFile: join(workDir, 'bridge.log'),
    env: { PATH, HOME: workDir, ...env },
  });
  processes.push(bridgeProcess);
  await waitUntilReady(
    bridgeProcess,
    async () => (await fetch(`http://127.0.0.1:${mgmtPort}/ready`)).status === 200,
    30_000,
  );
  n.line(`$ ${bridge.command.join(' ')}   (ready: /ready on :${mgmtPort})`);

  // 6. The scenario's curl session, from the main container's side.
  n.step("6. The scenario's curl session against localhost:8080");
  const base = `http://localhost:${apiPort}`;
  const produce = await curl(n, [
    '-X',
    'POST',
    `${base}/topics/my-topic`,
    '-H',
    'Content-Type: application/vnd.kafka.json.v2+json',
    '-d',
    '{ "records": [ { "value": "Hello World!" } ] }',
  ]);
  const listTopics = await curl(n, ['-X', 'GET', `${base}/topics`]);
  const createConsumer = await curl(n, [
    '-X',
    'POST',
    `${base}/consumers/my-group`,
    '-H',
    'Content-Type: application/vnd.kafka.v2+json',
    '-d',
    '{"name":"my-consumer","auto.offset.reset":"earliest","format":"json","enable.auto.commit":true,"fetch.min.bytes":512,"consumer.request.timeout.ms":30000}',
  ]);
  const instance = `${base}/consumers/my-group/instances/my-consumer`;
  const subscribe = await curl(n, [
    '-X',
    'POST',
    `${instance}/subscription`,
    '-H',
    'Content-Type: application/vnd.kafka.v2+json',
    '-d',
    '{"topics":["my-topic"]}',
  ]);
  // The first polls after subscribing can be empty while the group forms (as with the anchor).
  let poll: CurlResult | undefined;
  const deadline = Date.now() + 60_000;
  const quiet: Narrator = { ...n, line() {} };
  while (Date.now() < deadline) {
    poll = await curl(quiet, [
      '-X',
      'GET',
      `${instance}/records?timeout=1000`,
      '-H',
      'Accept: application/vnd.kafka.json.v2+json',
    ]);
    if (poll.status !== 200 || poll.body.includes('Hello World!')) break;
  }
  n.line(`$ ${poll!.command}`);
  n.line(`  -> ${poll!.status} ${poll!.body}`);
  const commit = await curl(n, ['-X', 'POST', `${instance}/offsets`]);
  const deleteConsumer = await curl(n, ['-X', 'DELETE', instance]);

  // 7. Where the hand-written setup hurt.
  n.step('7. Where the hand-written setup hurt');
  const describeTopic = await curl(n, ['-X', 'GET', `${base}/topics/my-topic`]);
  const forbiddenProduce = await curl(n, [
    '-X',
    'POST',
    `${base}/topics/audit-log`,
    '-H',
    'Content-Type: application/vnd.kafka.json.v2+json',
    '-d',
    '{"records":[{"value":"not allowed"}]}',
  ]);
  const viaIpv6 = await curl(n, ['-6', `${base}/topics`]);
  const viaIpv4 = await curl(n, ['-4', `${base}/topics`]);
  const bridgeLog = bridgeProcess.logTail(10_000);
  const providerWarnings = bridgeLog
    .split('\n')
    .filter((l) => /provider/i.test(l) && /"level":(40|50|60)/.test(l));
  n.line(
    providerWarnings.length === 0
      ? 'bridge log: no warning about config providers'
      : `bridge log warns about config providers:\n${providerWarnings.join('\n')}`,
  );

  return {
    submittedPod,
    storedPod,
    patch,
    bridgeCommand: bridge.command,
    produce,
    listTopics,
    createConsumer,
    subscribe,
    poll: poll!,
    commit,
    deleteConsumer,
    describeTopic,
    forbiddenProduce,
    viaIpv4,
    viaIpv6,
    bridgeLog,
    caBundleFilled: caBundle.includes('BEGIN CERTIFICATE'),
  };
}
