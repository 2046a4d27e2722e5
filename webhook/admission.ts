import type { V1Pod } from '@kubernetes/client-node';
import type { InjectorConfig } from './config.js';
import { mutatePod } from './mutate.js';
import { createPatch, encodePatch } from './patch.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** What a malformed review is answered with: HTTP 400 and this reason. */
export class BadReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadReviewError';
  }
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly patchType?: 'JSONPatch';
  /** base64 of the JSON patch array: Go decodes `[]byte` from base64. */
  readonly patch?: string;
  readonly warnings?: string[];
  readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

/** One admission as the log line and the metrics see it. */
export interface ReviewSummary {
  readonly uid: string;
  readonly namespace: string;
  /** The pod's name, or its generateName followed by `*` when the API server has not named it yet. */
  readonly pod: string;
  readonly outcome: string;
  readonly dryRun: boolean;
  readonly patchOps: number;
  readonly errors?: readonly string[];
}

interface Request {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  subResource?: string;
  operation?: string;
  namespace?: string;
  name?: string;
  object?: unknown;
  dryRun?: boolean;
}

// Warnings over 256 characters may be truncated by the API server; keep the start, which names the annotation.
const clip = (w: string): string => (w.length > 256 ? `${w.slice(0, 253)}...` : w);

function readRequest(body: unknown): Request {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadReviewError('the body must be a JSON AdmissionReview object');
  }
  const review = body as { apiVersion?: unknown; kind?: unknown; request?: unknown };
  if (review.kind !== 'AdmissionReview') throw new BadReviewError('kind must be AdmissionReview');
  if (review.apiVersion !== ADMISSION_API_VERSION) {
    throw new BadReviewError(
      `apiVersion ${JSON.stringify(review.apiVersion)} is not supported: only ${ADMISSION_API_VERSION} (set admissionReviewVersions: ["v1"])`,
    );
  }
  const req = review.request as Request | undefined;
  if (typeof req !== 'object' || req === null) throw new BadReviewError('request is missing');
  if (typeof req.uid !== 'string' || req.uid === '') throw new BadReviewError('request.uid is missing');
  return req;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The parts of the pod the mutation reads, checked so that a malformed object is a 400 naming the field
 * rather than an exception deep inside (the API server never sends such pods; other clients might).
 */
function checkPodShape(p: V1Pod): void {
  const bad = (field: string, what: string) => new BadReviewError(`request.object.${field} must be ${what}`);
  if (p.metadata !== undefined) {
    if (!isRecord(p.metadata)) throw bad('metadata', 'an object');
    const a = p.metadata.annotations;
    if (a !== undefined) {
      if (!isRecord(a)) throw bad('metadata.annotations', 'an object');
      for (const [k, v] of Object.entries(a)) {
        if (typeof v !== 'string') throw bad(`metadata.annotations[${JSON.stringify(k)}]`, 'a string');
      }
    }
  }
  if (p.spec === undefined) return;
  if (!isRecord(p.spec)) throw bad('spec', 'an object');
  for (const list of ['containers', 'initContainers', 'volumes'] as const) {
    const items = p.spec[list] as unknown;
    if (items === undefined && list !== 'containers') continue;
    if (!Array.isArray(items)) throw bad(`spec.${list}`, 'an array');
    items.forEach((item, i) => {
      if (!isRecord(item) || typeof item.name !== 'string')
        throw bad(`spec.${list}[${i}]`, 'an object with a name');
      const ports = item.ports as unknown;
      if (ports !== undefined && !(Array.isArray(ports) && ports.every(isRecord))) {
        throw bad(`spec.${list}[${i}].ports`, 'an array of objects');
      }
    });
  }
}

function isPodCreate(req: Request): boolean {
  return (
    req.operation === 'CREATE' &&
    (req.kind?.group ?? '') === '' &&
    req.kind?.kind === 'Pod' &&
    (req.subResource ?? '') === ''
  );
}

/**
 * AdmissionReview in, AdmissionReview out. Pure: a dry-run review gets the same answer as a real one,
 * because answering is all this webhook ever does. Throws BadReviewError for a malformed review.
 */
export function review(
  body: unknown,
  config: InjectorConfig,
): { readonly response: AdmissionReviewResponse; readonly summary: ReviewSummary } {
  const req = readRequest(body);
  const wrap = (response: AdmissionResponse): AdmissionReviewResponse => ({
    apiVersion: ADMISSION_API_VERSION,
    kind: 'AdmissionReview' as const,
    response,
  });
  const base = { uid: req.uid, dryRun: req.dryRun === true };
  if (!isPodCreate(req)) {
    return {
      response: wrap({ uid: req.uid, allowed: true }),
      summary: {
        ...base,
        namespace: req.namespace ?? '',
        pod: req.name ?? '',
        outcome: 'not-a-pod-create',
        patchOps: 0,
      },
    };
  }
  const pod = req.object;
  if (typeof pod !== 'object' || pod === null || Array.isArray(pod)) {
    throw new BadReviewError('request.object must be the Pod being created');
  }
  const p = pod as V1Pod;
  checkPodShape(p);
  // A pod from a controller arrives without a namespace in its metadata: the request carries it.
  const namespace = req.namespace || p.metadata?.namespace || 'default';
  const podName =
    p.metadata?.name || (p.metadata?.generateName ? `${p.metadata.generateName}*` : req.name || '');
  const m = mutatePod(p, namespace, config);
  const warnings = m.warnings.map(clip);
  const common = () => ({ ...base, namespace, pod: podName, outcome: m.outcome });
  if (m.outcome === 'denied') {
    const message = `bridge-injector: ${m.errors.join('; ')}`;
    return {
      response: wrap({
        uid: req.uid,
        allowed: false,
        ...(warnings.length > 0 ? { warnings } : {}),
        status: { code: 400, reason: 'BadRequest', message },
      }),
      summary: { ...common(), patchOps: 0, errors: m.errors },
    };
  }
  if (m.outcome !== 'injected') {
    return {
      response: wrap({ uid: req.uid, allowed: true, ...(warnings.length > 0 ? { warnings } : {}) }),
      summary: { ...common(), patchOps: 0 },
    };
  }
  const ops = createPatch(p, m.pod);
  // The path every injected pod takes: plain object literals (same keys, same order as the other
  // answers), no spreads, which V8 builds without copying.
  const response: AdmissionResponse =
    warnings.length > 0
      ? {
          uid: req.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: encodePatch(ops),
          warnings,
        }
      : {
          uid: req.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: encodePatch(ops),
        };
  return {
    response: wrap(response),
    summary: {
      uid: base.uid,
      dryRun: base.dryRun,
      namespace,
      pod: podName,
      outcome: m.outcome,
      patchOps: ops.length,
    },
  };
}
