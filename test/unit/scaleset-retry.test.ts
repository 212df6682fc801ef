import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  abortableSleep,
  backoffDelay,
  probeInterval,
  waitToRetry,
  type Probe,
  type RetryWait,
} from '../../controller/src/scaleset/backoff.ts';
import { createServiceHealth } from '../../controller/src/scaleset/service-health.ts';

// The scale-set listener's waits on fake timers: how long a retry waits, and when a probe of
// the Actions service ends the wait early.

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

const noJitter = { random: () => 0 };

/** A service down until `backAt` (epoch ms): probes answer after 50 ms, or hang until then. */
function service(backAt: number, whileDown: 'unreachable' | 'hang' = 'unreachable') {
  const probes: number[] = [];
  const probe: Probe = (signal) => {
    probes.push(Date.now());
    return new Promise((resolve) => {
      if (Date.now() >= backAt) return void setTimeout(() => resolve('answered'), 50);
      if (whileDown === 'unreachable') return void setTimeout(() => resolve('unreachable'), 50);
      // A hung probe ends only when aborted (or its own bound, left out here).
      signal.addEventListener('abort', () => resolve('unreachable'), { once: true });
    });
  };
  return { probe, probes };
}

async function measure(wait: Partial<RetryWait> & Pick<RetryWait, 'probe'>) {
  const start = Date.now();
  const signal = wait.signal ?? new AbortController().signal;
  const ended = waitToRetry({
    failures: 1,
    outage: true,
    afterProbe: false,
    downSince: Date.now(),
    now: Date.now,
    sleep: abortableSleep,
    signal,
    backoff: noJitter,
    ...wait,
  });
  let result: Awaited<typeof ended> | undefined;
  void ended.then((value) => (result = value));
  for (let i = 0; i < 400 && result === undefined; i += 1) await vi.advanceTimersByTimeAsync(250);
  return { ended: result, tookMs: Date.now() - start };
}

describe('backoffDelay', () => {
  it('doubles from 1 s and stops at 30 s, less up to 20 % at random', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n, noJitter))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(backoffDelay(6, { random: () => 1 })).toBe(24_000);
    expect(backoffDelay(3, { initialMs: 100, maxMs: 250, ...noJitter })).toBe(250);
  });
});

describe('waitToRetry', () => {
  it('ends at the first probe that answers once the service is back, long before the backoff', async () => {
    const back = Date.now() + 5_000;
    const { probe, probes } = service(back);
    const { ended, tookMs } = await measure({ failures: 6, probe });
    expect(ended).toBe('probe');
    // A probe every 200 ms: the one at 5 s answers (+50 ms), not the backoff's 30 s.
    expect(tookMs).toBeGreaterThanOrEqual(5_000);
    expect(tookMs).toBeLessThanOrEqual(5_300);
    expect(probes).toHaveLength(25);
  });

  it('is not held back by probes that hang while the service is down', async () => {
    const back = Date.now() + 7_000;
    const { probe, probes } = service(back, 'hang');
    const { ended, tookMs } = await measure({ failures: 6, probe });
    expect(ended).toBe('probe');
    expect(tookMs).toBeLessThanOrEqual(7_300);
    // 34 hung probes did not stop the 35th.
    expect(probes.length).toBeGreaterThanOrEqual(35);
  });

  it('probes a service down for minutes less often, from 200 ms doubling each minute to 5 s', async () => {
    expect(
      [0, 59_999, 60_000, 120_000, 180_000, 240_000, 3_600_000].map((ms) => probeInterval(ms)),
    ).toEqual([200, 200, 400, 800, 1_600, 3_200, 5_000]);
    const { probe, probes } = service(Number.POSITIVE_INFINITY);
    await measure({ failures: 6, probe, downSince: Date.now() - 150_000 });
    // 30 s of backoff at one probe every 800 ms (the last one due as the backoff ends).
    expect(probes).toHaveLength(37);
  });

  it('waits the whole backoff when the service never answers', async () => {
    const { probe } = service(Number.POSITIVE_INFINITY);
    const { ended, tookMs } = await measure({ failures: 4, probe });
    expect(ended).toBe('backoff');
    expect(tookMs).toBeGreaterThanOrEqual(8_000);
    expect(tookMs).toBeLessThan(8_500);
  });

  it('waits the whole backoff after a refusal (no outage) while probes keep answering', async () => {
    const { probe } = service(0);
    const { ended, tookMs } = await measure({ failures: 3, outage: false, probe });
    expect(ended).toBe('backoff');
    expect(tookMs).toBeGreaterThanOrEqual(4_000);
  });

  it('after a refusal, still ends early once a probe saw the service down and then back', async () => {
    const back = Date.now() + 3_000;
    const { probe } = service(back);
    const { ended, tookMs } = await measure({ failures: 5, outage: false, probe });
    expect(ended).toBe('probe');
    expect(tookMs).toBeLessThanOrEqual(4_500);
  });

  it('does not retry a call that failed right after a probe answered at the probes’ pace', async () => {
    // One route broken while the probe's route answers: the retry waits out its backoff.
    const { probe } = service(0);
    const { ended, tookMs } = await measure({ failures: 3, afterProbe: true, probe });
    expect(ended).toBe('backoff');
    expect(tookMs).toBeGreaterThanOrEqual(4_000);
  });

  it('answers aborted at once when stopped, with no probe left running', async () => {
    const stop = new AbortController();
    const { probe, probes } = service(Number.POSITIVE_INFINITY, 'hang');
    setTimeout(() => stop.abort(), 3_000);
    const { ended, tookMs } = await measure({ failures: 6, probe, signal: stop.signal });
    expect(ended).toBe('aborted');
    expect(tookMs).toBeLessThanOrEqual(3_250);
    const count = probes.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probes).toHaveLength(count);
  });
});

