#!/usr/bin/env node
/**
 * `kafka-bridge`: the CLI of the sidecar. Parses the command line, loads the configuration,
 * starts the bridge and stops it gracefully on SIGTERM/SIGINT.
 *
 * The shebang is how every sidecar runs (the image's `kafka-bridge` is this file, and so is an
 * npm bin link; bench/launch.ts reads it so the benchmarks run the same process). Runtime
 * settings for every sidecar (environment before node starts, node flags) belong there. One was
 * tried and dropped: MALLOC_ARENA_MAX=2 leaves ~0.8 MiB less idle RSS, but librdkafka's threads
 * and node's then share malloc arenas, and produce throughput at 8 clients fell from 0.72-0.83 of
 * direct node-rdkafka to 0.58-0.68 in alternating runs on a quiet machine (issue 3).
 *
 * This module has no static imports on purpose: the libuv threadpool size below must be set
 * before anything touches the pool, and `--help`/`--version` should not load node-rdkafka.
 */

// Every in-flight consumer poll (node-rdkafka consume(n, cb), issue 4) and every metadata call
// holds one libuv pool thread for up to its timeout, and fs/DNS share that pool (default 4).
// 16 leaves room for a dozen concurrent long polls next to the rest. A value set by the
// operator wins. Coordinated with bridge/kafka/consumer.ts (consumer API): size it here only.
process.env.UV_THREADPOOL_SIZE ??= '16';

const USAGE = `Usage: kafka-bridge [--config-file <path>]
       kafka-bridge wait-ready --port N [--timeout SECONDS] [--path /ready] [--host 127.0.0.1]

An HTTP-to-Kafka bridge, a drop-in for the Strimzi Kafka Bridge HTTP API.

Options:
  --config-file <path>  bridge.properties (Java properties: bridge.*, http.*, kafka.*,
                        kafka.producer.*, kafka.consumer.*, kafka.admin.*). Without it the
                        built-in defaults apply: bootstrap from BOOTSTRAP_SERVERS, TLS from
                        USER_CRT/USER_KEY/CA_CRT when they are set.
  --help                show this help and exit
  --version             print the version and exit

wait-ready: polls a bridge's /ready until it answers 200 (exit 0) or the timeout passes
(exit 1); the postStart hook of an injected sidecar.

Endpoints: the API on http.host:http.port (default 127.0.0.1:8080; a loopback host binds both
127.0.0.1 and ::1); /healthy, /ready, /metrics on http.management.port (default 8081, all
interfaces) and on the API port. GET /ready?kafka=true also checks that a broker answers.
Signals: SIGTERM/SIGINT stop gracefully within bridge.shutdown.timeoutMs.`;

type Cli =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; argv: string[] }
  | { kind: 'error'; message: string };

function parseCli(argv: readonly string[]): Cli {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { kind: 'help' };
    if (a === '--version' || a === '-v') return { kind: 'version' };
    if (a === '--config-file') {
      if (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')) {
        return { kind: 'error', message: '--config-file needs a path' };
      }
      i++;
      continue;
    }
    if (a.startsWith('--config-file=')) continue;
    return { kind: 'error', message: `unknown argument '${a}'` };
  }
  return { kind: 'run', argv: [...argv] };
}

async function packageVersion(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const { packageFile } = await import('./http/contract.js');
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
}

async function main(): Promise<number> {
  if (process.argv[2] === 'wait-ready') {
    const { runWaitReady } = await import('./wait-ready.js');
    return runWaitReady(process.argv.slice(3));
  }
  const cli = parseCli(process.argv.slice(2));
  if (cli.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cli.kind === 'version') {
    process.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  if (cli.kind === 'error') {
    process.stderr.write(`kafka-bridge: ${cli.message}\n\n${USAGE}\n`);
    return 2;
  }

  // Idle memory (issue 3): loading the bridge's modules makes V8 double its young generation
  // (to 8 MB, ~3 MB of it resident for good) although what survives there is
  // long-lived code and config that belongs in the old generation anyway. No growth while
  // starting; the default factor is back once the bridge is ready, so a loaded bridge still grows
  // its young generation as it needs (capping it instead, --max-semi-space-size=1, cost a third of
  // the produce throughput at 8 clients).
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  const restoreYoungGrowth = () => v8.setFlagsFromString('--semi-space-growth-factor=2');

  const { loadConfig, ConfigError } = await import('./config/index.js');
  let config: import('./config/types.js').BridgeConfig;
  try {
    config = loadConfig({ argv: cli.argv, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      // One line naming the key and what is allowed; never the value (it may be a secret).
      process.stderr.write(`kafka-bridge: invalid configuration: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  const { createLogger } = await import('./log.js');
  const log = createLogger(config.logLevel);
  for (const n of config.notices) log.warn({ key: n.key }, `configuration: ${n.key} ${n.reason}`);

  const { startBridge } = await import('./http/server.js');
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  try {
    bridge = await startBridge(config, log, { version: await packageVersion() });
  } catch (err) {
    log.error({ err: (err as Error).message }, 'kafka-bridge could not start');
    return 1;
  }

  restoreYoungGrowth();

  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) {
        log.warn({ signal: sig }, 'second signal: exiting now');
        resolve(130);
        return;
      }
      signalled = true;
      log.info({ signal: sig }, 'signal received, stopping');
      const budget = config.http.shutdownTimeoutMs;
      // The hard bound: whatever hangs, the process is gone shortly after the budget.
      setTimeout(() => {
        log.error({ timeoutMs: budget }, 'graceful shutdown took too long, exiting');
        resolve(1);
      }, budget + 1000).unref();
      bridge.stop(budget).then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err: (err as Error).message }, 'error while stopping');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kafka-bridge: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
