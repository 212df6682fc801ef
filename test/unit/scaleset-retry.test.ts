import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  abortableSleep,
  backoffDelay,
  waitToRetry,
  type Probe,
  type RetryWait,
} from '../../controller/src/scaleset/backoff.ts';

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
    // Probes every 2 s: at 2 s and 4 s down, at 6 s answered (+50 ms), not the backoff's 30 s.
    expect(tookMs).toBeGreaterThanOrEqual(6_000);
    expect(tookMs).toBeLessThanOrEqual(6_500);
    expect(probes).toHaveLength(3);
  });

  it('is not held back by probes that hang while the service is down', async () => {
    const back = Date.now() + 7_000;
    const { probe, probes } = service(back, 'hang');
    const { ended, tookMs } = await measure({ failures: 6, probe });
    expect(ended).toBe('probe');
    expect(tookMs).toBeLessThanOrEqual(8_500);
    // Three hung probes did not stop the fourth.
    expect(probes.length).toBeGreaterThanOrEqual(4);
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
