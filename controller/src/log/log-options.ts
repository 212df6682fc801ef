import type { LoggerOptions } from 'pino';
import { redactPaths } from './redact.ts';
import { serializeError } from './serialize-error.ts';

/** The controller's pino options: secrets redacted, errors reduced to what explains them. */
export function logOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: (error: unknown) => serializeError(error) },
  };
}
