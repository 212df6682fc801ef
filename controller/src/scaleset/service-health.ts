import type { AdminConnection } from './admin-connection.ts';
import { abortableSleep, probeInterval, type Probe } from './backoff.ts';

/** Any answer but a 5xx or 429 shows the service is there. */
export const isServiceAnswer = (status: number): boolean => status < 500 && status !== 429;

/**
 * What an Actions client last saw of the service: answering, or failing (no answer, 5xx, 429)
 * since when. A registration waits while it fails (`whenAnswering`), probing it, instead of
 * failing once more: each failed registration backs its pool off (reconcile/pool-health.ts),
 * and after an outage that backoff would outlast the outage itself.
 */
export function createServiceHealth(now: () => number) {
  let downSince: number | undefined;
  let waiters = 0;
  let probing = false;
  /** Resolved by the next answer: what waiters wait for. */
  let back: { promise: Promise<void>; resolve: () => void } | undefined;

  const answered = () => {
    downSince = undefined;
    back?.resolve();
    back = undefined;
  };
  const failed = () => {
    downSince ??= now();
  };

  /**
   * Probes until the service answers (whoever sees it) or nobody waits any more; a probe that
   * hangs (until its own bound) does not hold the next back.
   */
  async function probeUntilAnswering(probe: Probe): Promise<void> {
    const never = new AbortController().signal;
    probing = true;
    try {
      while (downSince !== undefined && waiters > 0) {
        await abortableSleep(probeInterval(now() - downSince), never);
        if (downSince !== undefined && waiters > 0) void probe(never).catch(() => undefined);
      }
    } finally {
      probing = false;
    }
  }

  return {
    answered,
    failed,
    downSince: (): number | undefined => downSince,

    /**
     * A fetch that records what the service answered. Give it the bounded fetch: a call that
     * times out is a failure, one its caller aborted is not.
     */
    observe(doFetch: typeof fetch): typeof fetch {
      return async (input, init) => {
        try {
          const response = await doFetch(input, init);
          if (isServiceAnswer(response.status)) answered();
          else failed();
          return response;
        } catch (error) {
          if (!init?.signal?.aborted) failed();
          throw error;
        }
      };
    },

    /**
     * Resolves at once while the service answers; else at its next answer to this client, which
     * a probe every `probeInterval` (one loop for every waiter) asks for. Rejects when `signal`
     * aborts.
     */
    async whenAnswering(probe: Probe, signal?: AbortSignal): Promise<void> {
      if (downSince === undefined) return;
      signal?.throwIfAborted();
      back ??= nextAnswer();
      const answer = back.promise;
      waiters += 1;
      if (!probing) void probeUntilAnswering(probe);
      try {
        await untilAborted(answer, signal);
      } finally {
        waiters -= 1;
      }
    },
  };
}

function nextAnswer(): { promise: Promise<void>; resolve: () => void } {
  const answer: { promise?: Promise<void>; settle?: () => void } = {};
  answer.promise = new Promise<void>((done) => {
    answer.settle = done;
  });
  return { promise: answer.promise, resolve: () => answer.settle?.() };
}

/** `work`, or its rejection with the signal's reason once the signal aborts. */
function untilAborted(work: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const aborted = () => reject(new Error('aborted while waiting for the Actions service'));
    signal.addEventListener('abort', aborted, { once: true });
    void work.then(() => {
      signal.removeEventListener('abort', aborted);
      resolve();
    });
  });
}

export type ServiceHealth = ReturnType<typeof createServiceHealth>;

/**
 * Whether the service answers at all: `GET` of the scale set (or of the runner groups before one
 * is known) with the last admin token, never exchanging one (which would cost a registration
 * token from GitHub's REST API). Any answer but a 5xx or 429 counts, a 401 included; none
 * within the bound of `doFetch` does not. Never throws.
 */
export function createProbe(admin: Pick<AdminConnection, 'last'>, doFetch: typeof fetch) {
  return async (scaleSetId: number | undefined, signal?: AbortSignal) => {
    const known = admin.last();
    if (!known) return 'unreachable' as const;
    const base = known.serviceUrl.endsWith('/') ? known.serviceUrl : `${known.serviceUrl}/`;
    const path =
      scaleSetId === undefined
        ? '_apis/runtime/runnergroups/'
        : `_apis/runtime/runnerscalesets/${scaleSetId}`;
    const url = new URL(path, base);
    url.searchParams.set('api-version', '6.0-preview');
    try {
      const response = await doFetch(url, {
        headers: { authorization: `Bearer ${known.token}`, accept: 'application/json' },
        ...(signal ? { signal } : {}),
      });
      await response.body?.cancel();
      return isServiceAnswer(response.status) ? ('answered' as const) : ('unreachable' as const);
    } catch {
      return 'unreachable' as const;
    }
  };
}
