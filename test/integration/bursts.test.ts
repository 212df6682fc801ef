import { describe, expect, it } from 'vitest';
import { sampleRunnerCount } from '../support/harness/docker-cleanup.ts';
import { type Harness, harnessForEachTest, SECRET } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

const jitPosts = () =>
  h.fake.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/generate-jitconfig'));

describe('bursts and GitHub limits', () => {
  it('registers a burst within the free capacity at once, not a runner a second', async () => {
    await h.start({ MAX_RUNNERS: '10' });
    const sampler = sampleRunnerCount(h.controllerId, 50);
    const jobs = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.fake.queueJob({ labels: ['self-hosted'], durationMs: 4_000 }),
      ),
    );
    await waitUntil(
      () => jobs.every((job) => h.fake.job(job.id)?.status === 'completed'),
      60_000,
      'every job completed',
    );
    const { max } = await sampler.stop();
    const posts = jitPosts().map((r) => r.at);
    expect(posts).toHaveLength(10);
    // Paced at one a second, the tenth registration came 9 s after the first.
    expect(Math.max(...posts) - Math.min(...posts)).toBeLessThan(3_000);
    expect(max).toBe(10);
  });

  it('spends the resync budget of a credential shared by many repositories, reading the busy one first', async () => {
    const base = 'https://github.com';
    const names = Array.from({ length: 30 }, (_, i) => `quiet-${i}`);
    for (const name of names) h.fake.addRepo({ owner: 'octocat', name });
    const controller = await h.startRepos(
      {
        repositories: [
          { id: 'busy', github_url: `${base}/octocat/hello-world` },
          ...names.map((name) => ({ id: name, github_url: `${base}/octocat/${name}` })),
        ],
        defaults: { github_token: h.fake.token, webhook_secret: SECRET },
      },
      { 'octocat/hello-world': 'busy' },
      { RESYNC_INTERVAL_SECONDS: '5', RESYNC_REQUESTS_PER_MINUTE: '60' },
    );
    // 31 repositories at about 3 requests each cannot be read every 5 s within 60 a minute.
    const warning = await waitUntil(
      () =>
        controller
          .logs()
          .find(
            (line) =>
              typeof line.msg === 'string' &&
              line.msg.startsWith('resync cannot read every repository') &&
              line.repositories === 31,
          ),
      10_000,
      'the warning that the budget cannot cover the interval',
    );
    expect(warning).toMatchObject({ budgetPerMinute: 60, intervalSeconds: 5 });
    const health = (await (await fetch(`${controller.url}/health`)).json()) as {
      credentials: { name: string; repositories: number; resyncBudgetPerMinute: number }[];
    };
    expect(health.credentials).toEqual([
      expect.objectContaining({ repositories: 31, resyncBudgetPerMinute: 60 }),
    ]);
    expect(health.credentials[0]?.name).toMatch(/^token-[0-9a-f]{8}$/);
    // A webhook marks the busy repository; its next job's webhook is lost, and resync finds it
    // long before a round of all 31 (about 90 s) would.
    const first = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 200 });
    await waitUntil(() => h.fake.job(first.id)?.status === 'completed', 30_000, 'first job done');
    const startedAt = Date.now();
    const lost = await h.fake.queueJob({
      labels: ['self-hosted'],
      durationMs: 200,
      sendWebhook: false,
    });
    await waitUntil(() => h.fake.job(lost.id)?.status === 'completed', 30_000, 'lost job done');
    expect(Date.now() - startedAt).toBeLessThan(20_000);
    // The budget held: requests in any 30 s stay near 30 (the busy repository's runner and
    // registration add a few).
    const times = h.fake.requests().map((r) => r.at);
    const last = Math.max(...times);
    const recent = times.filter((at) => at > last - 30_000).length;
    expect(recent).toBeLessThanOrEqual(45);
  });
});
