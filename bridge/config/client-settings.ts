/**
 * The vocabulary shared by the translation modules: one setting as written, librdkafka's documented
 * types and ranges, and the collector that applies the precedence rules.
 */
import type { RdkafkaProperty } from './librdkafka-properties.js';
import { shown } from './secrets.js';
import { ConfigError } from './types.js';

export type ClientKind = 'producer' | 'consumer' | 'admin';

/** One Java-client setting for one client, after prefix merging. */
export interface ClientSetting {
  readonly value: string;
  /** The key as written, e.g. `kafka.producer.acks`; errors and notices name it. */
  readonly source: string;
  /** From `kafka.<client>.*`, which wins over `kafka.*`. */
  readonly specific: boolean;
}

// librdkafka aliases folded onto one name: the Java client's name where there is one.
const CANONICAL: ReadonlyMap<string, string> = new Map([
  ['metadata.broker.list', 'bootstrap.servers'],
  ['queue.buffering.max.ms', 'linger.ms'],
  ['message.send.max.retries', 'retries'],
  ['compression.codec', 'compression.type'],
  ['request.required.acks', 'acks'],
  ['message.timeout.ms', 'delivery.timeout.ms'],
  ['fetch.message.max.bytes', 'max.partition.fetch.bytes'],
  ['sasl.mechanism', 'sasl.mechanisms'],
  ['max.in.flight', 'max.in.flight.requests.per.connection'],
  ['sasl.oauthbearer.client.credentials.client.id', 'sasl.oauthbearer.client.id'],
  ['sasl.oauthbearer.client.credentials.client.secret', 'sasl.oauthbearer.client.secret'],
]);

export function canonicalName(name: string): string {
  return CANONICAL.get(name) ?? name;
}

export function invalid(setting: ClientSetting, allowed: string, target?: string): never {
  const bare = setting.source.replace(/^kafka\.(?:(?:producer|consumer|admin)\.)?/, '');
  const via = target && target !== bare ? ` (librdkafka ${target})` : '';
  throw new ConfigError(
    setting.source,
    `${setting.source}: ${shown(setting.source, setting.value.trim())} is not allowed${via}; allowed: ${allowed}`,
  );
}

function describeAllowed(prop: RdkafkaProperty): string {
  switch (prop.type) {
    case 'int':
      return `an integer ${prop.min} .. ${prop.max}`;
    case 'float':
      return `a number ${prop.min} .. ${prop.max}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return (prop.values ?? []).join(', ');
    case 'flags':
      return `a comma-separated list of ${(prop.values ?? []).join(', ')}`;
    default:
      return 'a string';
  }
}

/** Checks a value against librdkafka's documented type and range; returns it in librdkafka's spelling. */
export function checkNative(
  name: string,
  prop: RdkafkaProperty,
  setting: ClientSetting,
  raw = setting.value,
): string {
  const value = raw.trim();
  const fail = () => invalid({ ...setting, value }, describeAllowed(prop), name);
  switch (prop.type) {
    case 'int': {
      if (!/^[-+]?\d+$/.test(value)) fail();
      const n = Number(value);
      if (prop.min !== undefined && n < prop.min) fail();
      if (prop.max !== undefined && n > prop.max) fail();
      return String(n);
    }
    case 'float': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) fail();
      if (prop.min !== undefined && n < prop.min) fail();
      if (prop.max !== undefined && n > prop.max) fail();
      return String(n);
    }
    case 'bool': {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') fail();
      return lower;
    }
    case 'enum': {
      const hit = prop.values?.find((v) => v.toLowerCase() === value.toLowerCase());
      if (hit === undefined) fail();
      return hit as string;
    }
    case 'flags': {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (prop.values) {
        const out = items.map((item) => prop.values?.find((v) => v.toLowerCase() === item.toLowerCase()));
        if (out.some((v) => v === undefined)) fail();
        return out.join(',');
      }
      return items.join(',');
    }
    default:
      return value;
  }
}

export function applies(kind: ClientKind, scope: '*' | 'C' | 'P'): boolean {
  return scope === '*' || (scope === 'P' && kind === 'producer') || (scope === 'C' && kind === 'consumer');
}

export const CLIENT_OF_SCOPE = { C: 'consumer', P: 'producer', '*': 'Kafka client' } as const;

export interface OutEntry {
  readonly value: string;
  readonly rank: number;
  readonly source: string;
}

/** Collects librdkafka settings, keeping per property the one with the highest precedence. */
export class Collector {
  readonly entries = new Map<string, OutEntry>();

  put(name: string, value: string, from: ClientSetting | undefined, native: boolean): void {
    const key = canonicalName(name);
    // Ranks: default -1; kafka.* translated 0, native 1; kafka.<client>.* translated 2, native 3.
    const rank = from ? (from.specific ? 2 : 0) + (native ? 1 : 0) : -1;
    const prev = this.entries.get(key);
    if (prev && prev.rank > rank) return;
    this.entries.set(key, { value, rank, source: from?.source ?? '(default)' });
  }

  get(name: string): OutEntry | undefined {
    return this.entries.get(canonicalName(name));
  }
}

export function parseJavaInt(setting: ClientSetting, min: number, max: number, allowed: string): number {
  const v = setting.value.trim();
  if (!/^[-+]?\d+$/.test(v)) invalid(setting, allowed);
  const n = Number(v);
  if (n < min || n > max) invalid(setting, allowed);
  return n;
}
