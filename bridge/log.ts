/**
 * The bridge's logger: pino, one JSON object per line on stdout. Secrets never reach it: the
 * configuration is never logged whole, and any field whose name looks like a secret is redacted
 * even if a caller passes it by mistake.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

/** Setting names whose values must never be logged (librdkafka and Java-client spellings). */
const SECRET_KEY =
  /(password|secret|jaas|token|ssl\.key|key\.pem|certificate\.pem|ca\.pem|keystore|truststore|sasl\.oauthbearer)/i;

export function isSecretSetting(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A copy of a settings map safe to log: secret-looking values replaced by `[redacted]`. */
export function redactSettings(settings: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings)) out[k] = isSecretSetting(k) ? '[redacted]' : v;
  return out;
}

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: 'kafka-bridge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'password',
          '*.password',
          'settings.*',
          'config.kafka',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
