import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';

/**
 * A stand-in for the part of a kubelet that turns a stored Pod's container spec into a process:
 * env resolved from Secrets and ConfigMaps through the API, volumes materialised on disk. There is no
 * kubelet here; this does only what the end-to-end scenario needs, and refuses what it does not know
 * rather than guessing.
 */
export interface ObjectReader {
  secretData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMapData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface ContainerProcess {
  readonly container: V1Container;
  /** true when the container is a native sidecar (an initContainer with restartPolicy Always). */
  readonly nativeSidecar: boolean;
  readonly command: string[];
  readonly env: Record<string, string>;
  /** mountPath in the container -> directory on this machine standing for it. */
  readonly mounts: ReadonlyMap<string, string>;
}

export function findContainer(pod: V1Pod, name: string): { container: V1Container; nativeSidecar: boolean } {
  const init = pod.spec?.initContainers?.find((c) => c.name === name);
  if (init) return { container: init, nativeSidecar: init.restartPolicy === 'Always' };
  const regular = pod.spec?.containers.find((c) => c.name === name);
  if (regular) return { container: regular, nativeSidecar: false };
  throw new Error(`pod ${pod.metadata?.name} has no container named ${name}`);
}

async function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  namespace: string,
  reader: ObjectReader,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      // $(VAR) references to earlier variables, as the kubelet expands them.
      env[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
      continue;
    }
    const from = e.valueFrom;
    if (from?.secretKeyRef) {
      const ref = from.secretKeyRef;
      const data = await reader.secretData(namespace, ref.name!);
      const value = data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new Error(
          `env ${e.name}: Secret ${namespace}/${ref.name} has no key ${ref.key} (the kubelet would not start the container)`,
        );
      }
      env[e.name] = value;
    } else if (from?.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      const value = (await reader.configMapData(namespace, ref.name!))?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new Error(`env ${e.name}: ConfigMap ${namespace}/${ref.name} has no key ${ref.key}`);
      }
      env[e.name] = value;
    } else if (from?.fieldRef) {
      const field = from.fieldRef.fieldPath;
      const value =
        field === 'metadata.namespace'
          ? namespace
          : field === 'metadata.name'
            ? pod.metadata?.name
            : undefined;
      if (value === undefined) throw new Error(`env ${e.name}: fieldRef ${field} is not supported here`);
      env[e.name] = value;
    } else {
      throw new Error(
        `env ${e.name}: this kubelet stand-in supports value, secretKeyRef, configMapKeyRef and fieldRef`,
      );
    }
  }
  return env;
}

async function materialiseVolumes(
  pod: V1Pod,
  container: V1Container,
  reader: ObjectReader,
  root: string,
): Promise<Map<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const mounts = new Map<string, string>();
  for (const m of container.volumeMounts ?? []) {
    const volume = pod.spec?.volumes?.find((v) => v.name === m.name);
    if (!volume) throw new Error(`volumeMount ${m.name} names no volume of the pod`);
    const dir = join(root, m.name);
    mkdirSync(dir, { recursive: true });
    let files: Record<string, string> = {};
    if (volume.configMap) {
      const data = await reader.configMapData(namespace, volume.configMap.name!);
      if (!data && !volume.configMap.optional)
        throw new Error(`ConfigMap ${namespace}/${volume.configMap.name} not found`);
      files = data ?? {};
    } else if (volume.secret) {
      const data = await reader.secretData(namespace, volume.secret.secretName!);
      if (!data && !volume.secret.optional)
        throw new Error(`Secret ${namespace}/${volume.secret.secretName} not found`);
      files = data ?? {};
    } else if (!volume.emptyDir) {
      throw new Error(`volume ${m.name}: this kubelet stand-in supports configMap, secret and emptyDir only`);
    }
    for (const [key, content] of Object.entries(files)) {
      const file = join(dir, key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    // A subPath mount puts one entry of the volume at mountPath (the chart mounts config.yaml this way).
    mounts.set(m.mountPath, m.subPath ? join(dir, m.subPath) : dir);
  }
  return mounts;
}

/** Rewrites container paths under a mount to the directory standing for it. */
export function hostPath(mounts: ReadonlyMap<string, string>, arg: string): string {
  for (const [mountPath, dir] of mounts) {
    if (arg === mountPath) return dir;
    if (arg.startsWith(`${mountPath}/`)) return join(dir, arg.slice(mountPath.length + 1));
  }
  return arg;
}

/**
 * `entrypoint` stands for the image's ENTRYPOINT, used when the container gives only `args`
 * (our Dockerfiles: `kafka-bridge`, `bridge-injector`).
 */
export async function prepareContainer(
  pod: V1Pod,
  name: string,
  reader: ObjectReader,
  volumesRoot: string,
  entrypoint: readonly string[] = [],
): Promise<ContainerProcess> {
  const { container, nativeSidecar } = findContainer(pod, name);
  const namespace = pod.metadata?.namespace ?? 'default';
  const env = await resolveEnv(pod, container, namespace, reader);
  const mounts = await materialiseVolumes(pod, container, reader, volumesRoot);
  const command = [...(container.command ?? entrypoint), ...(container.args ?? [])].map((a) =>
    hostPath(mounts, a),
  );
  if (command.length === 0)
    throw new Error(`container ${name} has no command: the image's entrypoint is unknown here`);
  return { container, nativeSidecar, command, env, mounts };
}
