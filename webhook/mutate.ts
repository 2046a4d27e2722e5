import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { type InjectionSpec, resolveInjection } from './annotations.js';
import { type InjectorConfig, isExcludedNamespace } from './config.js';
import { PREFIX, STATUS_ANNOTATION, STATUS_INJECTED } from './settings.js';
import { buildSidecar, volumeName } from './sidecar.js';

/** What happened to one pod; `outcome` is also the metrics label. */
export type Mutation =
  | { readonly outcome: 'injected'; readonly pod: V1Pod; readonly warnings: readonly string[] }
  | {
      readonly outcome: 'not-requested' | 'already-injected' | 'excluded-namespace' | 'unsupported-pod';
      readonly warnings: readonly string[];
    }
  | { readonly outcome: 'denied'; readonly errors: readonly string[]; readonly warnings: readonly string[] };

export type Outcome = Mutation['outcome'];

function hasContainer(pod: V1Pod, name: string): boolean {
  const spec = pod.spec;
  return (
    (spec?.containers ?? []).some((c) => c.name === name) ||
    (spec?.initContainers ?? []).some((c) => c.name === name)
  );
}

function prepend<T>(first: T, rest: readonly T[] | undefined): T[] {
  const out = [first];
  if (rest) for (let i = 0; i < rest.length; i++) out.push(rest[i]!);
  return out;
}

/**
 * The pod with the sidecar added. Pure, and shares every untouched subtree with `pod`, which keeps
 * the diff in patch.ts cheap for pods with hundreds of containers. Existing containers, init
 * containers and volumes keep their order; the sidecar goes first so that every other container,
 * init containers included, finds Kafka reachable.
 */
export function addSidecar(pod: V1Pod, spec: InjectionSpec): V1Pod {
  const { container, volume } = buildSidecar(spec);
  const podSpec = pod.spec ?? { containers: [] };
  const newSpec = { ...podSpec };
  if (spec.placement.kind === 'native') newSpec.initContainers = prepend(container, podSpec.initContainers);
  else newSpec.containers = prepend(container, podSpec.containers);
  if (volume !== null) {
    // slice + push rather than spreads: no iterator per element, for pods with hundreds of volumes too.
    const volumes = podSpec.volumes ? podSpec.volumes.slice() : [];
    volumes.push(volume);
    newSpec.volumes = volumes;
  }
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: { ...pod.metadata?.annotations, [STATUS_ANNOTATION]: STATUS_INJECTED },
    },
    spec: newSpec,
  };
}

function portWarnings(pod: V1Pod, spec: InjectionSpec): string[] {
  const out: string[] = [];
  for (const list of [pod.spec?.initContainers, pod.spec?.containers]) {
    if (list) for (const c of list) portWarning(c, spec, out);
  }
  return out;
}

function portWarning(c: V1Container, spec: InjectionSpec, out: string[]): void {
  for (const p of c.ports ?? []) {
    if (p.containerPort === spec.port || p.containerPort === spec.managementPort) {
      const which = p.containerPort === spec.port ? 'port' : 'management-port';
      out.push(
        `container ${c.name} declares port ${p.containerPort}, which the bridge uses: set ${PREFIX}${which} to a free port`,
      );
    }
  }
}

/** Decides and applies the injection for a pod being created in `namespace`. Pure. */
export function mutatePod(pod: V1Pod, namespace: string, config: InjectorConfig): Mutation {
  const annotations = pod.metadata?.annotations;
  if (isExcludedNamespace(config, namespace)) {
    const asked = annotations?.[`${PREFIX}inject`]?.toLowerCase() === 'true';
    return {
      outcome: 'excluded-namespace',
      warnings: asked ? [`${PREFIX}inject ignored: pods in namespace ${namespace} are never injected`] : [],
    };
  }
  const resolved = resolveInjection(annotations, config);
  if (resolved.kind === 'skip') return { outcome: 'not-requested', warnings: resolved.warnings };
  // A static pod's mirror cannot be changed, and in the node's network namespace the bridge's
  // loopback ports would be the node's, shared by every such pod on it (Istio and Linkerd skip both).
  if (annotations?.['kubernetes.io/config.mirror'] !== undefined) {
    return {
      outcome: 'unsupported-pod',
      warnings: [`${PREFIX}inject ignored: mirror pods of static pods are never injected`],
    };
  }
  if (pod.spec?.hostNetwork === true) {
    return {
      outcome: 'unsupported-pod',
      warnings: [
        `${PREFIX}inject ignored: hostNetwork pods are not injected (the bridge's ports would be the node's)`,
      ],
    };
  }
  // Reinvocation and pods created from an already injected manifest: nothing more, whatever the annotations say now.
  if (annotations?.[STATUS_ANNOTATION] === STATUS_INJECTED)
    return { outcome: 'already-injected', warnings: [] };
  if (hasContainer(pod, config.containerName)) {
    return {
      outcome: 'already-injected',
      warnings: [`pod already has a container named ${config.containerName}: nothing injected`],
    };
  }
  if (resolved.kind === 'deny')
    return { outcome: 'denied', errors: resolved.errors, warnings: resolved.warnings };
  const spec = resolved.spec;
  const volume = volumeName(spec);
  if (spec.configMap !== null && (pod.spec?.volumes ?? []).some((v) => v.name === volume)) {
    return {
      outcome: 'denied',
      errors: [
        `the pod already has a volume named ${volumeName(spec)}, which the bridge's ConfigMap needs: rename it`,
      ],
      warnings: resolved.warnings,
    };
  }
  const restart = pod.spec?.restartPolicy;
  const lingering =
    spec.placement.kind === 'first' && (restart === 'Never' || restart === 'OnFailure')
      ? [
          `${PREFIX}native-sidecar "false": the bridge keeps this restartPolicy ${restart} pod running after the app exits`,
        ]
      : [];
  return {
    outcome: 'injected',
    pod: addSidecar(pod, spec),
    warnings: [...resolved.warnings, ...portWarnings(pod, spec), ...lingering],
  };
}
