import { request } from 'node:http';

/**
 * `kafka-bridge wait-ready --port N [--timeout S] [--path /ready] [--host 127.0.0.1]`: the postStart
 * hook of a bridge injected as a regular container (native-sidecar "false"). The kubelet does not start
 * the pod's next container until postStart returns, so the app finds the bridge listening. Polls the
 * management endpoint until it answers 200; exit 0 then, exit 1 with the last reason after the timeout.
 */
export interface WaitReadyOptions {
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
}

export const WAIT_READY_USAGE = `Usage: kafka-bridge wait-ready --port N [--timeout SECONDS] [--path /ready] [--host 127.0.0.1]
Waits until the bridge's management endpoint answers 200 (exit 0), or the timeout passes (exit 1).
`;

function probe(o: WaitReadyOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host: o.host, port: o.port, path: o.path, method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? null : `${o.path} answered ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 1 s')));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

/** Resolves null once ready, or the last reason it was not when `timeoutMs` has passed. */
export async function waitReady(o: WaitReadyOptions): Promise<string | null> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const reason = await probe(o);
    if (reason === null) return null;
    if (Date.now() + o.intervalMs > deadline) return reason;
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
}

/** Parses `wait-ready` flags; returns the options or a usage error naming the flag. */
export function parseWaitReadyArgs(argv: readonly string[]): WaitReadyOptions | string {
  const o = { port: Number.NaN, host: '127.0.0.1', path: '/ready', timeoutMs: 60_000, intervalMs: 100 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) return `${flag} needs a value`;
    if (flag === '--port') o.port = Number(value);
    else if (flag === '--timeout') o.timeoutMs = Number(value) * 1000;
    else if (flag === '--path') o.path = value;
    else if (flag === '--host') o.host = value;
    else return `unknown option ${flag}`;
  }
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535)
    return '--port: a port from 1 to 65535 is required';
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0)
    return '--timeout: a positive number of seconds is required';
  return o;
}

/** The whole subcommand, for bridge/main.ts: `return runWaitReady(argv)` gives the exit code. */
export async function runWaitReady(
  argv: readonly string[],
  io: { stderr: { write(s: string): unknown } } = process,
): Promise<number> {
  const o = parseWaitReadyArgs(argv);
  if (typeof o === 'string') {
    io.stderr.write(`kafka-bridge wait-ready: ${o}\n${WAIT_READY_USAGE}`);
    return 2;
  }
  const reason = await waitReady(o);
  if (reason === null) return 0;
  io.stderr.write(
    `kafka-bridge wait-ready: the bridge did not become ready on ${o.host}:${o.port}${o.path} within ${o.timeoutMs / 1000} s: ${reason}\n`,
  );
  return 1;
}
