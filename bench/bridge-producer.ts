#!/usr/bin/env node
/**
 * Producer benchmark (issue 3), one run on one broker:
 * - records/s produced through the bridge (json embedded format, 1 KiB values, 100 records per
 *   request, keep-alive, acks=1) with 1 and 8 concurrent HTTP clients (autocannon), against
 * - a direct node-rdkafka producer with the same settings sending the same records, with 1 and 8
 *   concurrent "clients" that each send a batch of 100 and wait for its 100 delivery reports, as
 *   an HTTP client waits for its response; and the ratio bridge / direct;
 * - the bridge's RSS idle (the median of one sample a second from BENCH_IDLE_SETTLE_S, default 25,
 *   to 10 s later, no request but /ready; also right after /ready) beside a floor process measured
 *   the same way, and under load (peak);
 * - the time from spawning the bridge to `/ready` answering 200.
 * The bridge runs as the sidecar runs it: main.js with its shebang's environment and node flags
 * (bench/launch.ts); BENCH_BRIDGE_NODE_ARGS (space-separated) replaces the node flags and
 * BENCH_BRIDGE_ENV (NAME=value, space-separated) the environment, to compare settings in one run.
 *
 *   node dist/tests/infra/stack.js run --kafka -- node dist/bench/bridge-producer.js
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'node-rdkafka';
import { createTopic } from '../tests/infra/kafka-admin.js';
import { freePort } from '../tests/infra/ports.js';
import { type Supervised, supervise } from '../tests/infra/process.js';
import { type KafkaState, loadStack, type StackState } from '../tests/infra/state.js';
import { isEntryPoint, type Launch, launchOf } from './launch.js';

const require = createRequire(import.meta.url);
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');

// autocannon ships no types: the part used here.
interface AutocannonResult {
  readonly duration: number;
  readonly '2xx': number;
  readonly non2xx: number;
  readonly errors: number;
  readonly latency: { readonly p50: number; readonly p99: number };
}
type Autocannon = (
  opts: Record<string, unknown>,
  cb: (err: Error | null, res: AutocannonResult) => void,
) => unknown;
const autocannon = require('autocannon') as Autocannon;

const here = dirname(fileURLToPath(import.meta.url));
const BRIDGE_MAIN = join(here, '..', 'bridge', 'main.js');
const RECORDS_PER_REQUEST = 100;
const CLIENTS = [1, 8] as const;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STARTS = 5;
// V8 keeps the start-up garbage (half-empty heap pages, a grown young generation) until its memory
// reducer compacts the heap, 8 to ~20 s after start depending on when it sees allocation calm
// down; what a sidecar sits at in its pod is the compacted figure. It still moves by about a MiB
// as the young generation fills and empties (librdkafka's statistics every 10 s): a median of
// samples over 10 s says where it sits.
const IDLE_SETTLE_S = Number(process.env.BENCH_IDLE_SETTLE_S ?? 25);
const IDLE_SAMPLES = 10;

/** Waits IDLE_SETTLE_S, then the median (by total) of IDLE_SAMPLES RSS samples a second apart. */
async function idleRss(pid: number): Promise<{ total: number; anon: number; file: number }> {
  await new Promise((r) => setTimeout(r, IDLE_SETTLE_S * 1000));
  const samples: Array<{ total: number; anon: number; file: number }> = [];
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000));
    samples.push(rssSplit(pid));
  }
  return samples.sort((a, b) => a.total - b.total)[Math.floor(samples.length / 2)]!;
}

/** The sidecar's launch settings, with the benchmark's overrides (header comment). */
function launch(): Launch {
  const deployed = launchOf(BRIDGE_MAIN);
  const args = process.env.BENCH_BRIDGE_NODE_ARGS;
  const env = process.env.BENCH_BRIDGE_ENV;
  return {
    nodeArgs: args === undefined ? deployed.nodeArgs : args.split(' ').filter(Boolean),
    env:
      env === undefined
        ? deployed.env
        : Object.fromEntries(
            env
              .split(' ')
              .filter(Boolean)
              .map((a) => [a.split('=')[0]!, a.slice(a.indexOf('=') + 1)]),
          ),
  };
}

/** One record value: a JSON object of ~1 KiB once serialized. */
const VALUE = { id: 'bench', data: 'x'.repeat(1000) };
const BODY = JSON.stringify({
  records: Array.from({ length: RECORDS_PER_REQUEST }, () => ({ value: VALUE })),
});
const VALUE_BYTES = Buffer.from(JSON.stringify(VALUE));

