import type { LoggerOptions } from 'pino';
import { CENSOR, redactNested, SECRET_FIELDS } from './redact.ts';
import { serializeError } from './serialize-error.ts';

/** The controller's pino options: secrets redacted, errors reduced to what explains them. */
export function logOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: [...SECRET_FIELDS], censor: CENSOR },
    formatters: { log: redactNested },
    serializers: { err: (error: unknown) => serializeError(error) },
  };
}
