import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CA_VALIDITY_DAYS,
  createCa,
  describe,
  issueServing,
  LEAF_VALIDITY_DAYS,
  serviceDnsNames,
} from './certificates.js';

export const CERTS_USAGE = `Usage: bridge-injector certs --service NAME --namespace NS --out DIR [options]

Writes a CA and a serving certificate for the webhook's Service, for those who manage the
webhook's certificates themselves (the chart's default install bootstraps its own):
  DIR/ca.crt    the CA certificate: put it (base64) in the caBundle of the MutatingWebhookConfiguration
  DIR/tls.crt   the serving certificate: SANs NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local
  DIR/tls.key   its private key (PKCS#8, mode 0600)
The CA key is not kept: renew by running the command again and updating the caBundle.

Options:
  --service NAME     the webhook's Service name (required)
  --namespace NS     the Service's namespace (required)
  --out DIR          output directory, created if missing (required)
  --dns NAME         an extra DNS SAN (repeatable)
  --ip ADDRESS       an IP SAN, e.g. 127.0.0.1 for a URL client config (repeatable)
  --days N           serving certificate lifetime in days (default ${LEAF_VALIDITY_DAYS})
  --ca-days N        CA lifetime in days (default ${CA_VALIDITY_DAYS})
  --force            overwrite existing files
  -h, --help         this text
`;

export interface CommandIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

// RFC 1123 label: what Kubernetes accepts as a Service or Namespace name.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `bridge-injector certs ...` (argv is what follows `certs`). Returns the exit code: 0 ok, 2 bad usage, 1 failure. */
export async function runCertsCommand(argv: readonly string[], io: CommandIo = process): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (err) {
    io.stderr.write(`certs: ${(err as Error).message}\n\n${CERTS_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(CERTS_USAGE);
    return 0;
  }
  const problems: string[] = [];
  for (const flag of ['service', 'namespace', 'out'] as const) {
    if (!values[flag]) problems.push(`--${flag} is required`);
  }
  for (const flag of ['service', 'namespace'] as const) {
    const v = values[flag];
    if (v && (!DNS_LABEL.test(v) || v.length > 63)) {
      problems.push(
        `--${flag} ${JSON.stringify(v)} is not a valid name (lower-case letters, digits and '-', at most 63)`,
      );
    }
  }
  const days = positive(values.days, '--days', LEAF_VALIDITY_DAYS, problems);
  const caDays = positive(values['ca-days'], '--ca-days', CA_VALIDITY_DAYS, problems);
  if (caDays < days) problems.push(`--ca-days (${caDays}) must not be shorter than --days (${days})`);
  for (const ip of values.ip ?? []) {
    if (!/^[0-9.]+$|^[0-9a-fA-F:]+$/.test(ip))
      problems.push(`--ip ${JSON.stringify(ip)} is not an IP address`);
  }
  if (problems.length > 0) {
    io.stderr.write(`certs: ${problems.join('; ')}\n\n${CERTS_USAGE}`);
    return 2;
  }
  const service = values.service as string;
  const namespace = values.namespace as string;
  const out = values.out as string;

  try {
    const ca = await createCa(`bridge-injector-ca (${service}.${namespace})`, { days: caDays });
    const dnsNames = [...serviceDnsNames(service, namespace), ...(values.dns ?? [])];
    const leaf = await issueServing(ca, {
      commonName: `${service}.${namespace}.svc`,
      dnsNames,
      ipAddresses: values.ip ?? [],
      validity: { days },
    });
    mkdirSync(out, { recursive: true });
    // 'wx' refuses to replace an existing file unless --force: someone's certificates are precious.
    const flag = values.force ? 'w' : 'wx';
    writeFileSync(join(out, 'ca.crt'), ca.cert, { flag, mode: 0o644 });
    writeFileSync(join(out, 'tls.crt'), leaf.cert, { flag, mode: 0o644 });
    writeFileSync(join(out, 'tls.key'), leaf.key, { flag, mode: 0o600 });
    const info = describe(leaf.cert);
    io.stdout.write(
      `wrote ${join(out, 'ca.crt')}, ${join(out, 'tls.crt')}, ${join(out, 'tls.key')}\n` +
        `serving certificate for ${[...info.dnsNames, ...(values.ip ?? [])].join(', ')}, valid until ${info.notAfter.toISOString()}\n` +
        `caBundle: base64 -w0 ${join(out, 'ca.crt')}\n`,
    );
    return 0;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EEXIST' ? `${e.path} exists (use --force to overwrite)` : e.message;
    io.stderr.write(`certs: ${why}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      service: { type: 'string' },
      namespace: { type: 'string' },
      out: { type: 'string' },
      dns: { type: 'string', multiple: true },
      ip: { type: 'string', multiple: true },
      days: { type: 'string' },
      'ca-days': { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function positive(raw: string | undefined, flag: string, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    problems.push(`${flag} ${JSON.stringify(raw)} must be a positive number of days`);
    return fallback;
  }
  return n;
}
