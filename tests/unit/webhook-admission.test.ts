import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadReviewError, review } from '../../webhook/admission.js';
import { parseConfig } from '../../webhook/config.js';

const config = parseConfig('namespace: bridge-injector\n');
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(process.cwd(), 'tests/fixtures/admission', name), 'utf8'));

describe('review(): AdmissionReview v1 in, AdmissionReview out', () => {
  test('the response carries the request uid, apiVersion and kind; the patch is base64 JSON', () => {
    const { response, summary } = review(fixture('pod-create-scenario.json'), config);
    expect(response.apiVersion).toBe('admission.k8s.io/v1');
    expect(response.kind).toBe('AdmissionReview');
    expect(response.response.uid).toBe('0b1c6a3e-0001-4c1e-9a55-000000000001');
    const ops = JSON.parse(Buffer.from(response.response.patch!, 'base64').toString('utf8'));
    expect(ops.map((o: { op: string; path: string }) => `${o.op} ${o.path}`)).toEqual([
      'add /metadata/annotations/bridge.strimzi~1status',
      'add /spec/initContainers',
      'add /spec/volumes',
    ]);
    expect(summary).toEqual({
      uid: '0b1c6a3e-0001-4c1e-9a55-000000000001',
      dryRun: false,
      namespace: 'apps',
      pod: 'app',
      outcome: 'injected',
      patchOps: 3,
    });
  });

  test('dry run: the same response, flagged in the summary only', () => {
    const real = review(fixture('pod-create-scenario.json'), config);
    const dry = review(fixture('pod-create-dry-run.json'), config);
    expect(dry.response.response.patch).toBe(real.response.response.patch);
    expect(dry.summary.dryRun).toBe(true);
  });

  test.each([
    [{ metadata: [] }, 'request.object.metadata must be an object'],
    [{ metadata: { annotations: 'x' } }, 'request.object.metadata.annotations must be an object'],
    [
      { metadata: { annotations: { 'bridge.strimzi/inject': true } } },
      'request.object.metadata.annotations["bridge.strimzi/inject"] must be a string',
    ],
    [{ spec: null }, 'request.object.spec must be an object'],
    [{ spec: { containers: {} } }, 'request.object.spec.containers must be an array'],
    [
      { spec: { containers: [{ name: 'a' }], initContainers: 'x' } },
      'request.object.spec.initContainers must be an array',
    ],
    [
      { spec: { containers: [{ name: 'a' }], volumes: [null] } },
      'request.object.spec.volumes[0] must be an object with a name',
    ],
    [
      { spec: { containers: [{ name: 'a', ports: 8080 }] } },
      'request.object.spec.containers[0].ports must be an array of objects',
    ],
    [
      { spec: { containers: [{ name: 'a', ports: [null] }] } },
      'request.object.spec.containers[0].ports must be an array of objects',
    ],
  ])('a malformed pod %j is a BadReviewError naming the field', (object, message) => {
    const body = fixture('pod-create-scenario.json');
    body.request.object = { ...body.request.object, ...object };
    expect(() => review(body, config)).toThrow(new BadReviewError(message));
  });

  test('fuzz: any value at any path of a review gives a response or a BadReviewError, never another exception', () => {
    // A small deterministic PRNG, so a failure reproduces.
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const values = [null, 0, -1, 1.5, '', 'x', 'true', [], {}, [null], [{}], { name: 1 }, true, false];
    const paths: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      paths.push(path);
      if (typeof v === 'object' && v !== null) for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
    };
    const base = () => {
      const b = fixture('pod-create-generate-name.json');
      b.request.object.spec.containers[0].ports = [{ containerPort: 8080 }];
      return b;
    };
    walk(base(), []);
    let answered = 0;
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const body = base();
      for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) {
        const path = paths[Math.floor(rand() * paths.length)]!;
        const value = values[Math.floor(rand() * values.length)];
        if (path.length === 0) continue;
        let parent = body;
        for (const k of path.slice(0, -1)) parent = parent?.[k];
        if (typeof parent === 'object' && parent !== null)
          parent[path[path.length - 1]!] = structuredClone(value);
      }
      try {
        review(body, config);
        answered++;
      } catch (err) {
        if (!(err instanceof BadReviewError))
          throw new Error(`${(err as Error).stack}\nfor body ${JSON.stringify(body)}`);
        refused++;
      }
    }
    expect(answered).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });
});
