import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { connectionFromEnvironment, connectionFromKubeconfig } from '../../webhook/kube-rest.js';

const dir = mkdtempSync(join(tmpdir(), 'kube-rest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'dev',
    contexts: [
      { name: 'other', context: { cluster: 'nowhere', user: 'nobody' } },
      { name: 'dev', context: { cluster: 'c', user: 'u' } },
    ],
    clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443', ...cluster } }],
    users: [{ name: 'u', user }],
  });
}

describe('connectionFromKubeconfig', () => {
  it('reads the current context: inline CA, client certificate and key', () => {
    const c = connectionFromKubeconfig(
      kubeconfig(
        { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
        { 'certificate-authority-data': b64('CA') },
      ),
      dir,
    );
    expect(c).toMatchObject({ server: 'https://10.0.0.1:6443', ca: 'CA', cert: 'CERT', key: 'KEY' });
    expect(c.token).toBeUndefined();
  });

  it('reads file paths relative to the kubeconfig, and a token file on every call', () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA-FILE');
    writeFileSync(join(dir, 'token'), 'first\n');
    const c = connectionFromKubeconfig(
      kubeconfig({ tokenFile: 'token' }, { 'certificate-authority': 'ca.pem', 'tls-server-name': 'api' }),
      dir,
    );
    expect(c).toMatchObject({ ca: 'CA-FILE', tlsServerName: 'api' });
    expect(c.token?.()).toBe('first');
    writeFileSync(join(dir, 'token'), 'rotated\n');
    expect(c.token?.()).toBe('rotated');
  });

  it('takes a static token and insecure-skip-tls-verify', () => {
    const c = connectionFromKubeconfig(
      kubeconfig({ token: 't0k' }, { 'insecure-skip-tls-verify': true }),
      dir,
    );
    expect(c.token?.()).toBe('t0k');
    expect(c.insecureSkipTlsVerify).toBe(true);
  });

  it('refuses exec and auth-provider users by name', () => {
    expect(() => connectionFromKubeconfig(kubeconfig({ exec: { command: 'aws' } }), dir)).toThrow(
      /user "u" authenticates with exec, which bridge-injector does not run/,
    );
    expect(() => connectionFromKubeconfig(kubeconfig({ 'auth-provider': { name: 'gcp' } }), dir)).toThrow(
      /auth-provider/,
    );
  });

  it('names what is missing', () => {
    expect(() => connectionFromKubeconfig('apiVersion: v1\nkind: Config\n', dir)).toThrow(
      /no current-context/,
    );
    const noCluster = kubeconfig({ token: 't' }).replace('cluster: c\n', 'cluster: gone\n');
    expect(() => connectionFromKubeconfig(noCluster, dir)).toThrow(/clusters has no entry named "gone"/);
  });
});

describe('connectionFromEnvironment', () => {
  const sa = join(dir, 'sa');
  mkdirSync(sa);
  writeFileSync(join(sa, 'ca.crt'), 'CLUSTER-CA');
  writeFileSync(join(sa, 'token'), 'sa-token-1\n');

  it('uses the service account in a pod (IPv6 host bracketed), re-reading its token', () => {
    const c = connectionFromEnvironment(
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: '/nonexistent' },
      sa,
    );
    expect(c).toMatchObject({ server: 'https://[fd00::1]:443', ca: 'CLUSTER-CA' });
    expect(c.token?.()).toBe('sa-token-1');
    writeFileSync(join(sa, 'token'), 'sa-token-2\n');
    expect(c.token?.()).toBe('sa-token-2');
  });

  it('outside a pod reads the first file of $KUBECONFIG', () => {
    const file = join(dir, 'config');
    writeFileSync(file, kubeconfig({ token: 'from-file' }));
    const c = connectionFromEnvironment({ KUBECONFIG: `${file}:/other` }, join(dir, 'no-sa'));
    expect(c.server).toBe('https://10.0.0.1:6443');
    expect(c.token?.()).toBe('from-file');
  });

  it('says where it looked when there are no credentials', () => {
    expect(() => connectionFromEnvironment({ KUBECONFIG: join(dir, 'missing') }, join(dir, 'no-sa'))).toThrow(
      /no Kubernetes credentials: not in a pod, and no kubeconfig at .*missing/,
    );
  });
});
