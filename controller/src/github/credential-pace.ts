/**
 * GitHub's secondary rate limits, kept per credential (a token, or an App installation): GitHub
 * counts them per user or installation, never per process. Documented at
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
 */
export const GITHUB_SECONDARY_LIMITS = {
  concurrent: 100,
  /** REST: a GET, HEAD or OPTIONS costs 1 point, a POST, PATCH, PUT or DELETE 5. */
  pointsPerMinute: 900,
  /** "About 80" content-creating requests a minute. */
  contentPerMinute: 80,
} as const;

export type PaceLimits = {
  concurrent: number;
  pointsPerMinute: number;
  contentPerMinute: number;
};

/** What the controller allows itself: under GitHub's figures, so clock skew never tips it over. */
export const PACE_LIMITS: PaceLimits = {
  concurrent: 50,
  pointsPerMinute: 850,
  contentPerMinute: 76,
};

/** read: 1 point; write (DELETE): 5 points; content (POST, PATCH, PUT): 5 points and creates. */
export type RequestKind = 'read' | 'write' | 'content';

export function requestKind(method: string): RequestKind {
  const upper = method.toUpperCase();
  if (upper === 'GET' || upper === 'HEAD' || upper === 'OPTIONS') return 'read';
  return upper === 'DELETE' ? 'write' : 'content';
}

const POINTS: Record<RequestKind, number> = { read: 1, write: 5, content: 5 };
const WINDOW_MS = 60_000;
/** After a secondary-limit answer the rates halve, down to a quarter, and recover a quarter a minute. */
const MIN_FACTOR = 0.25;
const RECOVERY_PER_MINUTE = 0.25;

export type PaceState = {
  inFlight: number;
  waiting: number;
  pointsLastMinute: number;
  contentLastMinute: number;
  /** The share of the limits allowed now (1, or less after a secondary-limit answer). */
  factor: number;
  pausedForMs: number;
  penalties: number;
};

type Waiter = { kind: RequestKind; admit: (entries: Entry[]) => void };
/** A request in a window, from its admission until 60 s after its answer. */
type Entry = { at: number; points: number };

export type PaceDeps = {
  limits?: PaceLimits;
  now: () => number;
};

/**
 * Admits one credential's requests within its limits: concurrency, points and content-creating
 * requests in any 60 s (a sliding window), and a pause while GitHub asked to wait (`retry-after`).
 * Writes are admitted before reads that wait with them, so a resync never delays a registration.
 */
