import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import rdkafka from 'node-rdkafka';
import { createCa, issueClient, issueServing, type KeyPair } from '../../certs/certificates.js';
import { cacheDir } from './paths.js';
import { freePorts } from './ports.js';
import { supervise, waitUntilReady } from './process.js';
import type { KafkaState } from './state.js';

/** How long a broker may take from `java` to answering requests on both listeners (2 busy cores: generous). */
const READY_TIMEOUT_MS = 120_000;
/** A broker whose data is thrown away needs no long controlled shutdown. */
const STOP_GRACE_MS = 5_000;

/** The first broker of a JDK + Kafka version dumps its class archive on exit, which takes a few seconds. */
const STOP_GRACE_DUMPING_MS = 60_000;

/**
 * JVM flags for every Kafka JVM we start: small heap, fast start-up over peak throughput (C1 only: on two
 * busy cores it halves the broker's start). `KAFKA_JVM_FLAGS` (space-separated) comes last and so wins,
 * e.g. `-XX:TieredStopAtLevel=4` for a benchmark that wants the full JIT.
 */
function jvmFlags(): string[] {
  return [
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Xss512k',
    '-Djava.awt.headless=true',
    ...(process.env.KAFKA_JVM_FLAGS ?? '').split(/\s+/).filter(Boolean),
  ];
}

/** Where `java` on PATH really lives, with its size and mtime: a new JDK must not use an old JDK's archive. */
function jdkKey(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'java');
    if (!existsSync(candidate)) continue;
    const real = realpathSync(candidate);
    const st = statSync(real);
    return createHash('sha256').update(`${real}|${st.size}|${st.mtimeMs}`).digest('hex').slice(0, 12);
  }
  return 'unknown-jdk';
}

/** Half-made archives of runs that were killed before they could settle (they are tens of MB each). */
function sweepAbandoned(dir: string, prefix: string): void {
  const cutoff = Date.now() - 10 * 60_000;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(prefix)) continue;
    try {
      if (statSync(join(dir, f)).mtimeMs < cutoff) rmSync(join(dir, f), { force: true });
    } catch {
      // another run got there first
    }
  }
}

interface ClassArchive {
  readonly flags: string[];
  /** Keeps a freshly dumped archive when the JVM ended on its own terms; drops a partial one. */
  settle(complete: boolean): void;
  readonly dumping: boolean;
}

/**
 * Application class-data sharing (JDK 13+ dynamic archives): the first run of `name` records the classes it
 * loaded into the cache; later runs map them instead of parsing and verifying ~90 jars again (StorageTool
 * 2.2 s -> 1.0 s here). A missing, stale or unreadable archive only costs that speed-up, never correctness:
 * the JVM falls back to loading classes itself. `KAFKA_CDS=0` turns it off.
 */
function classArchive(name: string): ClassArchive {
  const off = { flags: [], settle() {}, dumping: false };
  if (process.env.KAFKA_CDS === '0') return off;
  const dir = cacheDir(`kafka-${kafkaVersion()}`, 'cds', jdkKey());
  const archive = join(dir, `${name}.jsa`);
  sweepAbandoned(dir, `${name}.jsa.`);
  const quiet = '-Xlog:cds*=off';
  if (existsSync(archive))
    return { flags: [`-XX:SharedArchiveFile=${archive}`, quiet], settle() {}, dumping: false };
  // Concurrent first runs each write their own file; the rename makes whichever finishes last the archive.
  const tmp = `${archive}.${process.pid}.${randomBytes(4).toString('hex')}`;
  return {
    flags: [`-XX:ArchiveClassesAtExit=${tmp}`, quiet],
    dumping: true,
    settle(complete) {
      try {
        if (complete && existsSync(tmp)) renameSync(tmp, archive);
        else rmSync(tmp, { force: true });
      } catch {
        // a lost archive only costs speed
      }
    },
  };
}

/** The directory tests/infra/ lives in, for the build script (source and compiled layouts alike). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'tests', 'infra', 'build-kafka.sh'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find tests/infra/build-kafka.sh above this module');
    dir = up;
  }
  return dir;
}

/** The Kafka version build-kafka.sh resolves: read from the script so there is one place to change it. */
export function kafkaVersion(): string {
  if (process.env.KAFKA_VERSION) return process.env.KAFKA_VERSION;
  const script = readFileSync(join(repoRoot(), 'tests', 'infra', 'build-kafka.sh'), 'utf8');
  const m = /KAFKA_VERSION:-([^}]+)\}/.exec(script);
  if (!m?.[1]) throw new Error('tests/infra/build-kafka.sh does not declare a default KAFKA_VERSION');
  return m[1];
}

