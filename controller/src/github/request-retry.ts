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
  if (status !== 403 && status !== 429) return undefined;
  if (attempt >= limits.rateLimitRetries) return undefined;
  const headers = error.response?.headers ?? {};
  const after = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(after)) {
    return { kind: 'secondary', waitMs: after * 1000 };
  }
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    return {
      kind: 'primary',
      waitMs: Number.isFinite(reset) ? Math.max(0, reset * 1000 - now) : 60_000,
    };
  }
  if (/secondary rate limit/i.test(error.message)) {
    return { kind: 'secondary', waitMs: SECONDARY_FALLBACK_MS };
  }
  return undefined;
}
