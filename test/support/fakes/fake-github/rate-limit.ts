export interface RateLimit {
  /** Counts one request; returns false when the window is used up. */
  consume: () => boolean;
  exhausted: () => boolean;
  headers: () => Record<string, string>;
  exhaust: (resetInSeconds: number) => void;
  reset: () => void;
  snapshot: () => { limit: number; remaining: number; reset: number; used: number };
}

/** A primary ("core") rate limit with an hourly window, as GitHub keeps one per token. */
export function createRateLimit(limit: number, now: () => number = Date.now): RateLimit {
  let used = 0;
  let resetAt = 0;
  const roll = () => {
    if (now() >= resetAt * 1000) {
      used = 0;
      resetAt = Math.ceil(now() / 1000) + 3600;
    }
  };
  const snapshot = () => {
    roll();
    return { limit, remaining: Math.max(0, limit - used), reset: resetAt, used };
  };
  return {
    consume() {
      roll();
      if (used >= limit) return false;
      used += 1;
      return true;
    },
    exhausted: () => snapshot().remaining === 0,
    headers() {
      const s = snapshot();
      return {
        'x-ratelimit-limit': String(s.limit),
        'x-ratelimit-remaining': String(s.remaining),
        'x-ratelimit-reset': String(s.reset),
        'x-ratelimit-used': String(s.used),
        'x-ratelimit-resource': 'core',
      };
    },
    exhaust(resetInSeconds) {
      used = limit;
      resetAt = Math.ceil(now() / 1000) + resetInSeconds;
    },
    reset() {
      resetAt = 0;
      roll();
    },
    snapshot,
  };
}
