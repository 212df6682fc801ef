import { RequestError } from '@octokit/request-error';

export type RetryLimits = {
  /** Tries again after a rate limit (primary or secondary). */
  rateLimitRetries: number;
  /** Tries again after a 5xx or no answer. */
  serverRetries: number;
};

export const RETRY_LIMITS: RetryLimits = { rateLimitRetries: 3, serverRetries: 3 };

export type Retry = {
  kind: 'primary' | 'secondary' | 'server';
  /** How long GitHub asked to wait, or the backoff (ms). */
  waitMs: number;
};

const SECONDARY_FALLBACK_MS = 60_000;
const PRIMARY_FALLBACK_MS = 60_000;

/** Which of GitHub's rate limits an answer reports, and how long GitHub asked to wait (ms). */
export type RateLimit = { kind: 'primary' | 'secondary'; waitMs: number | undefined };

/**
 * What a 403 or 429 says of GitHub's rate limits, as GitHub documents them: a `retry-after` (a
 * secondary limit), a primary limit used up until `x-ratelimit-reset` (no time when the header is
 * missing), or a secondary limit that names no time (wait a minute, GitHub advises).
 */
export function rateLimitOf(
  status: number,
  header: (name: string) => string | null | undefined,
  message: string,
  now: number,
): RateLimit | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const after = header('retry-after');
  if (after != null && Number.isFinite(Number(after))) {
    return { kind: 'secondary', waitMs: Number(after) * 1000 };
  }
  if (header('x-ratelimit-remaining') === '0') {
    const reset = header('x-ratelimit-reset');
    const at = reset == null ? Number.NaN : Number(reset) * 1000;
    return { kind: 'primary', waitMs: Number.isFinite(at) ? Math.max(0, at - now) : undefined };
  }
  if (/secondary rate limit/i.test(message)) {
    return { kind: 'secondary', waitMs: SECONDARY_FALLBACK_MS };
  }
  return undefined;
}

/**
 * Whether a failed request is tried again, and after how long: rate limits as GitHub documents
 * them (`retry-after`, `x-ratelimit-reset`, a minute for a secondary limit that names no time),
 * server errors and lost answers after 1, 4 and 9 s. Everything else (a 304, a 404, a refusal,
 * a request aborted at shutdown) is the caller's to handle.
 */
export function retryAfter(
  error: unknown,
  attempt: number,
  now: number,
  limits: RetryLimits = RETRY_LIMITS,
): Retry | undefined {
  if (!(error instanceof Error) || error.name === 'AbortError') return undefined;
  if (!(error instanceof RequestError)) return undefined;
  const status = error.status;
  if (status >= 500) {
    if (attempt >= limits.serverRetries) return undefined;
    return { kind: 'server', waitMs: (attempt + 1) ** 2 * 1000 };
  }
  const headers = error.response?.headers ?? {};
  const header = (name: string) => {
    const value = headers[name];
    return value === undefined ? undefined : String(value);
  };
  const limit = rateLimitOf(status, header, error.message, now);
  if (!limit || attempt >= limits.rateLimitRetries) return undefined;
  return { kind: limit.kind, waitMs: limit.waitMs ?? PRIMARY_FALLBACK_MS };
}