describe('service health', () => {
  it('records answers and failures of the calls it observes, not the ones their caller aborted', async () => {
    const health = createServiceHealth(Date.now);
    const answering = health.observe(() => Promise.resolve(new Response(null, { status: 404 })));
    const failing = health.observe(() => Promise.resolve(new Response(null, { status: 503 })));
    const refusing = health.observe(() => Promise.reject(new TypeError('fetch failed')));
    await failing('http://x/');
    expect(health.downSince()).toBe(Date.now());
    await vi.advanceTimersByTimeAsync(1_000);
    await refusing('http://x/').catch(() => undefined);
    expect(health.downSince()).toBe(Date.now() - 1_000);
    await answering('http://x/');
    expect(health.downSince()).toBeUndefined();
    const stop = new AbortController();
    stop.abort();
    await refusing('http://x/', { signal: stop.signal }).catch(() => undefined);
    expect(health.downSince()).toBeUndefined();
  });

  it('lets waiters through once a shared probe finds the service back, and stops probing after', async () => {
    const health = createServiceHealth(Date.now);
    await health.whenAnswering(() => Promise.reject(new Error('not called')));
    health.failed();
    const back = Date.now() + 3_000;
    const { probe: ask, probes } = service(back);
    const probe: Probe = async (signal) => {
      const result = await ask(signal);
      if (result === 'answered') health.answered();
      return result;
    };
    const through: number[] = [];
    const waits = [0, 1, 2].map(() =>
      health.whenAnswering(probe).then(() => through.push(Date.now())),
    );
    await vi.advanceTimersByTimeAsync(4_000);
    await Promise.all(waits);
    expect(through.every((at) => at >= back && at <= back + 600)).toBe(true);
    // One probe every 200 ms for the three of them.
    expect(probes.length).toBeLessThanOrEqual(16);
    const count = probes.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probes).toHaveLength(count);
  });

  it('stops waiting, and probing, when its waiter gives up', async () => {
    const health = createServiceHealth(Date.now);
    health.failed();
    const { probe, probes } = service(Number.POSITIVE_INFINITY);
    const stop = new AbortController();
    const waiting = health.whenAnswering(probe, stop.signal);
    const outcome = waiting.then(
      () => 'through',
      () => 'gave up',
    );
    await vi.advanceTimersByTimeAsync(2_000);
    stop.abort();
    expect(await outcome).toBe('gave up');
    const count = probes.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probes.length).toBeLessThanOrEqual(count + 1);
  });
});
