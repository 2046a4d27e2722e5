/**
 * What tests do to the real broker besides producing and consuming: topics (node-rdkafka's admin client over
 * PLAINTEXT), ACLs (Kafka's own AclCommand: node-rdkafka has no ACL API) and client certificates signed by the
 * broker's CA.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import rdkafka from 'node-rdkafka';
import { issueClient } from '../../certs/certificates.js';
import { runKafkaTool, tlsConfig, writePair } from './kafka.js';
import type { KafkaState } from './state.js';

export { tlsConfig } from './kafka.js';

const ADMIN_TIMEOUT_MS = 30_000;

/** Creates `name` with `partitions` partitions (replication factor 1: there is one broker). */
export async function createTopic(state: KafkaState, name: string, partitions = 1): Promise<void> {
  const admin = rdkafka.AdminClient.create({ 'bootstrap.servers': state.plaintext });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic(
        { topic: name, num_partitions: partitions, replication_factor: 1 },
        ADMIN_TIMEOUT_MS,
        (err) => (err ? reject(new Error(`creating topic ${name}: ${err.message}`)) : resolve()),
      ),
    );
  } finally {
    admin.disconnect();
  }
}

export type AclResource =
  | { readonly topic: string }
  | { readonly group: string }
  | { readonly transactionalId: string }
  | { readonly cluster: true };

/** One ACL rule as AclCommand takes it; `operations` are Kafka's names (Read, Write, Describe, All, ...). */
export interface Acl {
  readonly resource: AclResource;
  readonly operations: readonly string[];
  /** `literal` (default) matches the name exactly, `prefixed` every name that starts with it. */
  readonly patternType?: 'literal' | 'prefixed';
  /** `allow` (default) or `deny`. */
  readonly permission?: 'allow' | 'deny';
}

function resourceArgs(r: AclResource): string[] {
  if ('topic' in r) return ['--topic', r.topic];
  if ('group' in r) return ['--group', r.group];
  if ('transactionalId' in r) return ['--transactional-id', r.transactionalId];
  return ['--cluster'];
}

function aclArgs(state: KafkaState, action: '--add' | '--remove', principal: string, acl: Acl): string[] {
  return [
    '--bootstrap-server',
    state.plaintext,
    action,
    ...(action === '--remove' ? ['--force'] : []),
    acl.permission === 'deny' ? '--deny-principal' : '--allow-principal',
    principal,
    ...acl.operations.flatMap((op) => ['--operation', op]),
    ...resourceArgs(acl.resource),
    '--resource-pattern-type',
    acl.patternType ?? 'literal',
  ];
}

function principalOf(principal: string): string {
  return principal.includes(':') ? principal : `User:${principal}`;
}

const ACL_COMMAND = 'org.apache.kafka.tools.AclCommand';
const ACL_VISIBLE_TIMEOUT_MS = 30_000;

/** `IdempotentWrite` -> `IDEMPOTENT_WRITE`, as AclCommand prints operations. */
function upperSnake(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

function resourceKey(r: AclResource, patternType: string): string {
  if ('topic' in r) return `TOPIC|${r.topic}|${patternType}`;
  if ('group' in r) return `GROUP|${r.group}|${patternType}`;
  if ('transactionalId' in r) return `TRANSACTIONAL_ID|${r.transactionalId}|${patternType}`;
  return `CLUSTER|kafka-cluster|${patternType}`;
}

/** One key per (resource, operation, permission) that `acls` stand for. */
function aclKeys(acls: readonly Acl[]): string[] {
  return acls.flatMap((acl) =>
    acl.operations.map(
      (op) =>
        `${resourceKey(acl.resource, upperSnake(acl.patternType ?? 'literal'))}|${upperSnake(op)}|${upperSnake(acl.permission ?? 'allow')}`,
    ),
  );
}

/** Parses `AclCommand --list --principal P`: "Current ACLs for resource `ResourcePattern(...)`:" then rules. */
export function parseAclList(output: string): Set<string> {
  const keys = new Set<string>();
  let resource: string | undefined;
  for (const line of output.split('\n')) {
    const r = /ResourcePattern\(resourceType=(\w+), name=(.*), patternType=(\w+)\)/.exec(line);
    if (r) {
      resource = `${r[1]}|${r[2]}|${r[3]}`;
      continue;
    }
    const a = /\(principal=[^,]+, host=[^,]+, operation=(\w+), permissionType=(\w+)\)/.exec(line);
    if (a && resource) keys.add(`${resource}|${a[1]}|${a[2]}`);
  }
  return keys;
}

/**
 * Waits until the broker's own authorizer shows (or no longer shows) every rule. The controller answers
 * AclCommand once the change is committed; the broker applies it a moment later, and a test that
 * connected in that moment would see the old rules. DescribeAcls is answered from the broker's view.
 */
async function untilBrokerShows(state: KafkaState, principal: string, keys: string[], present: boolean) {
  const deadline = Date.now() + ACL_VISIBLE_TIMEOUT_MS;
  for (;;) {
    const listed = parseAclList(
      await runKafkaTool(ACL_COMMAND, [
        '--bootstrap-server',
        state.plaintext,
        '--list',
        '--principal',
        principal,
      ]),
    );
    const pending = keys.filter((k) => listed.has(k) !== present);
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the broker still ${present ? 'lacks' : 'has'} ACLs for ${principal} after ${ACL_VISIBLE_TIMEOUT_MS} ms: ${pending.join(', ')}`,
      );
    }
  }
}

// Each AclCommand is a JVM start (about a second); the rules are independent, so they run side by side.
async function aclCommand(
  state: KafkaState,
  action: '--add' | '--remove',
  principal: string,
  acls: readonly Acl[],
) {
  const p = principalOf(principal);
  await Promise.all(acls.map((acl) => runKafkaTool(ACL_COMMAND, aclArgs(state, action, p, acl))));
  await untilBrokerShows(state, p, aclKeys(acls), action === '--add');
}

/**
 * Grants `acls` to `principal` (`alice` means `User:alice`, the CN of alice's certificate) and returns once
 * the broker enforces them.
 */
export function addAcls(state: KafkaState, principal: string, acls: readonly Acl[]): Promise<void> {
  return aclCommand(state, '--add', principal, acls);
}

/** Takes back exactly the rules `addAcls` granted with the same arguments, once the broker has dropped them. */
export function removeAcls(state: KafkaState, principal: string, acls: readonly Acl[]): Promise<void> {
  return aclCommand(state, '--remove', principal, acls);
}

export interface ClientCert {
  readonly cn: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/** A client certificate for principal `User:<cn>`, signed by the broker's CA and written to fresh files. */
export async function clientCertFor(state: KafkaState, cn: string): Promise<ClientCert> {
  const ca = { cert: readFileSync(state.caCertFile, 'utf8'), key: readFileSync(state.caKeyFile, 'utf8') };
  const pair = await issueClient(ca, cn);
  const dir = join(
    dirname(state.caCertFile),
    'clients',
    `${cn.replace(/[^\w.-]/g, '_')}-${randomBytes(4).toString('hex')}`,
  );
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, 'client.crt');
  const keyFile = join(dir, 'client.key');
  writePair(certFile, keyFile, pair);
  return { cn, certFile, keyFile, caFile: state.caCertFile };
}

/** librdkafka settings for a client that connects to the SSL listener as `cert`'s principal. */
export function tlsClientConfig(state: KafkaState, cert: ClientCert): Record<string, string> {
  return tlsConfig(state, cert.certFile, cert.keyFile);
}
