import type { V1Pod } from '@kubernetes/client-node';
import jsonpatch from 'fast-json-patch';
import { type Document, isMap, isSeq, parseAllDocuments } from 'yaml';
import type { InjectorConfig } from './config.js';
import { mutatePod } from './mutate.js';
import { createPatch } from './patch.js';

const { unescapePathComponent } = jsonpatch;

/** Where the pod template sits in each workload kind `inject -f` understands. */
const TEMPLATE_PATH: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export interface OfflineResult {
  readonly yaml: string;
  /** `<kind>/<name>: <message>` lines. */
  readonly warnings: readonly string[];
  readonly errors: readonly string[];
  readonly injected: number;
}

/**
 * Applies the webhook's mutation to every Pod and pod template in a multi-document YAML stream, as
 * `istioctl kube-inject` does. The patch is applied to the YAML document itself, so comments and
 * formatting of everything else survive. Documents that are not workloads pass through untouched;
 * a denied one is left unchanged and reported in `errors`.
 */
export function injectYaml(text: string, defaultNamespace: string, config: InjectorConfig): OfflineResult {
  const docs = parseAllDocuments(text);
  const warnings: string[] = [];
  const errors: string[] = [];
  let injected = 0;
  const visit = (doc: Document, root: readonly (string | number)[], obj: Record<string, unknown>) => {
    const kind = typeof obj.kind === 'string' ? obj.kind : '';
    const meta = (obj.metadata ?? {}) as { name?: string; generateName?: string; namespace?: string };
    const label = `${kind || 'document'}/${meta.name ?? meta.generateName ?? '(unnamed)'}`;
    if (kind === 'List' && Array.isArray(obj.items)) {
      obj.items.forEach((item, i) => {
        if (typeof item === 'object' && item !== null)
          visit(doc, [...root, 'items', i], item as Record<string, unknown>);
      });
      return;
    }
    const rel = TEMPLATE_PATH[kind];
    if (rel === undefined) return;
    let template: unknown = obj;
    for (const k of rel) template = (template as Record<string, unknown> | undefined)?.[k];
    if (typeof template !== 'object' || template === null) return;
    const t = template as V1Pod;
    const pod: V1Pod = { metadata: t.metadata ?? {}, spec: t.spec ?? { containers: [] } };
    const m = mutatePod(pod, meta.namespace ?? defaultNamespace, config);
    for (const w of m.warnings) warnings.push(`${label}: ${w}`);
    if (m.outcome === 'denied') {
      for (const e of m.errors) errors.push(`${label}: ${e}`);
      return;
    }
    if (m.outcome !== 'injected') return;
    const base = [...root, ...rel];
    const hadMetadata = t.metadata !== undefined;
    for (const op of createPatch(pod, m.pod)) {
      const segs = op.path
        .split('/')
        .slice(1)
        .map((s) => unescapePathComponent(s));
      // The pod we diffed always had metadata; the template may not.
      if (!hadMetadata && segs[0] === 'metadata' && !doc.hasIn([...base, 'metadata'])) {
        doc.setIn([...base, 'metadata'], doc.createNode({}));
      }
      applyOp(doc, [...base, ...segs], op.op === 'add' || op.op === 'replace' ? op.value : undefined, op.op);
    }
    injected++;
  };
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      errors.push(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const obj = doc.toJS();
    if (typeof obj === 'object' && obj !== null) visit(doc, [], obj as Record<string, unknown>);
  }
  const yaml = docs
    .map((d) => d.toString().replace(/^---\n/, ''))
    .filter((s) => s.trim() !== '' && s.trim() !== 'null')
    .join('---\n');
  return { yaml, warnings, errors, injected };
}

function applyOp(doc: Document, path: (string | number)[], value: unknown, op: string): void {
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1]!;
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  // Text inserted into a flow collection ({a: b}, [x]) would come out as one long flow line.
  if ((isSeq(parent) || isMap(parent)) && parent.flow) parent.flow = false;
  if (op === 'add' && isSeq(parent)) {
    const index = last === '-' ? parent.items.length : Number(last);
    parent.items.splice(index, 0, doc.createNode(value));
  } else if ((op === 'add' || op === 'replace') && (isMap(parent) || parentPath.length === 0)) {
    doc.setIn(path, doc.createNode(value));
  } else if (op === 'replace' && isSeq(parent)) {
    parent.items[Number(last)] = doc.createNode(value);
  } else if (op === 'remove') {
    doc.deleteIn(path);
  } else {
    throw new Error(`cannot apply ${op} at /${path.join('/')}`);
  }
}
