import { type DestinationStream, type Logger, pino } from 'pino';

/** JSON lines on stdout (or `destination`), ISO timestamps, one `component` field to grep for. */
export function createLogger(
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { component: 'bridge-injector' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
