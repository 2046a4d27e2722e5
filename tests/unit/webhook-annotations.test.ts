import { resolveInjection } from '../../webhook/annotations.js';
import { ConfigFileError, parseConfig } from '../../webhook/config.js';

const withCluster = parseConfig('defaults:\n  cluster: my-cluster\n');
const bare = parseConfig('');
const base = { 'bridge.strimzi/inject': 'true', 'bridge.strimzi/user': 'bridge' };

function errorsOf(extra: Record<string, string>, config = withCluster): readonly string[] {
  const r = resolveInjection({ ...base, ...extra }, config);
  if (r.kind !== 'deny') throw new Error(`expected a denial, got ${r.kind}`);
  return r.errors;
}

describe('bad annotation values deny, naming the annotation, the value and what is allowed', () => {
  test.each([
    ['auth', 'kerberos', /allowed: "tls", "scram-sha-512", "none"/],
    ['cpu-request', '100 m', /allowed: a positive Kubernetes quantity/],
    ['memory-limit', '-1Gi', /allowed: a positive Kubernetes quantity/],
    ['memory-request', '12XB', /allowed: a positive Kubernetes quantity/],
    ['cpu-limit', '0', /allowed: a positive Kubernetes quantity/],
    ['port', '70000', /allowed: a port from 1 to 65535/],
    ['port', '0', /allowed: a port from 1 to 65535/],
    ['management-port', 'http', /allowed: an integer port from 1 to 65535/],
    ['image', 'Quay.io/Strimzi/Bridge:latest', /allowed: an image reference/],
    ['image', 'bridge:tag with space', /allowed: an image reference/],
    ['image', 'bridge@sha256:xyz', /allowed: an image reference/],
    ['native-sidecar', 'yes', /allowed: "true" or "false"/],
    ['log-level', 'verbose', /allowed: "trace", "debug", "info", "warn", "error", "fatal"/],
    ['bootstrap-servers', 'kafka', /allowed: a comma-separated list of host:port/],
    ['bootstrap-servers', 'kafka:99999', /allowed: a comma-separated list of host:port/],
    ['user', 'Bad_User', /allowed: a KafkaUser name/],
    ['cluster', 'my.cluster', /allowed: a Strimzi cluster name/],
    ['config-map', 'UPPER', /allowed: a ConfigMap name/],
    ['ca-secret', '-x', /allowed: a Secret name/],
  ])('%s: %j', (key, value, allowed) => {
    const errors = errorsOf({ [`bridge.strimzi/${key}`]: value });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`annotation bridge.strimzi/${key}: ${JSON.stringify(value)} is not allowed`);
    expect(errors[0]).toMatch(allowed);
  });

  test('every bad value is reported at once', () => {
    expect(errorsOf({ 'bridge.strimzi/auth': 'x', 'bridge.strimzi/port': '-1' })).toHaveLength(2);
  });

  test('inject with a value other than true/false is denied', () => {
    const r = resolveInjection({ 'bridge.strimzi/inject': 'yes' }, withCluster);
    expect(r).toMatchObject({
      kind: 'deny',
      errors: ['annotation bridge.strimzi/inject: "yes" is not allowed: allowed: "true" or "false"'],
    });
  });

  test('auth tls or scram without a user is denied with what the user is for', () => {
    const r = resolveInjection({ 'bridge.strimzi/inject': 'true' }, withCluster);
    expect(r).toMatchObject({ kind: 'deny' });
    if (r.kind === 'deny')
      expect(r.errors[0]).toMatch(/bridge.strimzi\/user is required when bridge.strimzi\/auth is tls/);
    const s = resolveInjection(
      { 'bridge.strimzi/inject': 'true', 'bridge.strimzi/auth': 'scram-sha-512' },
      withCluster,
    );
    if (s.kind === 'deny') expect(s.errors[0]).toMatch(/holds password/);
    else throw new Error('expected denial');
  });

  test('no cluster anywhere: denied, asking for cluster or bootstrap-servers', () => {
    expect(errorsOf({}, bare)[0]).toMatch(
      /bridge.strimzi\/cluster or bridge.strimzi\/bootstrap-servers is required/,
    );
  });

  test('same port for API and management is denied', () => {
    expect(errorsOf({ 'bridge.strimzi/port': '8081' })[0]).toMatch(
      /^annotation bridge.strimzi\/management-port \(default\)|default managementPort: 8081 is not allowed: it must differ/,
    );
  });

  test('a request above its limit is denied, naming both', () => {
    expect(
      errorsOf({ 'bridge.strimzi/memory-request': '2Gi', 'bridge.strimzi/memory-limit': '1Gi' }),
    ).toEqual([
      'annotation bridge.strimzi/memory-request: "2Gi" is not allowed: it exceeds memory-limit "1Gi"',
    ]);
    // 500m < 1: the units are compared, not the text.
    expect(
      resolveInjection(
        { ...base, 'bridge.strimzi/cpu-request': '500m', 'bridge.strimzi/cpu-limit': '1' },
        withCluster,
      ).kind,
    ).toBe('inject');
  });
});