export interface ProducerBenchFigures {
  readonly startToReadyMs: { readonly min: number; readonly median: number; readonly max: number };
  readonly idleRssMiB: number;
  readonly idleRss: { total: number; anon: number; file: number };
  readonly readyRss: { total: number; anon: number; file: number };
  readonly floorRss: { total: number; anon: number; file: number };
  readonly loadRssMiB: number;
  readonly bridge: Record<
    number,
    { recordsPerS: number; p50Ms: number; p99Ms: number; failures: number; cpuUsPerRecord: number }
  >;
  readonly direct: Record<number, { recordsPerS: number; cpuUsPerRecord: number }>;
  readonly ratio: Record<number, number>;
}

function statusKiB(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** utime + stime of a whole process (every thread), in µs: fields 14 and 15 of /proc/PID/stat, in ticks of 1/100 s. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function rssMiB(pid: number): number {
  return statusKiB(pid, 'VmRSS') / 1024;
}

/** RSS split: private (anonymous: heaps) and file-backed (executable and libraries, shared, clean). */
function rssSplit(pid: number): { total: number; anon: number; file: number } {
  return {
    total: statusKiB(pid, 'VmRSS') / 1024,
    anon: statusKiB(pid, 'RssAnon') / 1024,
    file: statusKiB(pid, 'RssFile') / 1024,
  };
}

/**
 * The floor for idle memory, measured the same way in the same run (same launch settings, same
 * settling time after ready): a process that loads what the bridge cannot do without (express
 * listening, pino, a connected node-rdkafka producer) and nothing else.
 */
async function floorRss(
  kafka: KafkaState,
  dir: string,
): Promise<{ total: number; anon: number; file: number }> {
  // Inline, so the floor loads nothing of this benchmark (autocannon, test infrastructure).
  const code = `
    const express = require('express');
    const log = require('pino')();
    const Kafka = require('node-rdkafka');
    const p = new Kafka.Producer({ 'bootstrap.servers': ${JSON.stringify(kafka.plaintext)}, dr_cb: true }, {});
    p.connect({}, (err) => {
      if (err) throw err;
      const app = express();
      app.get('/', (req, res) => res.end('ok'));
      const server = app.listen(0, '127.0.0.1', () => log.info({ port: server.address().port }, 'floor ready'));
    });
    process.on('SIGTERM', () => p.disconnect(() => process.exit(0)));`;
  const { env, nodeArgs } = launch();
  const proc = supervise('bench-floor', process.execPath, [...nodeArgs, '-e', code], {
    logFile: join(dir, 'floor.log'),
    cwd: join(here, '..', '..'),
    env: { ...process.env, ...env },
  });
  try {
    const deadline = Date.now() + 20_000;
    let port: number | undefined;
    while (port === undefined) {
      const m = /"port":(\d+),"msg":"floor ready"/.exec(readFileSync(join(dir, 'floor.log'), 'utf8'));
      if (m) port = Number(m[1]);
      else if (Date.now() > deadline) throw new Error(`floor process not ready: ${proc.logTail()}`);
      else await new Promise((r) => setTimeout(r, 20));
    }
    // One answered request, as the bridge has answered /ready: the first response (its Date
    // header) makes V8 load ICU's time-zone data, ~0.6 MiB of the node executable, in any server.
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    return await idleRss(proc.child.pid!);
  } finally {
    await proc.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Bridge {
  readonly url: string;
  readonly proc: Supervised;
  readonly readyMs: number;
}

async function spawnBridge(kafka: KafkaState, dir: string, n: number): Promise<Bridge> {
  const props = join(dir, `bridge-${n}.properties`);
  writeFileSync(
    props,
    `http.host=127.0.0.1\nhttp.port=${await freePort()}\nhttp.management.port=${await freePort()}\nkafka.bootstrap.servers=${kafka.plaintext}\nkafka.producer.acks=1\nlog.level=warn\n`,
  );
  const port = Number(/http\.port=(\d+)/.exec(readFileSync(props, 'utf8'))![1]);
  const url = `http://127.0.0.1:${port}`;
  const { env, nodeArgs } = launch();
  const t0 = performance.now();
  const proc = supervise(
    `bench-bridge-${n}`,
    process.execPath,
    [...nodeArgs, BRIDGE_MAIN, '--config-file', props],
    {
      logFile: join(dir, `bridge-${n}.log`),
      env: { ...process.env, ...env },
    },
  );
  for (;;) {
    try {
      if ((await fetch(`${url}/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - t0 > 20_000) {
      await proc.stop();
      throw new Error(`bridge not ready after 20 s: ${proc.logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return { url, proc, readyMs: performance.now() - t0 };
}

function runAutocannon(url: string, connections: number, duration: number): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
        body: BODY,
        connections,
        pipelining: 1,
        duration,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

/**
 * The baseline: node-rdkafka in this process with the bridge's settings. `run(clients, s)` has
 * `clients` loops each send 100 records and await their 100 delivery reports, for `s` seconds.
 */
async function directProducer(kafka: KafkaState, topic: string) {
  const p: Producer = new Kafka.Producer(
    { 'bootstrap.servers': kafka.plaintext, dr_cb: true } as never,
    { acks: '1', partitioner: 'murmur2_random' } as never,
  );
  await new Promise<void>((resolve, reject) => p.connect({}, (err) => (err ? reject(err) : resolve())));
  p.on('delivery-report', (err, report) => {
    (report.opaque as (e: unknown) => void)(err);
  });
  p.setPollInterval(2);
  let delivered = 0;
  let failed = 0;
  const batch = () =>
    Promise.all(
      Array.from(
        { length: RECORDS_PER_REQUEST },
        () =>
          new Promise<void>((resolve) => {
            p.produce(topic, null, VALUE_BYTES, null, null, ((err: unknown) => {
              if (err) failed++;
              else delivered++;
              resolve();
            }) as never);
          }),
      ),
    );
  await batch(); // warm-up: connections, metadata
  return {
    /** Records/s, and CPU µs per record of this process (librdkafka's threads included). */
    async run(clients: number, seconds: number): Promise<{ recordsPerS: number; cpuUsPerRecord: number }> {
      delivered = 0;
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      const end = start + seconds * 1000;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (performance.now() < end) await batch();
        }),
      );
      if (failed > 0) throw new Error(`direct producer: ${failed} records failed`);
      const cpu = process.cpuUsage(cpu0);
      return {
        recordsPerS: delivered / ((performance.now() - start) / 1000),
        cpuUsPerRecord: (cpu.user + cpu.system) / delivered,
      };
    },
    close: () => new Promise<void>((resolve) => p.disconnect(() => resolve())),
  };
}

export async function benchProducer(stack: StackState): Promise<ProducerBenchFigures & { markdown: string }> {
  const kafka = stack.kafka;
  if (!kafka) throw new Error('the producer benchmark needs Kafka (stack.js run --kafka)');
  const topic = `bench-producer-${Math.random().toString(36).slice(2, 8)}`;
  await createTopic(kafka, topic, 3);
  const dir = mkdtempSync(join(tmpdir(), 'bench-producer-'));

  // Start-up: spawn to /ready, several times (the first start also warms the page cache).
  const readies: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const b = await spawnBridge(kafka, dir, i);
    readies.push(b.readyMs);
    await b.proc.stop();
  }

  const bridge = await spawnBridge(kafka, dir, 99);
  const pid = bridge.proc.child.pid!;
  const readyRss = rssSplit(pid);
  // The floor settles meanwhile; both are idle, so neither disturbs the other's figure.
  const floor = floorRss(kafka, dir);
  const figures: ProducerBenchFigures = {
    startToReadyMs: { min: Math.min(...readies), median: median(readies), max: Math.max(...readies) },
    idleRssMiB: 0,
    idleRss: { total: 0, anon: 0, file: 0 },
    readyRss,
    floorRss: { total: 0, anon: 0, file: 0 },
    loadRssMiB: 0,
    bridge: {},
    direct: {},
    ratio: {},
  };
  try {
    // Idle: started, producer connected, no request yet, start-up garbage compacted.
    (figures as { idleRss: ProducerBenchFigures['idleRss'] }).idleRss = await idleRss(pid);
    (figures as { idleRssMiB: number }).idleRssMiB = figures.idleRss.total;
    (figures as { floorRss: ProducerBenchFigures['floorRss'] }).floorRss = await floor;
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(pid));
    }, 250);
    const url = `${bridge.url}/topics/${topic}`;
    await runAutocannon(url, 8, 2); // warm-up: JIT, connections, ajv compile
    const direct = await directProducer(kafka, topic);
    try {
      // Bridge and baseline alternate, ROUNDS times each, so load from elsewhere on a shared
      // machine hits both alike; each figure is the median of its rounds.
      for (const c of CLIENTS) {
        const b: ProducerBenchFigures['bridge'][number][] = [];
        const d: ProducerBenchFigures['direct'][number][] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const cpu0 = cpuMicros(pid);
          const r = await runAutocannon(url, c, DURATION_S);
          b.push({
            recordsPerS: (r['2xx'] * RECORDS_PER_REQUEST) / r.duration,
            p50Ms: r.latency.p50,
            p99Ms: r.latency.p99,
            failures: r.non2xx + r.errors,
            cpuUsPerRecord: (cpuMicros(pid) - cpu0) / (r['2xx'] * RECORDS_PER_REQUEST),
          });
          d.push(await direct.run(c, DURATION_S));
        }
        const mid = [...b].sort((x, y) => x.recordsPerS - y.recordsPerS)[Math.floor(b.length / 2)]!;
        const directRate = median(d.map((x) => x.recordsPerS));
        figures.bridge[c] = {
          ...mid,
          failures: b.reduce((n, x) => n + x.failures, 0),
          cpuUsPerRecord: median(b.map((x) => x.cpuUsPerRecord)),
        };
        figures.direct[c] = {
          recordsPerS: directRate,
          cpuUsPerRecord: median(d.map((x) => x.cpuUsPerRecord)),
        };
        figures.ratio[c] = mid.recordsPerS / directRate;
      }
    } finally {
      await direct.close();
    }
    clearInterval(sampler);
    (figures as { loadRssMiB: number }).loadRssMiB = peak;
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    const recordErrors = new RegExp(`strimzi_bridge_producer_record_errors_total\\{topic="${topic}"`).test(
      metrics,
    );
    if (recordErrors) throw new Error('the bridge answered per-record errors during the benchmark');
  } finally {
    await bridge.proc.stop();
  }

  const f = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const split = (r: { total: number; anon: number; file: number }) =>
    `${f(r.total, 1)} MiB = ${f(r.anon, 1)} + ${f(r.file, 1)}`;
  const { env, nodeArgs } = launch();
  const launchText =
    [...Object.entries(env).map(([k, v]) => `\`${k}=${v}\``), ...nodeArgs.map((a) => `\`${a}\``)].join(
      ', ',
    ) || 'none';
  const rows = CLIENTS.map(
    (c) =>
      `| ${c} | ${f(figures.bridge[c]!.recordsPerS)} | ${f(figures.bridge[c]!.p50Ms, 1)} / ${f(figures.bridge[c]!.p99Ms, 1)} | ${f(figures.direct[c]!.recordsPerS)} | **${f(figures.ratio[c]!, 2)}** | ${f(figures.bridge[c]!.cpuUsPerRecord, 1)} / ${f(figures.direct[c]!.cpuUsPerRecord, 1)} |`,
  );
  const markdown = [
    '### Bridge producer (issue 3)',
    '',
    `\`node dist/tests/infra/stack.js run --kafka -- node dist/bench/bridge-producer.js\`: json embedded format, ${RECORDS_PER_REQUEST} records of ~1 KiB per request, keep-alive, acks=1, ${ROUNDS} alternating rounds of ${DURATION_S} s per point (medians), one broker (PLAINTEXT), 3 partitions. The direct baseline is node-rdkafka in one process with the same settings; each of its "clients" sends 100 records and waits for their delivery reports, as an HTTP client waits for its response. CPU per record is utime + stime of the whole process (every thread) over a round, median of the rounds: the bridge's, and the benchmark process's while only the direct producer runs in it.`,
    '',
    '| clients | bridge records/s | request p50 / p99 ms | direct node-rdkafka records/s | ratio (target ≥ 0.7 at 8) | CPU µs per record, bridge / direct |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `| bridge RSS idle, ${IDLE_SETTLE_S}–${IDLE_SETTLE_S + IDLE_SAMPLES - 1} s after /ready, median (target < 64 MiB): total = private + file-backed | right after /ready | floor: express + pino + connected producer, one request answered, same idle samples | bridge RSS peak under load | spawn → /ready 200 (target < 500 ms), median of ${STARTS} (min–max) |`,
    '|---:|---:|---:|---:|---:|',
    `| ${split(figures.idleRss)} | ${split(figures.readyRss)} | ${split(figures.floorRss)} | ${f(figures.loadRssMiB, 1)} MiB | ${f(figures.startToReadyMs.median)} ms (${f(figures.startToReadyMs.min)}–${f(figures.startToReadyMs.max)}) |`,
    '',
    `Launch settings, the sidecar's (main.js's shebang): ${launchText}. Idle is measured once V8's memory reducer has compacted the start-up garbage (8 to ~20 s after start), as a sidecar sits in its pod; right after /ready the heap still holds it. File-backed RSS is mostly the pages of the \`node\` executable and shared libraries that were executed: clean, shared with every other process running the same binary, and reclaimable; the private part is what this process costs on its own.`,
  ].join('\n');
  return { ...figures, markdown };
}

if (isEntryPoint(import.meta.url)) {
  benchProducer(loadStack()).then(
    (r) => {
      process.stdout.write(`${r.markdown}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