/** The Java classpath of the resolved Kafka jars (`<cache>/kafka-<version>/libs/*`). */
export function kafkaClasspath(): string {
  return join(cacheDir(`kafka-${kafkaVersion()}`), 'libs', '*');
}

/** Runs build-kafka.sh unless its marker is there: instant when cached, so `stack.js` works without `make infra`. */
async function ensureBuilt(): Promise<void> {
  if (existsSync(join(cacheDir(`kafka-${kafkaVersion()}`), '.complete'))) return;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot(), 'tests', 'infra', 'build-kafka.sh')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error('tests/infra/build-kafka.sh failed (see above)')),
    );
  });
}

/** Runs a Kafka main class to completion; rejects with its output when it fails. */
export function runKafkaTool(
  mainClass: string,
  args: readonly string[],
  extraJvm: string[] = [],
): Promise<string> {
  const cds = classArchive(mainClass.split('.').pop() ?? mainClass);
  return new Promise((resolve, reject) => {
    execFile(
      'java',
      [...jvmFlags(), '-Xmx256m', ...cds.flags, ...extraJvm, '-cp', kafkaClasspath(), mainClass, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        cds.settle(!err);
        if (err)
          // The cause comes first; a usage text that may follow is long and says nothing new.
          reject(
            new Error(
              `${mainClass} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${firstLines(stdout + stderr, 15)}`,
            ),
          );
        else resolve(stdout);
      },
    );
  });
}

function firstLines(text: string, n: number): string {
  const lines = text.split('\n');
  const usage = lines.findIndex((l) => /^Option\s+Description/.test(l));
  return lines.slice(0, Math.min(n, usage === -1 ? lines.length : usage)).join('\n');
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (Kafka's `Uuid.toString`), not starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

interface Layout {
  readonly dir: string;
  readonly properties: string;
  readonly log4j: string;
  readonly data: string;
  readonly log: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly brokerPem: string;
  readonly adminCert: string;
  readonly adminKey: string;
}

function layout(runDir: string): Layout {
  const dir = join(runDir, 'kafka');
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    properties: join(dir, 'server.properties'),
    log4j: join(dir, 'log4j2.properties'),
    data: join(dir, 'data'),
    log: join(dir, 'kafka.log'),
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    brokerPem: join(dir, 'broker.pem'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
  };
}

function serverProperties(l: Layout, ports: { plaintext: number; controller: number; ssl: number }): string {
  const listeners = `PLAINTEXT://127.0.0.1:${ports.plaintext},CONTROLLER://127.0.0.1:${ports.controller},SSL://127.0.0.1:${ports.ssl}`;
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${ports.controller}`,
    'controller.listener.names=CONTROLLER',
    `listeners=${listeners}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.plaintext},SSL://127.0.0.1:${ports.ssl}`,
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL',
    `log.dirs=${l.data}`,
    'num.partitions=1',
    // One node: every internal topic has one replica, and one partition so the first consumer group,
    // transaction or share group does not wait for 50 partitions to be created.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'share.coordinator.state.topic.num.partitions=1',
    // Tests join groups one consumer at a time; the 3 s default only delays them.
    'group.initial.rebalance.delay.ms=0',
    // Mutual TLS with PEM files (KIP-651): the keystore file holds the PKCS#8 key and the certificate.
    'listener.name.ssl.ssl.keystore.type=PEM',
    `listener.name.ssl.ssl.keystore.location=${l.brokerPem}`,
    'listener.name.ssl.ssl.truststore.type=PEM',
    `listener.name.ssl.ssl.truststore.location=${l.caCert}`,
    'listener.name.ssl.ssl.client.auth=required',
    // Principal = certificate CN (`User:alice`), as Strimzi's User Operator names TLS users.
    'ssl.principal.mapping.rules=RULE:^CN=([^,]+).*$/$1/,DEFAULT',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    // PLAINTEXT and CONTROLLER carry no authentication, so the broker itself is ANONYMOUS: it must be a
    // super user. Only the SSL listener is where ACLs are asserted.
    'super.users=User:ANONYMOUS;User:admin',
  ].join('\n')}\n`;
}

/** Everything to stdout, which supervise() sends to kafka.log; the authorizer's denials are kept. */
const LOG4J2 = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = INFO
`;

