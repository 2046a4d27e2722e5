import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../webhook/config.js';
import { injectYaml } from '../../webhook/offline.js';

const config = parseConfig('defaults:\n  cluster: my-cluster\n  user: bridge\n');
const annotated = '      annotations:\n        bridge.strimzi/inject: "true"\n';

function workload(kind: string, apiVersion: string, templatePath: string[]): string {
  const indent = (n: number) => ' '.repeat(n);
  let out = `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: w-${kind.toLowerCase()}\nspec:\n`;
  let depth = 1;
  for (const key of templatePath.slice(1, -1)) {
    out += `${indent(depth * 2)}${key}:\n`;
    depth++;
  }
  out += `${indent(depth * 2)}template:\n${indent(depth * 2 + 2)}metadata:\n${annotated.replace(/^ {6}/gm, indent(depth * 2 + 4))}`;
  out += `${indent(depth * 2 + 2)}spec:\n${indent(depth * 2 + 4)}containers:\n${indent(depth * 2 + 6)}- name: app\n${indent(depth * 2 + 8)}image: busybox\n`;
  return out;
}

describe('bridge-injector inject -f (offline)', () => {
  test.each([
    ['Deployment', 'apps/v1', ['spec', 'template']],
    ['StatefulSet', 'apps/v1', ['spec', 'template']],
    ['DaemonSet', 'apps/v1', ['spec', 'template']],
    ['ReplicaSet', 'apps/v1', ['spec', 'template']],
    ['Job', 'batch/v1', ['spec', 'template']],
    ['CronJob', 'batch/v1', ['spec', 'jobTemplate', 'spec', 'template']],
  ])('%s: the pod template gets the sidecar', (kind, apiVersion, path) => {
    const r = injectYaml(workload(kind, apiVersion, path), 'default', config);
    expect(r.errors).toEqual([]);
    expect(r.injected).toBe(1);
    // biome-ignore lint/suspicious/noExplicitAny: walking parsed YAML by a path given as data
    let t: any = parseAllDocuments(r.yaml)[0]!.toJS();
    for (const k of path) t = t[k];
    expect(t.spec.initContainers.map((c: { name: string }) => c.name)).toEqual(['kafka-bridge']);
    expect(t.spec.containers.map((c: { name: string }) => c.name)).toEqual(['app']);
    expect(t.metadata.annotations['bridge.strimzi/status']).toBe('injected');
  });

  test('multi-document: comments and other kinds survive, plain pods untouched, output re-injects to itself', () => {
    const input = [
      '# leading comment',
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: a',
      '  annotations: {bridge.strimzi/inject: "true"}',
      'spec:',
      '  containers: [{name: main, image: centos:7}] # inline comment',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: plain}',
      'spec: {containers: [{name: main, image: nginx}]}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: cm}',
      'data: {k: v}',
      '',
    ].join('\n');
    const r = injectYaml(input, 'default', config);
    expect(r.injected).toBe(1);
    expect(r.yaml).toContain('# leading comment');
    expect(r.yaml).toContain('# inline comment');
    const docs = parseAllDocuments(r.yaml).map((d) => d.toJS());
    expect(docs).toHaveLength(3);
    expect(docs[0].spec.initContainers[0].name).toBe('kafka-bridge');
    expect(docs[1]).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'plain' },
      spec: { containers: [{ name: 'main', image: 'nginx' }] },
    });
    expect(docs[2].kind).toBe('ConfigMap');
    const again = injectYaml(r.yaml, 'default', config);
    expect(again.injected).toBe(0);
    expect(again.yaml).toBe(r.yaml);
  });

  test('a refused document is left unchanged and reported with its kind and name', () => {
    const r = injectYaml(
      'kind: Pod\nmetadata:\n  name: bad\n  annotations: {bridge.strimzi/inject: "true", bridge.strimzi/port: "99999"}\nspec: {containers: [{name: m, image: x}]}\n',
      'default',
      config,
    );
    expect(r.errors).toEqual([
      'Pod/bad: annotation bridge.strimzi/port: "99999" is not allowed: allowed: a port from 1 to 65535',
    ]);
    expect(r.injected).toBe(0);
    expect(r.yaml).not.toContain('kafka-bridge');
  });

  test('--namespace applies to objects without one: an excluded namespace is not injected', () => {
    const pod =
      'kind: Pod\nmetadata:\n  name: p\n  annotations: {bridge.strimzi/inject: "true"}\nspec: {containers: [{name: m, image: x}]}\n';
    expect(injectYaml(pod, 'kube-system', config).injected).toBe(0);
    expect(
      injectYaml(pod.replace('name: p', 'name: p\n  namespace: apps'), 'kube-system', config).injected,
    ).toBe(1);
  });
});
