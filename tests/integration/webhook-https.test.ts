import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import jsonpatch from 'fast-json-patch';
import { createCa, describe as describeCert, issueServing, type KeyPair } from '../../certs/certificates.js';
import { parseConfig } from '../../webhook/config.js';
import { createLogger } from '../../webhook/log.js';
import { createMetrics } from '../../webhook/metrics.js';
import { fileTlsSource, type RunningServer, startServer } from '../../webhook/server.js';

const FIXTURES = join(process.cwd(), 'tests/fixtures/admission');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

interface Answer {
  status: number;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: the response JSON is what the test inspects
  json: () => any;
  peerFingerprint: string;
}

function call(port: number, ca: string, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const socket = res.socket as import('node:tls').TLSSocket;
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            json: () => JSON.parse(text),
            peerFingerprint: socket.getPeerCertificate?.().fingerprint256 ?? '',
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('bridge-injector over HTTPS with AdmissionReview fixtures', () => {
  let dir: string;
  let ca: KeyPair;
  let running: RunningServer;
  let tls: ReturnType<typeof fileTlsSource>;
  const logLines: Record<string, unknown>[] = [];
  const metrics = createMetrics();

  const writePair = async (authority: KeyPair) => {
    const leaf = await issueServing(authority, {
      commonName: 'bridge-injector',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    // Written aside and renamed in, as a Secret volume update swaps files atomically.
    writeFileSync(join(dir, 'tls.key.new'), leaf.key);
    writeFileSync(join(dir, 'tls.crt.new'), leaf.cert);
    renameSync(join(dir, 'tls.key.new'), join(dir, 'tls.key'));
    renameSync(join(dir, 'tls.crt.new'), join(dir, 'tls.crt'));
    return leaf;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webhook-https-'));
    ca = await createCa('test-ca');
    await writePair(ca);
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
        cb();
      },
    });
    const logger = createLogger('info', sink);
    tls = fileTlsSource(join(dir, 'tls.crt'), join(dir, 'tls.key'), logger);
    const config = parseConfig('namespace: bridge-injector\n');
    running = await startServer({ config, tls, logger, metrics, port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await running?.close();
    tls?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admit = (name: string) => call(running.port, ca.cert, 'POST', '/mutate', fixture(name));

  test('the scenario pod gets a JSONPatch that, applied, yields the sidecar; uid echoed', async () => {
    const a = await admit('pod-create-scenario.json');
    expect(a.status).toBe(200);
    const { apiVersion, kind, response } = a.json();
    expect({ apiVersion, kind }).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(response.uid).toBe('0b1c6a3e-0001-4c1e-9a55-000000000001');
    expect(response.allowed).toBe(true);
    expect(response.patchType).toBe('JSONPatch');
    const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
    const pod = JSON.parse(fixture('pod-create-scenario.json')).request.object as V1Pod;
    const patched = jsonpatch.applyPatch(pod, ops, true, false).newDocument as V1Pod;
    expect(patched.metadata?.annotations?.['bridge.strimzi/status']).toBe('injected');
    expect(patched.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge']);
    expect(patched.spec?.volumes).toEqual([
      { name: 'kafka-bridge-config', configMap: { name: 'bridge-configuration' } },
    ]);
    expect(patched.spec?.containers.map((c) => c.name)).toEqual(['main']);
    expect(response.warnings).toBeUndefined();
  });

  test('generateName pod with empty name and namespace: injected, existing init containers and volumes kept', async () => {
    const { response } = (await admit('pod-create-generate-name.json')).json();
    const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
    const pod = JSON.parse(fixture('pod-create-generate-name.json')).request.object as V1Pod;
    const patched = jsonpatch.applyPatch(pod, ops, true, false).newDocument as V1Pod;
    expect(patched.spec?.initContainers?.map((c) => c.name)).toEqual(['kafka-bridge', 'migrate']);
    expect(patched.spec?.volumes?.map((v) => v.name)).toEqual(['data']);
    expect(patched.metadata?.name).toBeUndefined();
  });

  test('dry run: the same patch as a real create', async () => {
    const real = (await admit('pod-create-scenario.json')).json().response.patch;
    const dry = (await admit('pod-create-dry-run.json')).json().response;
    expect(dry.patch).toBe(real);
  });

  test('bad annotations: denied with every problem named, unknown key as a warning', async () => {
    const { response } = (await admit('pod-create-bad-annotations.json')).json();
    expect(response.allowed).toBe(false);
    expect(response.patch).toBeUndefined();
    expect(response.status.code).toBe(400);
    expect(response.status.message).toBe(
      'bridge-injector: annotation bridge.strimzi/auth: "kerberos" is not allowed: allowed: "tls", "scram-sha-512", "none"; ' +
        'annotation bridge.strimzi/memory-limit: "lots" is not allowed: allowed: a positive Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi',
    );
    expect(response.warnings).toEqual(['unknown annotation bridge.strimzi/colour ignored']);
  });

  test.each([
    ['pod-create-plain.json', undefined],
    ['pod-update.json', undefined],
    ['pod-create-already-injected.json', undefined],
    [
      'pod-create-kube-system.json',
      ['bridge.strimzi/inject ignored: pods in namespace kube-system are never injected'],
    ],
  ])('%s: allowed untouched', async (name, warnings) => {
    const { response } = (await admit(name)).json();
    expect(response.allowed).toBe(true);
    expect(response.patch).toBeUndefined();
    expect(response.patchType).toBeUndefined();
    expect(response.warnings).toEqual(warnings);
  });

  test.each([
    [
      'review-v1beta1.json',
      /apiVersion "admission.k8s.io\/v1beta1" is not supported: only admission.k8s.io\/v1/,
    ],
    ['review-without-request.json', /request is missing/],
  ])('%s: HTTP 400 with the reason', async (name, reason) => {
    const a = await admit(name);
    expect(a.status).toBe(400);
    expect(a.json().error).toMatch(reason);
  });

  test('a body that is not JSON, or not an object: HTTP 400, and the server keeps answering', async () => {
    const notJson = await call(running.port, ca.cert, 'POST', '/mutate', '{"apiVersion": ');
    expect(notJson.status).toBe(400);
    expect(notJson.json().error).toMatch(/^the body is not valid JSON/);
    const array = await call(running.port, ca.cert, 'POST', '/mutate', '[1,2]');
    expect(array.status).toBe(400);
    const review = JSON.parse(fixture('pod-create-scenario.json'));
    review.request.object.spec.containers = 'nope';
    const badPod = await call(running.port, ca.cert, 'POST', '/mutate', JSON.stringify(review));
    expect(badPod.status).toBe(400);
    expect(badPod.json().error).toBe('request.object.spec.containers must be an array');
    expect((await admit('pod-create-plain.json')).status).toBe(200);
  });

  test('healthz, readyz and metrics by outcome with a latency histogram', async () => {
    expect((await call(running.port, ca.cert, 'GET', '/healthz')).status).toBe(200);
    expect((await call(running.port, ca.cert, 'GET', '/readyz')).status).toBe(200);
    // Read through /metrics, as Prometheus does.
    const count = (text: string, outcome: string) =>
      Number(
        new RegExp(`^bridge_injector_admissions_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(
          text,
        )?.[1] ?? 0,
      );
    const before = (await call(running.port, ca.cert, 'GET', '/metrics')).body;
    await admit('pod-create-scenario.json');
    await admit('pod-create-bad-annotations.json');
    const text = (await call(running.port, ca.cert, 'GET', '/metrics')).body;
    expect(count(text, 'injected')).toBe(count(before, 'injected') + 1);
    expect(count(text, 'denied')).toBe(count(before, 'denied') + 1);
    expect(count(text, 'injected')).toBeGreaterThan(1);
    expect(text).toMatch(/^bridge_injector_admissions_total\{outcome="injected"\} \d+$/m);
    expect(text).toMatch(/^bridge_injector_admission_duration_seconds_count \d+$/m);
  });

  test('one JSON log line per admission with uid, namespace, pod (or generateName*) and outcome', async () => {
    logLines.length = 0;
    await admit('pod-create-generate-name.json');
    await admit('pod-create-bad-annotations.json');
    const admissions = logLines.filter((l) => l.msg === 'admission');
    expect(admissions).toHaveLength(2);
    expect(admissions[0]).toMatchObject({
      uid: '0b1c6a3e-0003-4c1e-9a55-000000000003',
      namespace: 'apps',
      pod: 'web-5d8f7c-*',
      outcome: 'injected',
      level: 'info',
    });
    expect(admissions[1]).toMatchObject({ pod: 'app', outcome: 'denied' });
  });

  test('a new certificate on disk is served without a restart', async () => {
    const first = await call(running.port, ca.cert, 'GET', '/healthz');
    const otherCa = await createCa('rotated-ca');
    const leaf = await writePair(otherCa);
    const want = describeCert(leaf.cert).fingerprint256;
    const deadline = Date.now() + 10_000;
    let seen = first.peerFingerprint;
    while (seen !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await call(running.port, otherCa.cert, 'GET', '/healthz').then(
        (a) => a.peerFingerprint,
        () => seen,
      );
    }
    expect(seen).toBe(want);
    expect(first.peerFingerprint).not.toBe(want);
    await expect(call(running.port, ca.cert, 'GET', '/healthz')).rejects.toThrow();
  });
});
