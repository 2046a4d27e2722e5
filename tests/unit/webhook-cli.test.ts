import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWaitReadyArgs, runWaitReady } from '../../bridge/wait-ready.js';
import { main } from '../../webhook/main.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
    },
  };
}

describe('bridge-injector CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('inject -f prints the injected YAML and exits 0', async () => {
    const file = join(dir, 'pod.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    bridge.strimzi/inject: "true"\n    bridge.strimzi/auth: none\nspec:\n  containers:\n    - name: main\n      image: x\n',
    );
    writeFileSync(join(dir, 'config.yaml'), 'defaults:\n  bootstrapServers: kafka:9092\n');
    const { out, io } = capture();
    const code = await main(['inject', '-f', file, '--config', join(dir, 'config.yaml')], io);
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    expect(out.stdout).toContain('bridge.strimzi/status: injected');
    expect(out.stdout).toContain('value: kafka:9092');
  });

  test('a bad configuration file stops with the key and what is allowed (exit 2)', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'defaults:\n  auth: kerberos\n');
    const { out, io } = capture();
    expect(await main(['inject', '-f', '-', '--config', join(dir, 'bad.yaml')], io)).toBe(2);
    expect(out.stderr).toMatch(/defaults.auth: "kerberos" is not allowed/);
  });

  test('usage errors exit 2 with a message, never a stack trace', async () => {
    const a = capture();
    expect(await main(['frobnicate'], a.io)).toBe(2);
    expect(a.out.stderr).toMatch(/unknown command "frobnicate"/);
    const b = capture();
    expect(await main(['inject', '--bogus'], b.io)).toBe(2);
    expect(b.out.stderr).toMatch(/bridge-injector inject: Unknown option '--bogus'/);
    const c = capture();
    expect(await main(['serve', '--cert-file', 'x'], c.io)).toBe(2);
    expect(c.out.stderr).toMatch(/--cert-file and --key-file go together/);
  });
});

describe('kafka-bridge wait-ready (the postStart hook of a non-native sidecar)', () => {
  let server: Server;
  let port: number;
  let calls = 0;
  beforeAll(async () => {
    // Answers 503 twice, then 200: the bridge coming up.
    server = createServer((_req, res) => {
      calls++;
      res.statusCode = calls > 2 ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test('returns 0 once /ready answers 200', async () => {
    const err = { s: '' };
    expect(
      await runWaitReady(['--port', String(port), '--timeout', '5'], {
        stderr: { write: (s: string) => (err.s += s) },
      }),
    ).toBe(0);
    expect(calls).toBe(3);
  });

  test('returns 1 with the reason when nothing listens before the timeout', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = { s: '' };
    const code = await runWaitReady(['--port', String(free), '--timeout', '0.3'], {
      stderr: { write: (s: string) => (err.s += s) },
    });
    expect(code).toBe(1);
    expect(err.s).toMatch(
      new RegExp(`did not become ready on 127.0.0.1:${free}/ready within 0.3 s: .*ECONNREFUSED`),
    );
  });

  test('bad flags are usage errors', () => {
    expect(parseWaitReadyArgs(['--port', '0'])).toBe('--port: a port from 1 to 65535 is required');
    expect(parseWaitReadyArgs(['--port', '8081', '--what', 'x'])).toBe('unknown option --what');
  });
});
