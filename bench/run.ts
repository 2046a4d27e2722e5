#!/usr/bin/env node
/**
 * `make bench`: every benchmark in one run, each beside its baseline measured in the same run, on the
 * stack tests/infra/stack.ts started (Kafka and kube-apiserver). Writes bench/RESULTS.md.
 *   make bench                 all of them
 *   BENCH_ONLY=webhook make bench
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStack, type StackState } from '../tests/infra/state.js';

interface Bench {
  readonly name: string;
  readonly module: string;
  readonly fn: string;
}

// Each module exports `fn(stack)` resolving to an object with a `markdown` section.
const BENCHES: readonly Bench[] = [
  { name: 'producer', module: './bridge-producer.js', fn: 'benchProducer' },
  { name: 'consumer', module: './bridge-consumer.js', fn: 'benchConsumer' },
  { name: 'webhook', module: './webhook.js', fn: 'benchWebhook' },
];

const here = dirname(fileURLToPath(import.meta.url));
const only = process.env.BENCH_ONLY?.split(',');
const stack: StackState = loadStack();
const sections: string[] = [];
let failed = 0;
for (const b of BENCHES) {
  if (only && !only.includes(b.name)) continue;
  process.stdout.write(`bench: ${b.name}...\n`);
  const t0 = Date.now();
  try {
    const mod = (await import(b.module)) as Record<string, (s: StackState) => Promise<{ markdown: string }>>;
    const result = await mod[b.fn]!(stack);
    sections.push(result.markdown.trim());
    process.stdout.write(`${result.markdown.trim()}\n(${((Date.now() - t0) / 1000).toFixed(0)} s)\n\n`);
  } catch (err) {
    failed++;
    const msg = `### ${b.name}\n\nfailed: ${(err as Error).message}`;
    sections.push(msg);
    process.stderr.write(`${msg}\n`);
  }
}

const header = [
  '# Benchmark results',
  '',
  `Produced by \`make bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}. The load generator shares the cores with what it measures; each figure stands beside its baseline from the same run, so read the ratios.`,
  '',
];
if (!only)
  writeFileSync(join(here, '../../bench/RESULTS.md'), `${header.join('\n')}\n${sections.join('\n\n')}\n`);
process.exit(failed ? 1 : 0);
