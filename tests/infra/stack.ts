#!/usr/bin/env node
/**
 * Starts the real components a test run needs, hands their addresses to a command through a state file,
 * and stops every one of them afterwards, whatever happens to the command.
 *
 *   node dist/tests/infra/stack.js run [--kafka] [--kube] -- <cmd...>   run <cmd> with STACK_STATE set
 *   node dist/tests/infra/stack.js up  [--kafka] [--kube]               keep the stack up until Ctrl-C
 *
 * KEEP_STACK=1 keeps the run directory (logs, certificates, data) instead of removing it at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { startKafka } from './kafka.js';
import { startKube, toolsState } from './kube.js';
import { newRunDir } from './paths.js';
import { stopAll } from './process.js';
import type { KafkaState, KubeState, StackState } from './state.js';

interface Started<S> {
  readonly state: S;
  stop(): Promise<void>;
}

type Component = 'kafka' | 'kube';

interface Args {
  readonly mode: 'run' | 'up';
  readonly components: ReadonlySet<Component>;
  readonly command: readonly string[];
}

const USAGE = `usage: stack.js run [--kafka] [--kube] -- <command...>
       stack.js up  [--kafka] [--kube]`;

export function parseArgs(argv: readonly string[]): Args {
  const [mode, ...rest] = argv;
  if (mode !== 'run' && mode !== 'up') throw new Error(`first argument must be 'run' or 'up'\n${USAGE}`);
  const dashes = rest.indexOf('--');
  const flags = dashes === -1 ? rest : rest.slice(0, dashes);
  const command = dashes === -1 ? [] : rest.slice(dashes + 1);
  const components = new Set<Component>();
  for (const f of flags) {
    if (f === '--kafka') components.add('kafka');
    else if (f === '--kube') components.add('kube');
    else throw new Error(`unknown option '${f}': allowed are --kafka and --kube\n${USAGE}`);
  }
  if (mode === 'run' && splitAssignments(command).argv.length === 0) {
    throw new Error(`'run' needs a command after '--'\n${USAGE}`);
  }
  if (mode === 'up' && command.length > 0) throw new Error(`'up' takes no command\n${USAGE}`);
  return { mode, components, command };
}

/**
 * Leading `NAME=value` words are environment settings, as in a shell or env(1): the Makefile passes
 * `NODE_OPTIONS=--experimental-vm-modules node_modules/.bin/jest ...` as the command.
 */
export function splitAssignments(command: readonly string[]): {
  assignments: Record<string, string>;
  argv: string[];
} {
  const assignments: Record<string, string> = {};
  let i = 0;
  for (; i < command.length; i++) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(command[i]!);
    if (!m) break;
    assignments[m[1]!] = m[2]!;
  }
  return { assignments, argv: command.slice(i) };
}

function say(line: string): void {
  process.stderr.write(`stack: ${line}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function timed<S>(name: string, start: () => Promise<Started<S>>, what: (s: S) => string) {
  const t0 = Date.now();
  const started = await start();
  say(`${name} ready in ${seconds(Date.now() - t0)} (${what(started.state)})`);
  return started;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    say((err as Error).message);
    return 2;
  }

  const runDir = newRunDir();
  const stops: Array<() => Promise<void>> = [];
  let child: ChildProcess | undefined;
  let signalled: NodeJS.Signals | undefined;
  let wakeUp: () => void = () => {};
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      // A second Ctrl-C: the command did not end on the first, so end it.
      if (child && child.exitCode === null && child.signalCode === null) {
        say(`${sig} again: killing the command`);
        child.kill('SIGKILL');
      }
      return;
    }
    signalled = sig;
    if (child) {
      // The child decides how to end; we tear down once it has.
      child.kill(sig);
    } else {
      say(`${sig}: stopping`);
      // Still starting: end the components now so their readiness waits fail at once instead of running out.
      void stopAll();
      wakeUp();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let code = 0;
  try {
    const [kafka, kubeStarted] = await settleAll(
      [
        args.components.has('kafka')
          ? timed<KafkaState>(
              'kafka',
              () => startKafka(runDir),
              (s) => `plaintext ${s.plaintext}, ssl ${s.ssl}`,
            )
          : undefined,
        args.components.has('kube')
          ? timed<KubeState>(
              'kube',
              () => startKube(runDir),
              (s) => `${s.server}, ${s.version}`,
            )
          : undefined,
      ] as const,
      stops,
    );
    if (signalled) return exitCodeFor(signalled);

    const state: StackState = {
      runDir,
      ...(kafka ? { kafka: kafka.state } : {}),
      ...(kubeStarted ? { kube: kubeStarted.state } : {}),
      // helm and kubectl work without an API server (`helm template`, `kubectl version --client`).
      tools: toolsState(),
    };
    const stateFile = join(runDir, 'stack.json');
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);

    if (args.mode === 'up') {
      say(`up; state file: ${stateFile}`);
      process.stdout.write(`${stateFile}\n`);
      say(`use it with: STACK_STATE=${stateFile} <command>; Ctrl-C stops the stack`);
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
      });
      return 0;
    }

    const { assignments, argv } = splitAssignments(args.command);
    const [cmd, ...cmdArgs] = argv as [string, ...string[]];
    child = spawn(cmd, cmdArgs, {
      stdio: 'inherit',
      env: { ...process.env, ...assignments, STACK_STATE: stateFile },
    });
    const started = child;
    code = await new Promise<number>((resolve) => {
      started.on('error', (err) => {
        say(`cannot run ${cmd}: ${err.message}`);
        resolve(127);
      });
      started.on('exit', (c, sig) => resolve(c ?? (sig ? exitCodeFor(sig) : 1)));
    });
    return code;
  } catch (err) {
    // After a signal the components' failures are the ones we caused: not worth printing.
    if (signalled) return exitCodeFor(signalled);
    say((err as Error).message);
    if (process.env.KEEP_STACK !== '1') say('the run directory is removed; KEEP_STACK=1 keeps its logs');
    return 1;
  } finally {
    const t0 = Date.now();
    await Promise.allSettled(stops.map((stop) => stop()));
    await stopAll();
    if (stops.length > 0) say(`stopped in ${seconds(Date.now() - t0)}`);
    if (process.env.KEEP_STACK === '1') say(`kept ${runDir} (KEEP_STACK=1)`);
    else rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * Awaits every start, registering each stop as soon as it is known so a component that did come up is
 * stopped even when another failed. Rejects with every failure's message once all have settled.
 */
async function settleAll<T extends readonly (Promise<Started<unknown>> | undefined)[]>(
  starts: T,
  stops: Array<() => Promise<void>>,
): Promise<{ [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(
    starts.map(async (p) => {
      const s = await p;
      if (s) stops.push(() => s.stop());
      return s;
    }),
  );
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    throw new Error(failures.map((f) => (f.reason as Error).message ?? String(f.reason)).join('\n'));
  }
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    [K in keyof T]: Awaited<T[K]>;
  };
}

function exitCodeFor(sig: NodeJS.Signals): number {
  return 128 + (constants.signals[sig] ?? 1);
}

const code = await main();
// node-rdkafka's native threads may keep the loop alive for a while after the last client is gone.
process.exit(code);
