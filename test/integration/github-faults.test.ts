import { describe, expect, it } from 'vitest';
import { leftovers } from '../support/harness/docker-cleanup.ts';
import { type Harness, harnessForEachTest } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

const healthStatus = async () => (await fetch(`${h.controller?.url}/health`)).status;
const requestsBetween = (from: number, to: number) =>
  h.fake.requests().filter((r) => r.at >= from && r.at < to);
const allCompleted = (jobs: { id: number }[]) =>
  jobs.every((job) => h.fake.job(job.id)?.status === 'completed');

describe('GitHub faults', () => {
  it('backs off while GitHub answers 500, reports it, and recovers', async () => {
    await h.start({ RESYNC_INTERVAL_SECONDS: '5' });
    await waitUntil(async () => (await healthStatus()) === 200, 10_000, 'healthy at start');
    const from = Date.now();
    h.fake.failAlways({ status: 500 });
    const jobs: { id: number }[] = [];
    for (let i = 0; i < 3; i += 1)
      jobs.push(await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 }));
    await waitUntil(
      async () => (await healthStatus()) === 503,
      20_000,
      'health reports GitHub failing',
    );
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const to = Date.now();
    h.fake.clearFaults();
    const during = requestsBetween(from, to);
    // Without backoff the reconciler would ask for JIT configs in a tight loop; with the retries
    // (3 retries) and the pool's doubling backoff it asks a handful of times in 12+ s.
    const jit = during.filter((r) => r.path.endsWith('/generate-jitconfig'));
    expect(jit.length).toBeGreaterThan(0);
    expect(jit.length).toBeLessThanOrEqual(12);
    expect(during.every((r) => r.status === 500)).toBe(true);
    await waitUntil(() => allCompleted(jobs), 60_000, 'jobs completed after recovery');
    await waitUntil(async () => (await healthStatus()) === 200, 20_000, 'healthy again');
  });

  it('waits for the rate-limit reset (403, x-ratelimit-remaining: 0) before asking again', async () => {
    await h.start();
    await waitUntil(() => h.fake.requests().length > 0, 10_000, 'first resync');
    const resetInSeconds = 5;
    h.fake.exhaustRateLimit(resetInSeconds);
    const limitedFrom = Date.now();
    const resetAt = h.fake.rateLimit().reset * 1000;
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    await waitUntil(
      () => h.fake.requests().some((r) => r.at >= limitedFrom && r.status === 403),
      10_000,
      'a 403',
    );
    await waitUntil(() => Date.now() > resetAt, 10_000, 'reset time');
    h.fake.resetRateLimit();
    await waitUntil(
      () => h.fake.job(job.id)?.status === 'completed',
      30_000,
      'job completed after the reset',
    );
    const limited = requestsBetween(limitedFrom, resetAt - 200);
    // The first request learns of the limit; the throttling plugin then holds the rest until the reset.
    expect(limited.filter((r) => r.status === 403).length).toBeLessThanOrEqual(2);
    const jit = h.fake
      .requests()
      .filter((r) => r.path.endsWith('/generate-jitconfig') && r.status === 201);
    expect(jit.at(-1)?.at).toBeGreaterThanOrEqual(resetAt - 1_000);
  });

  it('honours retry-after on a secondary rate limit (429)', async () => {
    await h.start();
    h.fake.failNext({
      status: 429,
      headers: { 'retry-after': '3' },
      match: /generate-jitconfig/,
      count: 1,
    });
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 30_000, 'job completed');
    const jit = h.fake.requests().filter((r) => r.path.endsWith('/generate-jitconfig'));
    expect(jit.map((r) => r.status)).toEqual([429, 201]);
    expect((jit[1]?.at ?? 0) - (jit[0]?.at ?? 0)).toBeGreaterThanOrEqual(2_900);
    await waitUntil(
      async () => (await leftovers(h.controllerId)).containers === 0,
      20_000,
      'runner removed',
    );
  });
});