export class CredentialPace {
  readonly #limits: PaceLimits;
  readonly #now: () => number;
  /** Admission times and points, oldest first. */
  readonly #points: Entry[] = [];
  readonly #content: Entry[] = [];
  readonly #writes: Waiter[] = [];
  readonly #reads: Waiter[] = [];
  #pointsInWindow = 0;
  #inFlight = 0;
  #pausedUntil = 0;
  #penaltyFactor = 1;
  #penaltyAt = 0;
  #penalties = 0;
  #admitted = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: PaceDeps) {
    this.#limits = deps.limits ?? PACE_LIMITS;
    this.#now = deps.now;
  }

  /** Resolves when the request may go; call the returned function when it is answered. */
  acquire(kind: RequestKind): Promise<() => void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        kind,
        admit: (entries) => {
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            // GitHub counts the request when it arrives, some time after its admission here:
            // it stays in the windows until 60 s after its answer, which came after that.
            const answeredAt = this.#now();
            for (const entry of entries) entry.at = answeredAt;
            this.#inFlight -= 1;
            this.#drain();
          });
        },
      };
      (kind === 'read' ? this.#reads : this.#writes).push(waiter);
      this.#drain();
    });
  }

  /** GitHub answered a secondary limit: wait as long as it asked, then go on at half the rate. */
  penalize(retryAfterMs: number): void {
    const now = this.#now();
    this.#penaltyFactor = Math.max(MIN_FACTOR, this.factor() / 2);
    this.#penaltyAt = now;
    this.#penalties += 1;
    this.pause(retryAfterMs);
  }

  /** Sends nothing for `ms` (a primary limit used up until its reset, say). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
    this.#drain();
  }

  /** The share of the limits allowed now. */
  factor(): number {
    const minutes = (this.#now() - this.#penaltyAt) / WINDOW_MS;
    return Math.min(1, this.#penaltyFactor + RECOVERY_PER_MINUTE * Math.floor(minutes));
  }

  /** Requests admitted since the start. */
  get admitted(): number {
    return this.#admitted;
  }

  state(): PaceState {
    const now = this.#now();
    this.#prune(now);
    return {
      inFlight: this.#inFlight,
      waiting: this.#writes.length + this.#reads.length,
      pointsLastMinute: this.#pointsInWindow,
      contentLastMinute: this.#content.length,
      factor: this.factor(),
      pausedForMs: Math.max(0, this.#pausedUntil - now),
      penalties: this.#penalties,
    };
  }

  #prune(now: number): void {
    while (this.#points.length > 0 && (this.#points[0]?.at ?? now) <= now - WINDOW_MS) {
      this.#pointsInWindow -= this.#points.shift()?.points ?? 0;
    }
    while (this.#content.length > 0 && (this.#content[0]?.at ?? now) <= now - WINDOW_MS) {
      this.#content.shift();
    }
  }

  #fits(kind: RequestKind, now: number, ignoreContent = false): boolean {
    const factor = this.factor();
    if (this.#inFlight >= this.#limits.concurrent) return false;
    const points = Math.max(5, Math.floor(this.#limits.pointsPerMinute * factor));
    if (this.#pointsInWindow + POINTS[kind] > points) return false;
    const content = Math.max(1, Math.floor(this.#limits.contentPerMinute * factor));
    if (!ignoreContent && kind === 'content' && this.#content.length >= content) return false;
    return now >= this.#pausedUntil;
  }

  #drain(): void {
    const now = this.#now();
    this.#prune(now);
    // A write that waits for points (or a pause) holds back the reads behind it: each read that
    // leaves the window frees 1 point, and reads taking them would starve a write of its 5.
    let writeHeld = false;
    for (const queue of [this.#writes, this.#reads]) {
      if (queue === this.#reads && writeHeld) break;
      for (let i = 0; i < queue.length;) {
        const waiter = queue[i];
        if (!waiter) break;
        if (!this.#fits(waiter.kind, now)) {
          // Blocked by the content limit alone: a delete behind it may still go.
          if (waiter.kind === 'content' && this.#fits(waiter.kind, now, true)) {
            i += 1;
            continue;
          }
          if (queue === this.#writes) writeHeld = true;
          break;
        }
        queue.splice(i, 1);
        this.#inFlight += 1;
        this.#admitted += 1;
        const entries: Entry[] = [{ at: now, points: POINTS[waiter.kind] }];
        this.#points.push(entries[0] as Entry);
        this.#pointsInWindow += POINTS[waiter.kind];
        if (waiter.kind === 'content') {
          const content: Entry = { at: now, points: 0 };
          this.#content.push(content);
          entries.push(content);
        }
        waiter.admit(entries);
      }
    }
    this.#wakeLater(now);
  }

  /** When something waits for a window or a pause, looks again when that could have changed. */
  #wakeLater(now: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#writes.length + this.#reads.length === 0) return;
    const candidates = [
      this.#pausedUntil,
      (this.#points[0]?.at ?? Infinity) + WINDOW_MS,
      (this.#content[0]?.at ?? Infinity) + WINDOW_MS,
      // The factor recovers a step a minute after a penalty.
      this.factor() < 1
        ? this.#penaltyAt + WINDOW_MS * Math.ceil((now - this.#penaltyAt + 1) / WINDOW_MS)
        : Infinity,
    ].filter((at) => at > now);
    const next = Math.min(...candidates);
    if (!Number.isFinite(next)) return; // only the concurrency limit: a release drains
    this.#timer = setTimeout(() => this.#drain(), next - now + 1);
    this.#timer.unref();
  }
}
