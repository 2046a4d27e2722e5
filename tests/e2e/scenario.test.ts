import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { loadStack } from '../infra/state.js';
import {
  handWrittenBridge,
  type RunningScenario,
  runScenario,
  type ScenarioEvidence,
  silent,
} from './scenario.js';

/**
 * SCENARIO.md for real, with the injector instead of hand-written YAML: the chart installs the webhook
 * into the real API server, the pod carries four annotations, and the injected container, run as a
 * kubelet would, answers the scenario's own curl session against the real broker over mutual TLS.
 */
let scenario: RunningScenario;
let e: ScenarioEvidence;
const workDir = mkdtempSync(join(tmpdir(), 'scenario-'));

beforeAll(async () => {
  scenario = await runScenario(loadStack(), silent, workDir);
  e = scenario.evidence;
}, 240_000);

afterAll(async () => {
  await scenario?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

function json(body: string): unknown {
  return JSON.parse(body);
}

function injectedBridge(): V1Container {
  const all = [...(e.storedPod.spec?.initContainers ?? []), ...(e.storedPod.spec?.containers ?? [])];
  return all.find((c) => c.name === 'kafka-bridge')!;
}

describe('the stored pod carries what the scenario wrote by hand', () => {
  it('has the same env names and Secret references as bridge-pod-sidecar.yaml', () => {
    const handWritten = handWrittenBridge();
    const env = injectedBridge().env ?? [];
    for (const want of handWritten.env ?? []) {
      const got = env.find((v) => v.name === want.name);
      expect(got).toBeDefined();
      if (want.value !== undefined) expect(got!.value).toBe(want.value);
      if (want.valueFrom?.secretKeyRef) {
        expect(got!.valueFrom?.secretKeyRef?.name).toBe(want.valueFrom.secretKeyRef.name);
        expect(got!.valueFrom?.secretKeyRef?.key).toBe(want.valueFrom.secretKeyRef.key);
      }
    }
  });

  it('mounts the ConfigMap at /etc/strimzi-bridge and runs kafka-bridge on the file in it', () => {
    const mount = injectedBridge().volumeMounts?.find((m) => m.mountPath === '/etc/strimzi-bridge');
    expect(mount).toBeDefined();
    const volume = e.storedPod.spec?.volumes?.find((v) => v.name === mount!.name);
    expect(volume?.configMap?.name).toBe('bridge-configuration');
    const c = injectedBridge();
    expect([...(c.command ?? []), ...(c.args ?? [])]).toEqual([
      'kafka-bridge',
      '--config-file',
      '/etc/strimzi-bridge/bridge.properties',
    ]);
  });

  it('adds probes on the management port and a restricted security context', () => {
    const c = injectedBridge();
    expect(c.readinessProbe?.httpGet?.path).toBe('/ready');
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthy');
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(e.storedPod.metadata?.annotations?.['bridge.strimzi/status']).toBe('injected');
  });

  it('was patched by a webhook whose caBundle it filled itself', () => {
    expect(e.caBundleFilled).toBe(true);
    expect(e.patch.length).toBeGreaterThan(0);
  });
});

describe("the scenario's curl session through the injected bridge", () => {
  it('produces "Hello World!" at offset 0 of partition 0', () => {
    expect(e.produce.status).toBe(200);
    expect(json(e.produce.body)).toEqual({ offsets: [{ partition: 0, offset: 0 }] });
  });

  it('lists my-topic', () => {
    expect(e.listTopics.status).toBe(200);
    expect(json(e.listTopics.body)).toContain('my-topic');
  });

  it('creates my-consumer in my-group, subscribes, and gets the record back', () => {
    expect(e.createConsumer.status).toBe(200);
    expect(json(e.createConsumer.body)).toMatchObject({ instance_id: 'my-consumer' });
    expect((json(e.createConsumer.body) as { base_uri: string }).base_uri).toMatch(
      /^http:\/\/localhost:\d+\/consumers\/my-group\/instances\/my-consumer$/,
    );
    expect(e.subscribe.status).toBe(204);
    expect(e.poll.status).toBe(200);
    expect(json(e.poll.body)).toEqual([
      expect.objectContaining({
        topic: 'my-topic',
        key: null,
        value: 'Hello World!',
        partition: 0,
        offset: 0,
      }),
    ]);
  });

  it('commits and deletes the consumer', () => {
    expect(e.commit.status).toBe(204);
    expect(e.deleteConsumer.status).toBe(204);
  });
});

describe('where the hand-written setup hurt', () => {
  it('explains what describing my-topic lacks instead of "Topic authorization failed."', () => {
    expect(e.describeTopic.body).not.toContain('Topic authorization failed.');
    expect(e.describeTopic.body).toContain('DescribeConfigs');
    if (e.describeTopic.status === 200) {
      const topic = json(e.describeTopic.body) as { name: string; partitions: unknown[] };
      expect(topic.name).toBe('my-topic');
      expect(topic.partitions).toHaveLength(1);
    } else {
      expect(e.describeTopic.status).toBe(403);
    }
  });

  it('answers a produce without the Write ACL with 403 naming the topic and the operation', () => {
    const body = json(e.forbiddenProduce.body) as {
      error_code?: number;
      message?: string;
      offsets?: { error_code?: number; message?: string }[];
    };
    const error = e.forbiddenProduce.status === 200 ? body.offsets?.[0] : body;
    expect(error?.error_code).toBe(403);
    expect(error?.message).toContain('audit-log');
    expect(error?.message).toContain('Write');
  });

  it('is reached over ::1 and 127.0.0.1 alike', () => {
    expect(e.viaIpv6.status).toBe(200);
    expect(e.viaIpv4.status).toBe(200);
  });

  it('logs no warning about config providers', () => {
    const warnings = e.bridgeLog
      .split('\n')
      .filter((l) => /provider/i.test(l) && /"level":(40|50|60)/.test(l));
    expect(warnings).toEqual([]);
  });
});
