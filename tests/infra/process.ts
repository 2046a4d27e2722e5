import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** A child process whose output goes to a log file, started in its own process group so it can be reaped whole. */
export interface Supervised {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has gone. */
  readonly exited: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
  logTail(lines?: number): string;
}

const live = new Set<Supervised>();

export function supervise(
  name: string,
  command: string,
  args: readonly string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Supervised {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (err) => {
      done = true;
      resolve(`spawn error: ${err.message}`);
    });
  });
  const s: Supervised = {
    name,
    child,
    logFile: opts.logFile,
    exited,
    async stop(graceMs = 10_000) {
      live.delete(s);
      if (done || child.pid === undefined) return;
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // The group may hold grandchildren that outlived the leader.
      signalGroup(child.pid, 'SIGKILL');
    },
    logTail(lines = 40) {
      return tail(opts.logFile, lines);
    },
  };
  live.add(s);
  return s;
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

export function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Stops everything `supervise` started that is still running (last started, first stopped). */
export async function stopAll(): Promise<void> {
  for (const s of [...live].reverse()) await s.stop();
}

/**
 * Polls `probe` until it returns true. Fails fast, with the log tail, if the process exits,
 * and after `timeoutMs` otherwise: a component that never becomes ready is an error, never a hang.
 */
export async function waitUntilReady(
  s: Supervised,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | undefined;
  void s.exited.then((c) => {
    exitedWith = c;
  });
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) {
      throw new Error(
        `${s.name} exited (${exitedWith}) before it was ready. Log tail (${s.logFile}):\n${s.logTail()}`,
      );
    }
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${s.name} was not ready after ${timeoutMs} ms. Log tail (${s.logFile}):\n${s.logTail()}`);
}
