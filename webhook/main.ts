#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * `bridge-injector`: serve | inject | certs. The image's command is this file, so the shebang's
 * flags are how the webhook runs everywhere (bench/launch.ts reads them for the benchmarks).
 * --max-semi-space-size=2 (MiB): V8 otherwise lets the young generation grow to 3 x 16 MiB as soon
 * as admissions keep coming, and gives it back only after some idle seconds; at 100 pods/s the
 * webhook then held 85-97 MiB instead of ~75, for ~10% more CPU per review at saturation.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BOOTSTRAP_ARG_OPTIONS, BOOTSTRAP_USAGE, bootstrapOptionsFromArgs } from './bootstrap-args.js';
import { ConfigFileError, type InjectorConfig, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { createMetrics } from './metrics.js';
import { injectYaml } from './offline.js';
import { fileTlsSource, type TlsSource } from './server.js';

const USAGE = `Usage: bridge-injector <command> [options]

Commands:
  serve    run the mutating admission webhook (HTTPS, POST /mutate, /healthz, /readyz, /metrics)
  inject   apply the same mutation to Pods and pod templates in YAML files, printing YAML
  certs    write a CA and a serving certificate for the webhook's Service

bridge-injector serve [--cert-file F --key-file F] [--port 8443] [--host 0.0.0.0] [--config FILE]
  --cert-file, --key-file   PEM serving certificate and key, reloaded when they change on disk;
                            without them the certificate is bootstrapped from a Secret (see below)
  --port N                  HTTPS port (default 8443)
  --config FILE             the injector configuration (YAML or JSON): cluster-wide defaults

bridge-injector inject -f FILE|- [--namespace NS] [--config FILE]
  -f, --filename FILE       YAML (multi-document) to read; - for stdin
  --namespace NS            namespace for objects that name none (default "default")
  Exit code 1 when a document's annotations are refused (the reason is printed on stderr).
`;

interface Io {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
}

function readConfig(file: string | undefined, io: Io): InjectorConfig | undefined {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigFileError) {
      io.stderr.write(`bridge-injector: ${err.message}\n`);
      return undefined;
    }
    throw err;
  }
}

export async function runInject(argv: readonly string[], io: Io = process): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      filename: { type: 'string', short: 'f' },
      namespace: { type: 'string', short: 'n' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!values.filename) {
    io.stderr.write('bridge-injector inject: -f FILE (or - for stdin) is required\n');
    return 2;
  }
  const config = readConfig(values.config, io);
  if (!config) return 2;
  let text: string;
  try {
    text = readFileSync(values.filename === '-' ? 0 : values.filename, 'utf8');
  } catch (err) {
    io.stderr.write(`bridge-injector inject: cannot read ${values.filename}: ${(err as Error).message}\n`);
    return 1;
  }
  const result = injectYaml(text, values.namespace ?? 'default', config);
  io.stdout.write(result.yaml);
  for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
  for (const e of result.errors) io.stderr.write(`error: ${e}\n`);
  return result.errors.length > 0 ? 1 : 0;
}

const SERVE_OPTIONS = {
  'cert-file': { type: 'string' },
  'key-file': { type: 'string' },
  port: { type: 'string', default: '8443' },
  host: { type: 'string', default: '0.0.0.0' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...BOOTSTRAP_ARG_OPTIONS,
} as const;

async function runServe(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args: [...argv], options: SERVE_OPTIONS });
  if (values.help) {
    io.stdout.write(`${USAGE}\n${BOOTSTRAP_USAGE}`);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr.write(`bridge-injector serve: --port ${JSON.stringify(values.port)}: allowed 0-65535\n`);
    return 2;
  }
  if ((values['cert-file'] === undefined) !== (values['key-file'] === undefined)) {
    io.stderr.write('bridge-injector serve: --cert-file and --key-file go together\n');
    return 2;
  }
  let config = readConfig(values.config, io);
  if (!config) return 2;
  // The bootstrap's --namespace is the webhook's own namespace: never inject there.
  if (config.namespace === null && values.namespace) config = { ...config, namespace: values.namespace };
  const logger = createLogger();
  const metrics = createMetrics();
  const { startServer } = await import('./server.js');

  const abort = new AbortController();
  let tls: TlsSource;
  let notReadyReason: () => string | undefined = () => undefined;
  let stopTls: () => Promise<void> | void = () => {};
  if (values['cert-file'] && values['key-file']) {
    const files = fileTlsSource(values['cert-file'], values['key-file'], logger);
    tls = files;
    stopTls = () => files.close();
  } else {
    const { startCertificateBootstrap } = await import('./bootstrap.js');
    const { connectionFromEnvironment, kubeRest } = await import('./kube-rest.js');
    const kube = kubeRest(connectionFromEnvironment());
    const bootstrap = await startCertificateBootstrap(
      bootstrapOptionsFromArgs(values, { kube, logger, signal: abort.signal }),
    );
    tls = bootstrap;
    notReadyReason = () => bootstrap.notReadyReason();
    stopTls = () => bootstrap.stop();
  }
  const running = await startServer({
    config,
    tls,
    logger,
    metrics,
    port,
    host: values.host,
    notReadyReason,
  });
  logger.info(
    { port: running.port, namespace: config.namespace, config: values.config ?? null },
    'listening',
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  abort.abort();
  await Promise.all([running.close(), stopTls()]);
  return 0;
}

export async function main(argv: readonly string[], io: Io = process): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await runServe(rest, io);
      case 'inject':
        return await runInject(rest, io);
      case 'certs': {
        const { runCertsCommand } = await import('../certs/cli.js');
        return await runCertsCommand(rest, io);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      case '--version':
        io.stdout.write(
          `${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}\n`,
        );
        return 0;
      default:
        io.stderr.write(`bridge-injector: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    // parseArgs reports unknown/malformed flags this way: a usage error, not a crash.
    if (e.code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`bridge-injector ${command}: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`bridge-injector ${command}: ${e.message}\n`);
    return 1;
  }
}

function invokedDirectly(): boolean {
  try {
    // Through the package's bin symlink argv[1] is the link, so compare real paths.
    return (
      process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
    );
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bridge-injector: unhandled rejection: ${String(err)}\n`);
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A stopped server may leave idle timers behind; inject/certs end on their own so stdout drains.
    if (process.argv[2] === 'serve') process.exit(code);
  });
}
