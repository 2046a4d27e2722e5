import type { V1MutatingWebhookConfiguration, V1Secret } from '@kubernetes/client-node';
import { serviceDnsNames } from '../certs/certificates.js';
import {
  advance,
  bundleTrusts,
  caBundle,
  type Issuer,
  type Observed,
  type RotationPolicy,
  realIssuer,
  rotationPolicy,
  type TrustMaterial,
} from '../certs/rotation.js';
import { decodeTrustSecret, encodeTrustSecret, SECRET_TYPE } from '../certs/trust-secret.js';
import { KubeApiError, type KubeRest } from './kube-rest.js';

/**
 * Self-bootstrap of the webhook's TLS: the CA and serving certificate live in a Secret (the single
 * source of truth shared by every replica), and the CA bundle is written into our own
 * MutatingWebhookConfiguration. No leader election: every replica runs the same idempotent
 * reconciliation, and the API server's optimistic concurrency (create → 409, update with a
 * resourceVersion → 409) picks one winner whose result the others read back.
 *
 * The decisions (what to generate, when to rotate) are pure and live in certs/rotation.ts; this
 * file only reads and writes Kubernetes objects.
 */

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/** What the HTTPS server needs: the pair to serve now, and a way to hear about the next one. */
export interface TlsMaterialSource {
  current(): TlsMaterial;
  /** Called after the served pair changed; returns an unsubscribe function. */
  onChange(cb: (m: TlsMaterial) => void): () => void;
}

export interface CertificateBootstrap extends TlsMaterialSource {
  /** True once every webhook of our configuration has a caBundle that trusts the served certificate. */
  isReady(): boolean;
  /** Why `isReady()` is false (for /readyz and logs); undefined when ready. */
  notReadyReason(): string | undefined;
  /** Stops the periodic reconciliation (does not touch the Secret or the configuration). */
  stop(): Promise<void>;
}

/** pino's Logger satisfies this. */
export interface BootstrapLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CertificateBootstrapOptions {
  /** The API server (webhook/kube-rest.ts: the pod's service account, else the kubeconfig). */
  readonly kube: KubeRest;
  /** Namespace of the Secret and of the Service (the webhook's own namespace). */
  readonly namespace: string;
  /** The Secret holding CA + serving certificate; created if absent. */
  readonly secretName: string;
  /** Our MutatingWebhookConfiguration: the caBundle of every webhook in it is kept up to date. */
  readonly webhookConfigName: string;
  /** The Service in front of the webhook: its four DNS names go into the serving certificate. */
  readonly serviceName: string;
  /** More SANs (e.g. `127.0.0.1` when the API server calls a URL instead of the Service). */
  readonly extraDnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Lifetimes, renewal fractions, CA overlap; defaults in certs/rotation.ts. */
  readonly policy?: Partial<Omit<RotationPolicy, 'dnsNames' | 'ipAddresses'>>;
  /** How often the Secret and the caBundle are re-checked (other replicas' writes, rotation due). Default 30 s. */
  readonly resyncIntervalMs?: number;
  readonly logger?: BootstrapLogger;
  /** Aborts the start-up retries (e.g. on SIGTERM before the first certificate was obtained). */
  readonly signal?: AbortSignal;
  /** For tests. */
  readonly now?: () => Date;
  readonly issuer?: Issuer;
}

const FIELD_MANAGER = 'bridge-injector';
const MAX_BACKOFF_MS = 30_000;

const silent: BootstrapLogger = { info() {}, warn() {}, error() {} };

/**
 * Reads (or creates) the certificate Secret, then resolves with a source that always has a
 * certificate to serve. The caBundle is patched right away and on every resync; until it trusts the
 * served certificate, `isReady()` is false. Kubernetes errors at start are retried with backoff
 * (logged), because a webhook without a certificate has nothing else to do.
 */
