type SerializedError = {
  type: string;
  message: string;
  stack?: string;
  status?: number;
  statusCode?: number;
  code?: string;
  cause?: SerializedError;
};

const MAX_CAUSES = 5;

/**
 * Errors as log fields, keeping only what says what went wrong. Octokit's RequestError carries
 * the whole request (a hook's secret in its body, say) and response; Docker's errors carry
 * request options. Listing what is kept, rather than what is removed, keeps secrets out.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const fields = error as Error & { status?: unknown; statusCode?: unknown; code?: unknown };
  return {
    type: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(typeof fields.status === 'number' ? { status: fields.status } : {}),
    ...(typeof fields.statusCode === 'number' ? { statusCode: fields.statusCode } : {}),
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
    ...(error.cause !== undefined && depth < MAX_CAUSES
      ? { cause: serializeError(error.cause, depth + 1) }
      : {}),
  };
}
