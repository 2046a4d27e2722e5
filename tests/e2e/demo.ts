#!/usr/bin/env node
/**
 * `make demo`: the scenario of SCENARIO.md, narrated. Runs under tests/infra/stack.ts, which starts
 * Kafka and kube-apiserver and stops them afterwards (also on Ctrl-C).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadStack } from '../infra/state.js';
import { type Narrator, type RunningScenario, runScenario } from './scenario.js';

const started = Date.now();
const say = (s: string) => process.stdout.write(`${s}\n`);
const narrator: Narrator = {
  step: (title) => say(`\n== ${title}  (+${((Date.now() - started) / 1000).toFixed(1)} s)`),
  line: (text) => say(`   ${text}`),
  yaml: (title, value) => {
    say(`   ${title}:`);
    for (const l of stringify(value).trimEnd().split('\n')) say(`     ${l}`);
  },
};

const workDir = mkdtempSync(join(tmpdir(), 'demo-'));
let scenario: RunningScenario | undefined;
let stopping = false;
async function finish(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await scenario?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  process.exit(code);
}
process.once('SIGINT', () => void finish(130));
process.once('SIGTERM', () => void finish(143));

try {
  scenario = await runScenario(loadStack(), narrator, workDir);
  say(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Everything started here is being stopped.`);
  await finish(0);
} catch (err) {
  say(`\nThe demo failed: ${(err as Error).message}`);
  await finish(1);
}
