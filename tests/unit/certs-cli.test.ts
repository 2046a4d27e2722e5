import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe as describeCert, isSignedBy } from '../../certs/certificates.js';
import { runCertsCommand } from '../../certs/cli.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('bridge-injector certs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'certs-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes ca.crt, tls.crt and tls.key that a TLS client trusting ca.crt accepts for the Service name', async () => {
    const c = capture();
    const code = await runCertsCommand(
      ['--service', 'bridge-injector', '--namespace', 'kafka', '--out', dir, '--ip', '127.0.0.1'],
      c.io,
    );
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const cert = readFileSync(join(dir, 'tls.crt'), 'utf8');
    const key = readFileSync(join(dir, 'tls.key'), 'utf8');
    expect(isSignedBy(cert, ca)).toBe(true);
    expect(describeCert(cert).dnsNames).toEqual([
      'bridge-injector',
      'bridge-injector.kafka',
      'bridge-injector.kafka.svc',
      'bridge-injector.kafka.svc.cluster.local',
    ]);
    expect(statSync(join(dir, 'tls.key')).mode & 0o777).toBe(0o600);
    expect(c.out()).toContain('bridge-injector.kafka.svc');

    // A real handshake, verifying the name the API server uses for a service client config.
    const server = createServer({ cert, key }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, servername: 'bridge-injector.kafka.svc', ca, path: '/' },
          (res) => {
            let b = '';
            res.on('data', (d) => {
              b += d;
            });
            res.on('end', () => resolve(b));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe('ok');
    } finally {
      server.close();
    }
  });

  it('refuses to overwrite existing files unless --force', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'precious');
    const c = capture();
    expect(await runCertsCommand(['--service', 's', '--namespace', 'n', '--out', dir], c.io)).toBe(1);
    expect(c.err()).toContain('exists (use --force to overwrite)');
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe('precious');
    expect(
      await runCertsCommand(['--service', 's', '--namespace', 'n', '--out', dir, '--force'], capture().io),
    ).toBe(0);
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('names every bad or missing flag and what is allowed', async () => {
    const c = capture();
    expect(await runCertsCommand(['--service', 'Bad_Name', '--days', 'zero'], c.io)).toBe(2);
    expect(c.err()).toContain('--namespace is required');
    expect(c.err()).toContain('--out is required');
    expect(c.err()).toContain('--service "Bad_Name" is not a valid name');
    expect(c.err()).toContain('--days "zero" must be a positive number of days');
    const u = capture();
    expect(await runCertsCommand(['--servce', 'x'], u.io)).toBe(2);
    expect(u.err()).toMatch(/Unknown option '--servce'/);
    const h = capture();
    expect(await runCertsCommand(['--help'], h.io)).toBe(0);
    expect(h.out()).toContain('Usage: bridge-injector certs');
  });
});
