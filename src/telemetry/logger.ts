/**
 * Structured logs: pino, JSON lines on stderr (stdout may carry the stdio MCP front).
 *
 * Secrets are kept out by construction — headers and env values of upstream configs are never
 * logged — and, as a second line of defence, by redaction of the usual places.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, stream: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    {
      name: 'switchyard',
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'headers',
          '*.headers',
          'env',
          '*.env',
          'token',
          '*.token',
          'authorization',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
    },
    stream,
  );
}

/** A logger that drops everything (library embedding without logs, tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
