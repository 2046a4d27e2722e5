import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1MutatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { createCa, issueServing, serviceDnsNames } from '../../certs/certificates.js';
import { bundleTrusts, splitPem } from '../../certs/rotation.js';
import { decodeTrustSecret, encodeTrustSecret } from '../../certs/trust-secret.js';
import { type CertificateBootstrap, startCertificateBootstrap } from '../../webhook/bootstrap.js';
import { connectionFromKubeconfig, kubeRest } from '../../webhook/kube-rest.js';
import { freePort } from '../infra/ports.js';
import { stopAll, supervise, waitUntilReady } from '../infra/process.js';
import { requireKube } from '../infra/state.js';

// The certificate self-bootstrap against the real kube-apiserver: the API server itself must trust
// what is served, through every renewal and CA rotation, and replicas must agree on one certificate.
const kube = requireKube();
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);
// What `serve` uses outside a pod: the kubeconfig's current context.
const rest = kubeRest(
  connectionFromKubeconfig(readFileSync(kube.kubeconfig, 'utf8'), dirname(kube.kubeconfig)),
);
const suffix = Date.now().toString(36);
const DAY_MS = 86_400_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await stopAll();
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function namespace(name: string, labels: Record<string, string> = {}): Promise<string> {
  await core.createNamespace({ body: { metadata: { name, labels } } });
  cleanups.push(() => core.deleteNamespace({ name }));
  return name;
}

/**
 * A MutatingWebhookConfiguration for pods created in `appNamespace`, without a caBundle: two webhooks,
 * calling the first and the last of `urls` (one replica each, or the same one twice).
 */
async function webhookConfiguration(name: string, urls: string[], appNamespace: string): Promise<void> {
  const body: V1MutatingWebhookConfiguration = {
    metadata: { name },
    webhooks: [urls[0], urls[urls.length - 1]].map((url, i) => ({
      name: `webhook-${i}.bootstrap.test`,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      clientConfig: { url },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': appNamespace } },
    })),
  };
  await admission.createMutatingWebhookConfiguration({ body });
  cleanups.push(() => admission.deleteMutatingWebhookConfiguration({ name }));
}

const fingerprint = (der: Buffer) => createHash('sha256').update(der).digest('hex').slice(0, 40);

/**
 * A bare admission endpoint serving whatever the bootstrap currently holds. It labels each pod with
 * the fingerprint of the certificate its TLS handshake used, and closes every connection, so each
 * admission is a fresh handshake checked against the caBundle the API server holds at that moment.
 */