describe('warnings, never denials', () => {
  test('an unknown bridge.strimzi/* key is a warning with a suggestion', () => {
    const r = resolveInjection(
      { ...base, 'bridge.strimzi/memory-limt': '1Gi', 'bridge.strimzi/zzz': 'x' },
      withCluster,
    );
    expect(r.kind).toBe('inject');
    expect(r.warnings).toEqual([
      'unknown annotation bridge.strimzi/memory-limt ignored (did you mean bridge.strimzi/memory-limit?)',
      'unknown annotation bridge.strimzi/zzz ignored',
    ]);
  });

  test('a custom CA Secret is a warning: its ca.crt key cannot be checked at admission', () => {
    const r = resolveInjection({ ...base, 'bridge.strimzi/ca-secret': 'corp-ca' }, withCluster);
    expect(r.warnings).toEqual([
      'bridge.strimzi/ca-secret: Secret "corp-ca" must hold key ca.crt (not checked at admission)',
    ]);
  });

  test('the Strimzi conventions (user Secret, cluster CA) give no warning', () => {
    expect(resolveInjection(base, withCluster).warnings).toEqual([]);
  });
});

describe('cluster defaults from the configuration file', () => {
  test('every default applies when the pod says nothing; annotations win', () => {
    const c = parseConfig(
      [
        'containerName: bridge',
        'defaults:',
        '  cluster: prod',
        '  user: app',
        '  auth: scram-sha-512',
        '  image: example.com/bridge:2',
        '  port: 9080',
        '  managementPort: 9081',
        '  cpuRequest: 10m',
        '  cpuLimit: "2"',
        '  memoryRequest: 1Mi',
        '  memoryLimit: 2Mi',
        '  logLevel: warn',
        '  nativeSidecar: false',
        '  configMap: cm',
      ].join('\n'),
    );
    const r = resolveInjection({ 'bridge.strimzi/inject': 'true' }, c);
    expect(r).toEqual({
      kind: 'inject',
      warnings: [],
      spec: {
        containerName: 'bridge',
        image: 'example.com/bridge:2',
        bootstrapServers: 'prod-kafka-bootstrap:9093',
        caSecret: 'prod-cluster-ca-cert',
        auth: { mechanism: 'scram-sha-512', userSecret: 'app', username: 'app' },
        configMap: 'cm',
        port: 9080,
        managementPort: 9081,
        resources: { requests: { cpu: '10m', memory: '1Mi' }, limits: { cpu: '2', memory: '2Mi' } },
        logLevel: 'warn',
        placement: { kind: 'first', waitSeconds: 60 },
      },
    });
    const over = resolveInjection(
      { 'bridge.strimzi/inject': 'true', 'bridge.strimzi/auth': 'tls', 'bridge.strimzi/user': 'u' },
      c,
    );
    expect(over.kind === 'inject' && over.spec.auth).toEqual({ mechanism: 'tls', userSecret: 'u' });
  });

  test('defaults.inject: true injects pods that do not say', () => {
    const c = parseConfig('defaults:\n  inject: true\n  cluster: c\n  auth: none\n');
    expect(resolveInjection({}, c).kind).toBe('inject');
  });

  test.each([
    [
      'defaults:\n  auth: kerberos\n',
      /defaults.auth: "kerberos" is not allowed: allowed: "tls", "scram-sha-512", "none"/,
    ],
    ['defaults:\n  memoryLimit: lots\n', /defaults.memoryLimit: "lots" is not allowed/],
    [
      'defaults:\n  memory-limit: 1Gi\n',
      /defaults.memory-limit: unknown key \(allowed: inject, cluster, bootstrapServers/,
    ],
    ['containerNme: x\n', /containerNme: unknown key \(allowed: containerName, namespace/],
    ['defaults:\n  port: "8080"\n', /defaults\.port: must be integer/],
    ['defaults: [\n', /not valid YAML or JSON/],
  ])('a bad file is refused with the key: %j', (text, message) => {
    expect(() => parseConfig(text, 'f.yaml')).toThrow(ConfigFileError);
    expect(() => parseConfig(text, 'f.yaml')).toThrow(message);
  });

  test('JSON is accepted, and the namespace falls back to $POD_NAMESPACE', () => {
    const c = parseConfig('{"defaults": {"cluster": "x"}}', 'f.json', { POD_NAMESPACE: 'injector' });
    expect(c.namespace).toBe('injector');
    expect(c.defaults.cluster).toBe('x');
  });
});
