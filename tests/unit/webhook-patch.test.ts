import type { Operation } from 'fast-json-patch';
import { encodePatch } from '../../webhook/patch.js';

// What the API server does with the AdmissionResponse's patch: base64-decode it and parse the JSON.
const decodePatch = (base64: string): Operation[] =>
  JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as Operation[];

const deepFreeze = <T>(v: T): T => {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
};

const sidecar = deepFreeze({
  name: 'kafka-bridge',
  image: 'example/kafka-bridge:1',
  env: [{ name: 'BOOTSTRAP_SERVERS', value: 'my-cluster-kafka-bootstrap:9093' }],
});
const volume = deepFreeze({ name: 'kafka-bridge-config', configMap: { name: 'bridge-configuration' } });

// The API server base64-decodes the patch and parses it as JSON: what it gets must be exactly the ops.
describe('encodePatch', () => {
  const cases: [string, Operation[]][] = [
    ['no ops', []],
    [
      'the injected shape: annotation, volume, initContainers list',
      [
        { op: 'add', path: '/metadata/annotations/bridge.strimzi~1status', value: 'injected' },
        { op: 'add', path: '/spec/volumes/1', value: volume },
        { op: 'add', path: '/spec/initContainers', value: [sidecar] },
      ],
    ],
    [
      'frozen values back to back and inside arrays with other values',
      [
        { op: 'add', path: '/spec/initContainers/0', value: sidecar },
        { op: 'add', path: '/spec/x', value: [volume, { a: 1 }, null, sidecar, 'é'] },
      ],
    ],
    [
      'multi-byte UTF-8 in literals (byte length is what pads, not string length)',
      [
        { op: 'add', path: '/metadata/annotations/caf\u00e9', value: '\u{1F600}\u00e9' },
        { op: 'add', path: '/spec/volumes/0', value: volume },
        { op: 'replace', path: '/metadata/labels/\u65e5', value: '\u65e5\u672c' },
      ],
    ],
    [
      'ops without a value and ops with extra keys',
      [
        { op: 'remove', path: '/spec/a' },
        { op: 'test', path: '/spec/b', value: 1 },
        { op: 'move', from: '/spec/c', path: '/spec/d' },
      ],
    ],
  ];
  it.each(cases)('%s: decodes to the same ops', (_name, ops) => {
    const encoded = encodePatch(ops);
    expect(decodePatch(encoded)).toEqual(ops);
    // Plain base64 (the API server's decoder is strict): no padding inside, only at the very end.
    expect(encoded).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
  });

  it('gives the same bytes the second time, when the frozen pieces come from the cache', () => {
    const ops: Operation[] = [{ op: 'add', path: '/spec/initContainers', value: [sidecar] }];
    expect(encodePatch(ops)).toBe(encodePatch(ops));
  });

  it('pads only with JSON whitespace', () => {
    for (let n = 0; n < 6; n++) {
      const ops: Operation[] = [{ op: 'add', path: `/spec/${'x'.repeat(n)}`, value: volume }];
      const text = Buffer.from(encodePatch(ops), 'base64').toString('utf8');
      expect(text.replace(/\s+/g, '')).toBe(JSON.stringify(ops));
    }
  });
});