async function labellingServer(
  source: CertificateBootstrap,
  label = 'served-by',
): Promise<{ server: Server; port: number }> {
  const server = createServer(source.current(), (req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const review = JSON.parse(body) as { request: { uid: string } };
      const own = (req.socket as TLSSocket).getCertificate() as { raw: Buffer } | null;
      const patch = [
        { op: 'add', path: `/metadata/labels/${label}`, value: fingerprint(own?.raw ?? Buffer.alloc(0)) },
      ];
      res.setHeader('Connection', 'close');
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid: review.request.uid,
            allowed: true,
            patchType: 'JSONPatch',
            patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          },
        }),
      );
    });
  });
  source.onChange((m) => server.setSecureContext({ cert: m.cert, key: m.key }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { server, port: (server.address() as AddressInfo).port };
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
}

async function caBundles(name: string): Promise<string[]> {
  const mwc = await admission.readMutatingWebhookConfiguration({ name });
  return (mwc.webhooks ?? []).map((w) =>
    Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'),
  );
}

/** The certificate a TLS server on loopback presents (not verified: that is what we check). */
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

/** HTTP status of GET `path` on a loopback HTTPS server whose certificate is not checked here. */
function httpsStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('certificate self-bootstrap against the real API server', () => {
  it('two replicas share one Secret, fill the caBundle of every webhook, and the API server keeps calling both through two CA rotations', async () => {
    const ns = await namespace(`bootstrap-${suffix}`);
    const apps = await namespace(`bootstrap-apps-${suffix}`);
    const mwcName = `bootstrap-${suffix}`;

    // Lifetimes squeezed from years and days into seconds: a CA lives 60 s (certificates are
    // backdated a minute, hence 120 s of validity), is replaced 20 s into its life, and the old and
    // new CA overlap for 5 s at each step. Both replicas reconcile every 500 ms, so they also race
    // for every write.
    const replica = () =>
      startCertificateBootstrap({
        kube: rest,
        namespace: ns,
        secretName: 'webhook-tls',
        webhookConfigName: mwcName,
        serviceName: 'bridge-injector',
        ipAddresses: ['127.0.0.1'],
        policy: { caValidityDays: 120_000 / DAY_MS, caOverlapMs: 5_000 },
        resyncIntervalMs: 500,
      });
    const [a, b] = await Promise.all([replica(), replica()]);
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
    expect(a.current().cert).toBe(b.current().cert);
    // The configuration does not exist yet: each has a certificate but is not ready.
    expect(a.isReady()).toBe(false);
    expect(a.notReadyReason()).toContain('does not exist');
    const servers = [await labellingServer(a, 'served-by-a'), await labellingServer(b, 'served-by-b')];
    await webhookConfiguration(
      mwcName,
      servers.map((s) => `https://127.0.0.1:${s.port}/mutate`),
      apps,
    );
    await until('both replicas saw the caBundle they patched', () => a.isReady() && b.isReady());

    // The Secret exists and holds what is served; every webhook's caBundle trusts it.
    const secret = await core.readNamespacedSecret({ name: 'webhook-tls', namespace: ns });
    expect(secret.type).toBe('kubernetes.io/tls');
    const stored = decodeTrustSecret(secret.data);
    if (stored.kind !== 'material') throw new Error(`unexpected Secret content: ${JSON.stringify(stored)}`);
    expect(stored.material.serving.cert).toBe(a.current().cert);
    const bundles = await caBundles(mwcName);
    expect(bundles).toHaveLength(2);
    for (const bundle of bundles) expect(bundleTrusts(bundle, a.current().cert)).toBe(true);
    const firstCa = stored.material.ca.cert;

    // Create a pod every 700 ms for a minute; each goes through both replicas. With failurePolicy
    // Fail, any moment at which the API server did not trust what a replica served refuses a pod.
    const servedBy: string[] = [];
    const failures: string[] = [];
    const started = Date.now();
    for (let i = 0; Date.now() - started < 60_000; i++) {
      try {
        const pod = await core.createNamespacedPod({
          namespace: apps,
          body: {
            metadata: { name: `p-${i}`, labels: { app: 'rotation' } },
            spec: { containers: [{ name: 'main', image: 'busybox' }] },
          },
        });
        const labels = pod.metadata?.labels ?? {};
        servedBy.push(
          labels['served-by-a'] ?? 'not mutated by a',
          labels['served-by-b'] ?? 'not mutated by b',
        );
      } catch (err) {
        failures.push(`pod p-${i} at +${Date.now() - started} ms: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 700));
    }
    expect(failures).toEqual([]);
    expect(servedBy.filter((s) => s.startsWith('not mutated'))).toEqual([]);
    // At least three different serving certificates answered (the first CA's, then each new CA's).
    expect(new Set(servedBy).size).toBeGreaterThanOrEqual(3);
    const last = decodeTrustSecret(
      (await core.readNamespacedSecret({ name: 'webhook-tls', namespace: ns })).data,
    );
    if (last.kind !== 'material') throw new Error('the Secret became unreadable');
    expect(last.material.ca.cert).not.toBe(firstCa);
    // The replicas converged again, and the first CA left the caBundle once its overlap was over.
    await until('both replicas serve the stored certificate', async () => {
      const now = decodeTrustSecret(
        (await core.readNamespacedSecret({ name: 'webhook-tls', namespace: ns })).data,
      );
      return (
        now.kind === 'material' &&
        a.current().cert === now.material.serving.cert &&
        b.current().cert === a.current().cert
      );
    });
    for (const bundle of await caBundles(mwcName)) {
      expect(splitPem(bundle)).not.toContain(firstCa.endsWith('\n') ? firstCa : `${firstCa}\n`);
    }
  }, 150_000);

  it('renews a nearly expired serving certificate from the Secret while the API server keeps calling it', async () => {
    const ns = await namespace(`renew-${suffix}`);
    const apps = await namespace(`renew-apps-${suffix}`);
    const mwcName = `renew-${suffix}`;
    // What an earlier replica left: a serving certificate with 35 s left of 45 s; due for renewal
    // (a third of its life left) about 20 s from now.
    const notBefore = new Date(Date.now() - 10_000);
    const ca = await createCa('earlier-ca', { days: 3650, notBefore });
    const serving = await issueServing(ca, {
      commonName: 'bridge-injector',
      dnsNames: serviceDnsNames('bridge-injector', ns),
      ipAddresses: ['127.0.0.1'],
      validity: { days: 45_000 / DAY_MS, notBefore },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'webhook-tls' },
        type: 'kubernetes.io/tls',
        data: encodeTrustSecret({ phase: 'steady', ca, serving }),
      },
    });
    const bootstrap = await startCertificateBootstrap({
      kube: rest,
      namespace: ns,
      secretName: 'webhook-tls',
      webhookConfigName: mwcName,
      serviceName: 'bridge-injector',
      ipAddresses: ['127.0.0.1'],
      resyncIntervalMs: 500,
    });
    cleanups.push(() => bootstrap.stop());
    // Still valid: taken over as it is, not replaced.
    expect(bootstrap.current().cert).toBe(serving.cert);
    const changes: string[] = [];
    bootstrap.onChange((m) => changes.push(m.cert));

    const { port } = await labellingServer(bootstrap);
    await webhookConfiguration(mwcName, [`https://127.0.0.1:${port}/mutate`], apps);
    await until('the bootstrap has patched the caBundle', () => bootstrap.isReady());
    const servedBy: string[] = [];
    const started = Date.now();
    for (let i = 0; Date.now() - started < 30_000; i++) {
      const pod = await core.createNamespacedPod({
        namespace: apps,
        body: {
          metadata: { name: `p-${i}`, labels: { app: 'renew' } },
          spec: { containers: [{ name: 'main', image: 'busybox' }] },
        },
      });
      servedBy.push(pod.metadata?.labels?.['served-by'] ?? 'not mutated');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(changes).toHaveLength(1);
    const renewed = new X509Certificate(bootstrap.current().cert);
    expect(bootstrap.current().cert).not.toBe(serving.cert);
    // Same CA, so the caBundle did not have to change; a normal lifetime from now on.
    expect(renewed.checkIssued(new X509Certificate(ca.cert))).toBe(true);
    expect(new Date(renewed.validTo).getTime() - Date.now()).toBeGreaterThan(20 * DAY_MS);
    expect(new Set(servedBy)).toEqual(
      new Set([fingerprint(new X509Certificate(serving.cert).raw), fingerprint(renewed.raw)]),
    );
  }, 120_000);

  it('two webhook processes started at once end up serving the same certificate', async () => {
    const ns = await namespace(`race-${suffix}`);
    const mwcName = `race-${suffix}`;
    const [portA, portB] = [await freePort(), await freePort()];
    await webhookConfiguration(mwcName, [`https://127.0.0.1:${portA}/mutate`], `race-apps-${suffix}`);
    const dir = mkdtempSync(join(tmpdir(), 'bootstrap-race-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const start = (name: string, port: number) =>
      supervise(
        name,
        process.execPath,
        [
          'dist/webhook/main.js',
          'serve',
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--namespace',
          ns,
          '--tls-secret',
          'webhook-tls',
          '--webhook-config',
          mwcName,
          '--service',
          'bridge-injector',
          '--tls-san',
          '127.0.0.1',
        ],
        { logFile: join(dir, `${name}.log`), env: { ...process.env, KUBECONFIG: kube.kubeconfig } },
      );
    const a = start('webhook-a', portA);
    const b = start('webhook-b', portB);
    const ready = (port: number) => async () => (await httpsStatus(port, '/readyz')) === 200;
    await Promise.all([waitUntilReady(a, ready(portA), 60_000), waitUntilReady(b, ready(portB), 60_000)]);

    const [certA, certB] = await Promise.all([peerCertificate(portA), peerCertificate(portB)]);
    expect(certA).toBe(certB);
    const secret = decodeTrustSecret(
      (await core.readNamespacedSecret({ name: 'webhook-tls', namespace: ns })).data,
    );
    if (secret.kind !== 'material') throw new Error('the Secret is unreadable');
    expect(new X509Certificate(secret.material.serving.cert).toString()).toBe(certA);
    for (const bundle of await caBundles(mwcName)) {
      expect(bundleTrusts(bundle, secret.material.serving.cert)).toBe(true);
    }

    // A restarted replica takes the stored certificate instead of minting a new one.
    await a.stop();
    const again = start('webhook-a-again', portA);
    await waitUntilReady(again, ready(portA), 60_000);
    expect(await peerCertificate(portA)).toBe(certA);
  }, 120_000);
});