async function writeCertificates(l: Layout): Promise<void> {
  const ca = await createCa('strimzi-bridge-injector test Kafka CA');
  const [broker, admin] = await Promise.all([
    issueServing(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }),
    issueClient(ca, 'admin'),
  ]);
  writePair(l.caCert, l.caKey, ca);
  writeFileSync(l.brokerPem, `${broker.key.trim()}\n${broker.cert.trim()}\n`, { mode: 0o600 });
  writePair(l.adminCert, l.adminKey, admin);
}

export function writePair(certFile: string, keyFile: string, pair: KeyPair): void {
  writeFileSync(certFile, pair.cert);
  writeFileSync(keyFile, pair.key, { mode: 0o600 });
}

/** librdkafka settings for a mutual-TLS client of `state`'s SSL listener. */
export function tlsConfig(
  state: Pick<KafkaState, 'ssl' | 'caCertFile'>,
  certFile: string,
  keyFile: string,
): Record<string, string> {
  return {
    'bootstrap.servers': state.ssl,
    'security.protocol': 'ssl',
    'ssl.ca.location': state.caCertFile,
    'ssl.certificate.location': certFile,
    'ssl.key.location': keyFile,
  };
}

/**
 * True once the broker answers a Metadata request on `config`'s listener. Kafka opens its sockets before
 * it serves requests, so a TCP connect alone would report ready too early.
 */
function answersMetadata(config: Record<string, string>): Promise<boolean> {
  return new Promise((resolve) => {
    const producer = new rdkafka.Producer({ ...config, 'socket.connection.setup.timeout.ms': 2000 });
    producer.connect({ timeout: 2000 }, (err) => {
      if (err) {
        resolve(false);
        return;
      }
      producer.disconnect(() => resolve(true));
    });
  });
}

/**
 * Starts a single-node KRaft Kafka (broker + controller) in `<runDir>/kafka`: PLAINTEXT for setup, SSL with
 * client certificates and ACLs for the tests, certificates from a CA made for this run.
 */
export async function startKafka(runDir: string): Promise<{ state: KafkaState; stop(): Promise<void> }> {
  await ensureBuilt();
  const l = layout(runDir);
  const [plaintext, controller, ssl] = (await freePorts(3)) as [number, number, number];
  writeFileSync(l.properties, serverProperties(l, { plaintext, controller, ssl }));
  writeFileSync(l.log4j, LOG4J2);
  // Formatting needs a JVM of its own; make the certificates meanwhile.
  await Promise.all([
    writeCertificates(l),
    runKafkaTool(
      'kafka.tools.StorageTool',
      ['format', '--standalone', '-t', clusterId(), '-c', l.properties],
      [`-Dlog4j2.configurationFile=${l.log4j}`],
    ),
  ]);

  const cds = classArchive('Kafka');
  const broker = supervise(
    'kafka',
    'java',
    [
      ...jvmFlags(),
      '-Xmx512m',
      ...cds.flags,
      `-Dlog4j2.configurationFile=${l.log4j}`,
      '-cp',
      kafkaClasspath(),
      'kafka.Kafka',
      l.properties,
    ],
    { logFile: l.log, cwd: l.dir },
  );
  const state: KafkaState = {
    plaintext: `127.0.0.1:${plaintext}`,
    ssl: `127.0.0.1:${ssl}`,
    caCertFile: l.caCert,
    caKeyFile: l.caKey,
    adminCertFile: l.adminCert,
    adminKeyFile: l.adminKey,
    logFile: l.log,
  };
  const stop = async () => {
    await broker.stop(cds.dumping ? STOP_GRACE_DUMPING_MS : STOP_GRACE_MS);
    // Killed means the archive may be cut short.
    cds.settle((await broker.exited) !== 'SIGKILL');
  };
  try {
    await waitUntilReady(
      broker,
      async () =>
        (await answersMetadata({ 'bootstrap.servers': state.plaintext })) &&
        (await answersMetadata(tlsConfig(state, l.adminCert, l.adminKey))),
      READY_TIMEOUT_MS,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { state, stop };
}
