import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * JSON lines on stdout (or `destination`), ISO timestamps, one `component` field to grep for.
 * Stdout is written asynchronously: a synchronous write per admission line costs a syscall on the
 * request path, and under load lines written while one write is in flight go out together. pino
 * flushes what is buffered synchronously when the process exits (process.exit included).
 */
export function createLogger(
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { component: 'bridge-injector' },
    timestamp: isoTimeOncePerMs,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

// pino's isoTime formats a Date for every line; under load several admissions are logged within one
// millisecond, and they can share the text.
let lastMs = -1;
let lastText = '';
function isoTimeOncePerMs(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastText = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastText;
}

export type { Logger };
