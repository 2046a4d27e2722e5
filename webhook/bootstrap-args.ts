import { isIP } from 'node:net';
import type { BootstrapLogger, CertificateBootstrapOptions } from './bootstrap.js';
import type { KubeRest } from './kube-rest.js';

// The self-bootstrap's command line, apart from webhook/bootstrap.ts, so that `serve --cert-file` can
// parse these flags without loading the bootstrap and the certificate generation it pulls in (~20 MiB).

/**
 * The `serve` flags that configure the self-bootstrap, as `node:util` parseArgs options, so main.ts
 * can spread them into its own: `parseArgs({ options: { ...own, ...BOOTSTRAP_ARG_OPTIONS } })`.
 * The chart passes exactly these.
 */
export const BOOTSTRAP_ARG_OPTIONS = {
  'tls-secret': { type: 'string' },
  'webhook-config': { type: 'string' },
  service: { type: 'string' },
  namespace: { type: 'string' },
  'tls-san': { type: 'string', multiple: true },
  'cert-resync-seconds': { type: 'string' },
} as const;

export const BOOTSTRAP_USAGE = `Certificate self-bootstrap (used when --cert-file/--key-file are not given):
  --tls-secret NAME           Secret holding the CA and serving certificate, created if absent (default bridge-injector-tls)
  --webhook-config NAME       our MutatingWebhookConfiguration, whose caBundle is kept current (default bridge-injector)
  --service NAME              the webhook's Service; its DNS names go into the certificate (default bridge-injector)
  --namespace NS              namespace of the Secret and the Service (default $POD_NAMESPACE)
  --tls-san NAME|IP           an extra name or IP address in the certificate (repeatable)
  --cert-resync-seconds N     how often the Secret and the caBundle are re-checked (default 30)
`;

export interface BootstrapArgValues {
  'tls-secret'?: string;
  'webhook-config'?: string;
  service?: string;
  namespace?: string;
  'tls-san'?: string[];
  'cert-resync-seconds'?: string;
}

/**
 * Bootstrap options from parsed flags; throws an Error naming the flag when one is wrong.
 * `kube` is usually `kubeRest(connectionFromEnvironment())` (the pod's service account, else $KUBECONFIG).
 */
export function bootstrapOptionsFromArgs(
  values: BootstrapArgValues,
  base: { kube: KubeRest; logger?: BootstrapLogger; signal?: AbortSignal },
  env: NodeJS.ProcessEnv = process.env,
): CertificateBootstrapOptions {
  const namespace = values.namespace ?? env.POD_NAMESPACE;
  if (!namespace) {
    throw new Error('--namespace is required for the certificate bootstrap (or set $POD_NAMESPACE)');
  }
  const sans = values['tls-san'] ?? [];
  const isIp = (s: string) => isIP(s) !== 0;
  let resyncIntervalMs: number | undefined;
  if (values['cert-resync-seconds'] !== undefined) {
    const n = Number(values['cert-resync-seconds']);
    if (!Number.isFinite(n) || n <= 0) {
      throw new Error(
        `--cert-resync-seconds ${JSON.stringify(values['cert-resync-seconds'])}: a positive number is required`,
      );
    }
    resyncIntervalMs = n * 1000;
  }
  return {
    ...base,
    namespace,
    secretName: values['tls-secret'] ?? 'bridge-injector-tls',
    webhookConfigName: values['webhook-config'] ?? 'bridge-injector',
    serviceName: values.service ?? 'bridge-injector',
    extraDnsNames: sans.filter((s) => !isIp(s)),
    ipAddresses: sans.filter(isIp),
    ...(resyncIntervalMs === undefined ? {} : { resyncIntervalMs }),
  };
}
