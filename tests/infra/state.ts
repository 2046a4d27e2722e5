import { readFileSync } from 'node:fs';

/**
 * What a running test stack looks like, written by `stack.ts` to a JSON file whose path is in
 * `$STACK_STATE`. Tests read it with `loadStack()`; nothing else about the stack is assumed.
 */
export interface KafkaState {
  /** `127.0.0.1:<port>`: no authentication, the broker's super user; for test setup only. */
  readonly plaintext: string;
  /** `127.0.0.1:<port>`: mutual TLS, principal = certificate CN, ACLs enforced. */
  readonly ssl: string;
  /** The cluster CA (PEM files): signs the broker's certificate and every client certificate. */
  readonly caCertFile: string;
  readonly caKeyFile: string;
  /** A client certificate whose principal (`User:admin`) is a super user. */
  readonly adminCertFile: string;
  readonly adminKeyFile: string;
  readonly logFile: string;
}

export interface KubeState {
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** A kubeconfig for the `system:masters` admin user (client certificate). */
  readonly kubeconfig: string;
  /** What `/version` answers, e.g. `v1.36.3`. */
  readonly version: string;
  readonly logFile: string;
}

export interface ToolsState {
  readonly helm?: string;
  readonly kubectl?: string;
}

export interface StackState {
  readonly runDir: string;
  readonly kafka?: KafkaState;
  readonly kube?: KubeState;
  readonly tools: ToolsState;
}

export function loadStack(): StackState {
  const file = process.env.STACK_STATE;
  if (!file) {
    throw new Error(
      'STACK_STATE is not set: run the tests through `make test` (tests/infra/stack.ts starts the stack)',
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
}

export function requireKafka(): KafkaState {
  const k = loadStack().kafka;
  if (!k) throw new Error('this test needs Kafka, but the stack was started without it');
  return k;
}

export function requireKube(): KubeState {
  const k = loadStack().kube;
  if (!k) throw new Error('this test needs kube-apiserver, but the stack was started without it');
  return k;
}
