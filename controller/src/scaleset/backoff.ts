import type { Sleep } from '../shared/abortable-sleep.ts';

export { abortableSleep, type Sleep } from '../shared/abortable-sleep.ts';

export type BackoffOptions = { initialMs?: number; maxMs?: number; random?: () => number };

/**
 * The wait before retry number `failures` (1, 2, ...): doubling from `initialMs` up to `maxMs`,
 * with up to 20 % taken off at random so that many listeners failing together spread out.
 */
export function backoffDelay(failures: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1_000;
  const max = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 - 0.2 * random()));
}

/** A cheap request that tells whether the service answers at all (any status but 5xx/429). */
export type Probe = (signal: AbortSignal) => Promise<'answered' | 'unreachable'>;

/**
 * How long after a probe the next one starts, for a service down for `downForMs`: `everyMs`
 * (200 ms) in the first minute of an outage, doubling each minute after, up to `maxMs` (5 s). A
 * service back from a short outage is found within a fifth of a second; one down for an hour
 * costs about 1,300 probes, not 18,000.
 */
export function probeInterval(downForMs: number, everyMs = 200, maxMs = 5_000): number {
  return Math.min(maxMs, everyMs * 2 ** Math.floor(Math.max(0, downForMs) / 60_000));
}

export type RetryWait = {
  /** Consecutive failures so far, this one included (1, 2, ...). */
  failures: number;
  /** The failure was the service's (no answer, 5xx, 429): it was seen down. */
  outage: boolean;
  /** The wait before this failure was ended by a probe. */
  afterProbe: boolean;
  /** Since when the service has been failing (epoch ms): sets the probes' pace. */
  downSince: number;
  now: () => number;
  probe: Probe;
  sleep: Sleep;
  signal: AbortSignal;
  backoff?: BackoffOptions | undefined;
  /** The probes' pace in the first minute of an outage (probeInterval); 200 ms. */
  probeEveryMs?: number | undefined;
};

/**
 * Waits before retrying a call the service failed: at most the backoff for `failures`, and no
 * longer than it takes a probe to find the service answering again after it was seen down.
 * Probes start at `probeInterval`'s pace (one that hangs does not hold the next back); the
 * first answer ends the wait once a probe of this wait found the service unreachable, or at
 * once when the failure was an outage, unless the wait before it was itself ended by a probe: a
 * call that fails again right after a probe answered fails on its own (one route of the service
 * broken), and waits out its backoff instead of being retried at the probes' pace.
 */
export function waitToRetry(wait: RetryWait): Promise<'probe' | 'backoff' | 'aborted'> {
  const local = new AbortController();
  const stop = AbortSignal.any([wait.signal, local.signal]);
  let seenDown = wait.outage && !wait.afterProbe;
  return new Promise((resolve) => {
    const finish = (how: 'probe' | 'backoff' | 'aborted') => {
      if (local.signal.aborted) return;
      local.abort();
      resolve(how);
    };
    void wait
      .sleep(backoffDelay(wait.failures, wait.backoff), stop)
      .then(() => finish(wait.signal.aborted ? 'aborted' : 'backoff'));
    void (async () => {
      for (;;) {
        const pace = probeInterval(wait.now() - wait.downSince, wait.probeEveryMs);
        await wait.sleep(pace, stop);
        if (stop.aborted) return;
        void wait.probe(stop).then(
          (result) => {
            if (result === 'unreachable') seenDown = true;
            else if (seenDown) finish('probe');
          },
          () => {
            seenDown = true;
          },
        );
      }
    })();
  });
}
