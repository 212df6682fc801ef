import type { Logger } from 'pino';
import type { Attempt } from '../github/create-octokit.ts';
import type { Reachability } from '../github/reachability.ts';
import type { Metrics } from './metrics.ts';

const LOW_RATE_LIMIT = 100;

/**
 * Everything learnt from one GitHub HTTP attempt of a credential: reachability, request counts, and the rate
 * limit left (a gauge, plus a log line each time it falls past a thousand, a warning when low).
 */
export function observeAttempts(
  credential: string,
  reach: Reachability,
  metrics: Metrics,
  log: Logger,
) {
  let lastRemaining: number | undefined;
  return (attempt: Attempt): void => {
    reach.record(attempt);
    const status = attempt.status === undefined ? 'none' : `${Math.floor(attempt.status / 100)}xx`;
    metrics.githubRequests.inc({ credential, status });
    if (attempt.secondaryLimit) metrics.secondaryLimits.inc({ credential });
    const remaining = attempt.rateLimitRemaining;
    if (remaining === undefined) return;
    metrics.rateLimitRemaining.set({ credential }, remaining);
    const previous = lastRemaining;
    lastRemaining = remaining;
    if (previous === undefined || remaining >= previous) return;
    if (remaining < LOW_RATE_LIMIT && previous >= LOW_RATE_LIMIT) {
      log.warn({ remaining }, 'github rate limit nearly used up');
    } else if (Math.floor(remaining / 1000) < Math.floor(previous / 1000)) {
      log.info({ remaining }, 'github rate limit remaining');
    }
  };
}
