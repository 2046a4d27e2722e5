import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * The few Kubernetes REST calls the certificate bootstrap makes (read/create/replace a Secret, read and
 * JSON-patch a MutatingWebhookConfiguration), over node:https.
 *
 * Why not @kubernetes/client-node here: importing it (any entry point: its config module pulls in every
 * generated model) adds ~58 MiB of RSS and ~0.5 s of start-up to a process that otherwise holds ~68 MiB,
 * for five calls. The tests and the benchmark keep using client-node.
 *
 * Credentials: in a pod, the service account (token re-read for every request, since bound tokens
 * rotate); elsewhere, the current context of $KUBECONFIG (first file) or ~/.kube/config with client
 * certificates, a bearer token or basic auth. exec and auth-provider plugins are refused by name.
 */
export interface KubeRest {
  /** The server's URL, for messages. */
  readonly server: string;
  /** JSON in, JSON out; throws KubeApiError for a status >= 400. */
  call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<T>;
}

/** A refusal from the API server: its HTTP status and the message of its Status object. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(`HTTP ${status}: ${message}`);
  }
}

/** How to reach and authenticate to one API server; what the kubeconfig or the pod provides. */
export interface KubeConnection {
  readonly server: string;
  readonly ca?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Called for every request (a projected token file changes under us). */
  readonly token?: () => string;
  readonly basic?: { readonly username: string; readonly password: string };
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** In a pod: the service account; otherwise $KUBECONFIG's first file, else ~/.kube/config. */
export function connectionFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const tokenFile = join(serviceAccountDir, 'token');
  if (host && env.KUBERNETES_SERVICE_PORT && existsSync(tokenFile)) {
    const h = isIP(host) === 6 ? `[${host}]` : host;
    return {
      server: `https://${h}:${env.KUBERNETES_SERVICE_PORT}`,
      ca: readFileSync(join(serviceAccountDir, 'ca.crt'), 'utf8'),
      token: () => readFileSync(tokenFile, 'utf8').trim(),
    };
  }
  const file = env.KUBECONFIG?.split(':').find((f) => f !== '') ?? join(homedir(), '.kube', 'config');
  if (!existsSync(file)) {
    throw new Error(`no Kubernetes credentials: not in a pod, and no kubeconfig at ${file} ($KUBECONFIG)`);
  }
  return connectionFromKubeconfig(readFileSync(file, 'utf8'), dirname(file));
}

/** The current context of a kubeconfig's text; relative file paths are taken from `baseDir`. */
export function connectionFromKubeconfig(text: string, baseDir: string): KubeConnection {
  const doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
  const pick = <T>(list: string, field: string, name: unknown): T => {
    const entries = (doc[list] ?? []) as Record<string, unknown>[];
    const found = entries.find((e) => e.name === name);
    if (!found?.[field]) throw new Error(`kubeconfig: ${list} has no entry named ${JSON.stringify(name)}`);
    return found[field] as T;
  };
  const contextName = doc['current-context'];
  if (typeof contextName !== 'string' || contextName === '')
    throw new Error('kubeconfig: no current-context');
  const context = pick<{ cluster?: string; user?: string }>('contexts', 'context', contextName);
  const cluster = pick<Record<string, unknown>>('clusters', 'cluster', context.cluster);
  const user = context.user ? pick<Record<string, unknown>>('users', 'user', context.user) : {};
  for (const plugin of ['exec', 'auth-provider'] as const) {
    if (user[plugin] !== undefined) {
      throw new Error(
        `kubeconfig: user ${JSON.stringify(context.user)} authenticates with ${plugin}, which bridge-injector does not run: use a client certificate or a token (in a cluster it uses its service account)`,
      );
    }
  }
  const resolve = (p: string) => (isAbsolute(p) ? p : join(baseDir, p));
  // `x-data` (base64 PEM) or `x` (a file path), as kubectl reads them.
  const material = (from: Record<string, unknown>, field: string): string | undefined => {
    const data = from[`${field}-data`];
    if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
    const file = from[field];
    return typeof file === 'string' ? readFileSync(resolve(file), 'utf8') : undefined;
  };
  const server = cluster.server;
  if (typeof server !== 'string') throw new Error(`kubeconfig: cluster ${context.cluster} has no server`);
  const token = user.token;
  const tokenFile = user.tokenFile;
  const conn: {
    -readonly [K in keyof KubeConnection]: KubeConnection[K];
  } = { server };
  const ca = material(cluster, 'certificate-authority');
  if (ca) conn.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) conn.insecureSkipTlsVerify = true;
  if (typeof cluster['tls-server-name'] === 'string') conn.tlsServerName = cluster['tls-server-name'];
  const cert = material(user, 'client-certificate');
  const key = material(user, 'client-key');
  if (cert && key) {
    conn.cert = cert;
    conn.key = key;
  }
  if (typeof token === 'string') conn.token = () => token;
  else if (typeof tokenFile === 'string') conn.token = () => readFileSync(resolve(tokenFile), 'utf8').trim();
  if (typeof user.username === 'string' && typeof user.password === 'string') {
    conn.basic = { username: user.username, password: user.password };
  }
  return conn;
}

export function kubeRest(conn: KubeConnection): KubeRest {
  const base = new URL(conn.server);
  const agent = new Agent({
    keepAlive: true,
    ...(conn.ca ? { ca: conn.ca } : {}),
    ...(conn.cert && conn.key ? { cert: conn.cert, key: conn.key } : {}),
    ...(conn.tlsServerName ? { servername: conn.tlsServerName } : {}),
    rejectUnauthorized: conn.insecureSkipTlsVerify !== true,
  });
  const prefix = base.pathname.replace(/\/$/, '');
  return {
    server: conn.server,
    call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
      const headers: Record<string, string> = { accept: 'application/json' };
      const text = body === undefined ? undefined : JSON.stringify(body);
      if (text !== undefined) {
        headers['content-type'] = contentType;
        headers['content-length'] = String(Buffer.byteLength(text));
      }
      if (conn.token) headers.authorization = `Bearer ${conn.token()}`;
      else if (conn.basic) {
        headers.authorization = `Basic ${Buffer.from(`${conn.basic.username}:${conn.basic.password}`).toString('base64')}`;
      }
      return new Promise<T>((resolve, reject) => {
        const req = request(
          {
            protocol: base.protocol,
            hostname: base.hostname.replace(/^\[|\]$/g, ''),
            port: base.port || 443,
            method,
            path: `${prefix}${path}`,
            headers,
            agent,
            timeout: 30_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const raw = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown;
              try {
                parsed = raw === '' ? undefined : JSON.parse(raw);
              } catch {
                parsed = undefined;
              }
              const status = res.statusCode ?? 0;
              if (status >= 400) {
                const s = (parsed ?? {}) as { message?: string; reason?: string };
                reject(
                  new KubeApiError(status, s.reason ?? '', s.message ?? (raw || res.statusMessage || '')),
                );
              } else resolve(parsed as T);
            });
          },
        );
        req.on('timeout', () =>
          req.destroy(new Error(`${method} ${path}: no answer from ${conn.server} in 30 s`)),
        );
        req.on('error', reject);
        req.end(text);
      });
    },
  };
}
