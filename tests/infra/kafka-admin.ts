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

// Each AclCommand is a JVM start (about a second); the rules are independent, so they run side by side.
async function aclCommand(
  state: KafkaState,
  action: '--add' | '--remove',
  principal: string,
  acls: readonly Acl[],
) {
  await Promise.all(
    acls.map((acl) =>
      runKafkaTool('org.apache.kafka.tools.AclCommand', aclArgs(state, action, principalOf(principal), acl)),
    ),
  );
}

/** Grants `acls` to `principal` (`alice` means `User:alice`, the CN of alice's certificate). */
export function addAcls(state: KafkaState, principal: string, acls: readonly Acl[]): Promise<void> {
  return aclCommand(state, '--add', principal, acls);
}

/** Takes back exactly the rules `addAcls` granted with the same arguments. */
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
