import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noLeftovers, runnerContainers } from '../support/docker-cleanup.ts';
import { createHarness, SECRET, type Harness } from '../support/harness.ts';
import { waitUntil } from '../support/wait-until.ts';

let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});

afterEach(async (context) => {
  await h.cleanup(context);
});

/** The most runner containers seen at once, in all and per repository, until stopped. */
function samplePerRepo(controllerId: string) {
  const most = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const list = await runnerContainers(controllerId).catch(() => []);
      const counts = new Map<string, number>([['all', list.length]]);
      for (const c of list) {
        const repo = c.Labels['io.runner-autoscaler.repo'] ?? '';
        counts.set(repo, (counts.get(repo) ?? 0) + 1);
      }
      for (const [key, count] of counts) most.set(key, Math.max(most.get(key) ?? 0, count));
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { most: Object.fromEntries(most), samples };
    },
  };
}

describe('caps', () => {
  it('holds max_runners of each repository and MAX_RUNNERS over all under a burst to both', async () => {
    h.fake.addRepo({ owner: 'octocat', name: 'second' });
    const reposFile = join(h.dataDir ?? '/tmp', `repos-${h.controllerId}.json`);
    const base = 'https://github.com';
    writeFileSync(
      reposFile,
      JSON.stringify({
        repositories: [
          { id: 'first', github_url: `${base}/octocat/hello-world`, max_runners: 2 },
          { id: 'second', github_url: `${base}/octocat/second`, max_runners: 3 },
        ],
        defaults: { github_token: h.fake.token, webhook_secret: SECRET },
      }),
    );
    // The global cap is below the sum of the repositories' caps, so both limits are reached.
    const controller = await h.start(
      { GITHUB_URL: '', GITHUB_TOKEN: '', REPOS_CONFIG_FILE: reposFile, MAX_RUNNERS: '4' },
      { manualHook: false },
    );
    for (const [repo, id] of [
      ['octocat/hello-world', 'first'],
      ['octocat/second', 'second'],
    ] as const) {
      h.fake.setWebhookTarget({ url: `${controller.url}/webhook/${id}`, secret: SECRET, repo });
    }
    const sampler = samplePerRepo(h.controllerId);
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
    const { most, samples } = await sampler.stop();
    expect(samples).toBeGreaterThan(20);
    expect(most.first).toBeLessThanOrEqual(2);
    expect(most.second).toBeLessThanOrEqual(3);
    expect(most.all).toBeLessThanOrEqual(4);
    // The limits were reached, not merely respected by a slow controller.
    expect(most.first).toBe(2);
    expect(most.all).toBe(4);
    await noLeftovers(h.controllerId);
  }, 150_000);
});
