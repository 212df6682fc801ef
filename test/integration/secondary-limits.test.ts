import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noLeftovers, sampleRunnerCount } from '../support/harness/docker-cleanup.ts';
import { GITHUB_SECONDARY_LIMITS } from '../support/fakes/fake-github/index.ts';
import { createHarness, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;

// The fake enforces GitHub's documented secondary limits on every credential.
beforeEach(async () => {
  h = await createHarness({ secondaryLimits: true });
});

afterEach(async (context) => {
  await h.cleanup(context);
});

const queue = (count: number, durationMs: number) =>
  Promise.all(
    Array.from({ length: count }, () => h.fake.queueJob({ labels: ['self-hosted'], durationMs })),
  );
const allCompleted = (jobs: { id: number }[]) =>
  jobs.every((job) => h.fake.job(job.id)?.status === 'completed');
/** Each job ran on a runner of its own: no job was served twice, no runner took two. */
function expectOneRunnerEach(jobs: { id: number }[]) {
  const names = jobs.map((job) => h.fake.job(job.id)?.runnerName);
  expect(names.every((name) => typeof name === 'string')).toBe(true);
  expect(new Set(names).size).toBe(jobs.length);
}
const registrationsSince = (from: number) =>
  h.fake
    .requests()
    .filter((r) => r.at >= from && r.path.endsWith('/generate-jitconfig') && r.status === 201);

describe('GitHub secondary rate limits', () => {
  it('serves a burst of 20 jobs at MAX_RUNNERS=10 without one secondary-limit answer', async () => {
    await h.start({ MAX_RUNNERS: '10' });
    await waitUntil(() => h.fake.requests().length > 0, 10_000, 'first resync');
    const sampler = sampleRunnerCount(h.controllerId, 50);
    const from = Date.now();
    const jobs = await queue(20, 2_000);
    await waitUntil(() => allCompleted(jobs), 150_000, 'all 20 jobs completed');
    const { max } = await sampler.stop();
    expect(max).toBeLessThanOrEqual(10);
    expect(h.fake.secondaryLimitAnswers()).toMatchObject({ count: 0 });
    expectOneRunnerEach(jobs);
    expect(registrationsSince(from)).toHaveLength(20);
    const usage = h.fake.apiUsageSummary()[h.fake.token];
    expect(usage?.peak60s.points).toBeLessThanOrEqual(GITHUB_SECONDARY_LIMITS.pointsPerMinute);
    expect(usage?.peak60s.contentGenerating).toBeLessThanOrEqual(
      GITHUB_SECONDARY_LIMITS.contentPerMinute,
    );
    expect(usage?.maxConcurrent).toBeLessThanOrEqual(GITHUB_SECONDARY_LIMITS.concurrent);
    await noLeftovers(h.controllerId);
  }, 180_000);

  it('waits out a forced secondary limit on its token, then serves what was queued', async () => {
    await h.start();
    await waitUntil(() => h.fake.requests().length > 0, 10_000, 'first resync');
    const retryAfterSeconds = 3;
    const forcedAt = Date.now();
    h.fake.forceSecondaryLimit({ credential: h.fake.token, retryAfterSeconds });
    const penaltyEnd = forcedAt + retryAfterSeconds * 1000;
    const jobs = await queue(5, 500);
    await waitUntil(() => allCompleted(jobs), 60_000, 'jobs queued during the limit completed');
    expectOneRunnerEach(jobs);
    expect(registrationsSince(forcedAt)).toHaveLength(jobs.length);

    // Every request during the penalty is refused (and recorded), so the refusals are the
    // requests sent before retry-after passed: only those already under way when the first
    // refusal arrived, none after it.
    const refused = h.fake.secondaryLimitAnswers().answers;
    expect(refused.length).toBeGreaterThan(0);
    const first = h.fake
      .apiUsage()
      .find((entry) => entry.secondaryLimited && entry.credential === h.fake.token);
    const learnedAt = (first?.end ?? 0) + 100;
    const after = refused.filter((answer) => answer.at > learnedAt);
    expect.soft(after.map((a) => `${a.method} ${a.path} +${a.at - forcedAt} ms`)).toEqual([]);
    const served = h.fake
      .apiUsage()
      .filter((entry) => entry.start >= forcedAt && !entry.secondaryLimited);
    expect(Math.min(...served.map((entry) => entry.start))).toBeGreaterThanOrEqual(penaltyEnd - 5);
    await noLeftovers(h.controllerId);
  }, 90_000);
});
