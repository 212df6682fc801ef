import { describe, expect, it } from 'vitest';
import { noLeftovers, sampleRunnerCount } from '../support/harness/docker-cleanup.ts';
import { type Harness, harnessForEachTest, SECRET } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

describe('caps', () => {
  it('holds max_runners of each repository and MAX_RUNNERS over all under a burst to both', async () => {
    h.fake.addRepo({ owner: 'octocat', name: 'second' });
    const base = 'https://github.com';
    // The global cap is below the sum of the repositories' caps, so both limits are reached.
    await h.startRepos(
      {
        repositories: [
          { id: 'first', github_url: `${base}/octocat/hello-world`, max_runners: 2 },
          { id: 'second', github_url: `${base}/octocat/second`, max_runners: 3 },
        ],
        defaults: { github_token: h.fake.token, webhook_secret: SECRET },
      },
      { 'octocat/hello-world': 'first', 'octocat/second': 'second' },
      { MAX_RUNNERS: '4' },
    );
    const sampler = sampleRunnerCount(h.controllerId, 25);
    const jobs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.fake.queueJob({
          repo: i % 2 === 0 ? 'octocat/hello-world' : 'octocat/second',
          labels: ['self-hosted'],
          durationMs: 5_000,
        }),
      ),
    );
    await waitUntil(
      () => jobs.every((job) => h.fake.job(job.id)?.status === 'completed'),
      110_000,
      'all 20 jobs completed',
    );
    const { max, maxByRepo, samples } = await sampler.stop();
    expect(samples).toBeGreaterThan(20);
    expect(maxByRepo.first).toBeLessThanOrEqual(2);
    expect(maxByRepo.second).toBeLessThanOrEqual(3);
    expect(max).toBeLessThanOrEqual(4);
    // The limits were reached, not merely respected by a slow controller.
    expect(maxByRepo.first).toBe(2);
    expect(max).toBe(4);
    await noLeftovers(h.controllerId);
  }, 150_000);
});