export async function startCertificateBootstrap(
  opts: CertificateBootstrapOptions,
): Promise<CertificateBootstrap> {
  const log = opts.logger ?? silent;
  const now = opts.now ?? (() => new Date());
  const issuer = opts.issuer ?? realIssuer;
  const policy = rotationPolicy(
    {
      dnsNames: [...serviceDnsNames(opts.serviceName, opts.namespace), ...(opts.extraDnsNames ?? [])],
      ipAddresses: opts.ipAddresses ?? [],
    },
    opts.policy,
  );
  const kube = opts.kube;
  const ns = encodeURIComponent(opts.namespace);
  const secretPath = `/api/v1/namespaces/${ns}/secrets/${encodeURIComponent(opts.secretName)}`;
  const mwcPath = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(opts.webhookConfigName)}`;
  const manager = `?fieldManager=${FIELD_MANAGER}`;
  const where = {
    namespace: opts.namespace,
    secret: opts.secretName,
    webhookConfiguration: opts.webhookConfigName,
  };

  let stopped = false;
  let served: TrustMaterial | undefined;
  let notReady: string | undefined = 'the caBundle has not been checked yet';
  const listeners = new Set<(m: TlsMaterial) => void>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  /** One pass over the Secret: read, decide, write if needed; retried on conflicts. */
  async function settleSecret(): Promise<TrustMaterial> {
    for (let attempt = 1; ; attempt++) {
      const existing = await readSecret(kube, secretPath);
      const observed: Observed = existing ? decodeTrustSecret(existing.data) : { kind: 'absent' };
      const { material, steps } = await advance(observed, now(), policy, issuer);
      if (steps.length === 0) return material;
      const reasons = steps.map((s) => `${s.action}: ${s.reason}`);
      const body: V1Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: opts.secretName,
          namespace: opts.namespace,
          labels: {
            'app.kubernetes.io/managed-by': 'bridge-injector',
            ...(existing?.metadata?.labels ?? {}),
          },
          ...(existing?.metadata?.annotations ? { annotations: existing.metadata.annotations } : {}),
          ...(existing ? { resourceVersion: existing.metadata?.resourceVersion } : {}),
        },
        // The type of an existing Secret is immutable: keep it.
        type: existing?.type ?? SECRET_TYPE,
        data: encodeTrustSecret(material),
      };
      try {
        if (existing) await kube.call('PUT', `${secretPath}${manager}`, body);
        else await kube.call('POST', `/api/v1/namespaces/${ns}/secrets${manager}`, body);
        log.info({ ...where, steps: reasons }, 'certificate Secret written');
        return material;
      } catch (err) {
        // Another replica wrote first (create → 409 AlreadyExists, update → 409 Conflict): read its
        // result and decide again, which normally answers "keep".
        if (isStatus(err, 409) && attempt < 10) {
          log.info(
            { ...where, attempt },
            'another replica wrote the certificate Secret first; reading its version',
          );
          continue;
        }
        throw err;
      }
    }
  }

  /** Makes every webhook's caBundle equal to the material's bundle; returns why not ready, if so. */
  async function syncCaBundle(material: TrustMaterial): Promise<string | undefined> {
    const desired = caBundle(material);
    let mwc: V1MutatingWebhookConfiguration;
    try {
      mwc = await kube.call<V1MutatingWebhookConfiguration>('GET', mwcPath);
    } catch (err) {
      if (isStatus(err, 404))
        return `MutatingWebhookConfiguration ${opts.webhookConfigName} does not exist (yet)`;
      throw err;
    }
    const webhooks = mwc.webhooks ?? [];
    if (webhooks.length === 0)
      return `MutatingWebhookConfiguration ${opts.webhookConfigName} has no webhooks`;
    const ops: object[] = [];
    webhooks.forEach((w, i) => {
      const current = w.clientConfig.caBundle
        ? Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8')
        : '';
      if (current === desired) return;
      // The test op makes the patch fail (422) rather than write into the wrong webhook if the list
      // changed since we read it.
      ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name });
      ops.push({
        op: w.clientConfig.caBundle === undefined ? 'add' : 'replace',
        path: `/webhooks/${i}/clientConfig/caBundle`,
        value: Buffer.from(desired).toString('base64'),
      });
    });
    let bundles = webhooks.map((w) => Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'));
    if (ops.length > 0) {
      const patched = await kube.call<V1MutatingWebhookConfiguration>(
        'PATCH',
        `${mwcPath}${manager}`,
        ops,
        'application/json-patch+json',
      );
      bundles = (patched.webhooks ?? []).map((w) =>
        Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'),
      );
      log.info({ ...where, webhooks: ops.length / 2 }, 'caBundle patched');
    }
    const untrusted = webhooks.filter((_, i) => !bundleTrusts(bundles[i] ?? '', material.serving.cert));
    if (untrusted.length > 0) {
      return `the caBundle of ${untrusted.map((w) => w.name).join(', ')} does not trust the served certificate`;
    }
    return undefined;
  }

  function serve(material: TrustMaterial): void {
    const changed = served?.serving.cert !== material.serving.cert;
    served = material;
    if (!changed) return;
    for (const cb of listeners) {
      try {
        cb(material.serving);
      } catch (err) {
        log.error({ ...where, err }, 'a TLS material listener failed');
      }
    }
  }

  async function reconcile(): Promise<void> {
    const material = await settleSecret();
    // The caBundle goes first: a replica switches to a certificate only after it published the CAs
    // that trust it (during a CA rotation both are already there; this covers lagging replicas).
    try {
      notReady = await syncCaBundle(material);
    } catch (err) {
      notReady = `cannot update the caBundle: ${describeError(err)}`;
    }
    serve(material);
    if (notReady) log.warn({ ...where, reason: notReady }, 'not ready');
  }

  // First reconciliation: retried until the Secret is settled.
  for (let delay = 1000; !opts.signal?.aborted; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
    try {
      await reconcile();
      break;
    } catch (err) {
      log.error(
        { ...where, err: describeError(err), retryInMs: delay },
        'certificate bootstrap failed; retrying',
      );
      await sleep(delay, opts.signal);
    }
  }
  if (!served) throw new Error('certificate bootstrap was aborted before it had a certificate');

  const interval = opts.resyncIntervalMs ?? 30_000;
  const tick = () => {
    running = reconcile()
      .catch((err) => {
        log.error(
          { ...where, err: describeError(err) },
          'certificate resync failed; keeping the current certificate',
        );
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, interval);
      });
  };
  timer = setTimeout(tick, interval);

  return {
    current: () => (served as TrustMaterial).serving,
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    isReady: () => notReady === undefined,
    notReadyReason: () => notReady,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function readSecret(kube: KubeRest, path: string): Promise<V1Secret | undefined> {
  try {
    return await kube.call<V1Secret>('GET', path);
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof KubeApiError && err.status === code;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
