import { describe, expect, it } from 'vitest';
import type { HealthReport } from '../../controller/src/status/health-types.ts';
import { type Harness, harnessForEachTest } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// The runner image's version label says 2.338.0; the fake GitHub publishes actions/runner's
// releases, which the controller reads without a token at start (then once a day).
const IMAGE = 'autoscaler-test/runner-versioned:local';
const DAY = 24 * 3600_000;
const POOL = 'octocat-hello-world';

let h: Harness;
harnessForEachTest((made) => (h = made));

const publish = (tagName: string, daysAgo: number) =>
  h.fake.publishRelease({
    repo: 'actions/runner',
    tagName,
    publishedAt: Date.now() - daysAgo * DAY,
    assets: [{ name: `actions-runner-linux-x64-${tagName.slice(1)}.tar.gz` }],
  });

async function healthOnceDated(): Promise<HealthReport> {
  return waitUntil(
    async () => {
      const response = await fetch(`${h.controller?.url}/health`);
      const body = (await response.json()) as HealthReport;
      return body.repositories[0]?.pools[0]?.runnerUpdate ? body : undefined;
    },
    15_000,
    'the pool dated against the latest release',
  );
}

const metric = async (name: string) => {
  const text = await (await fetch(`${h.controller?.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{repo="${POOL}",pool="${POOL}"}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe("the runner image's age", () => {
  it('is warned of on /health, the status page and in metrics once a newer runner is out for more than 7 days', async () => {
    publish('v2.338.0', 50);
    publish('v2.339.0', 10);
    await h.start({ RUNNER_IMAGE: IMAGE });
    const health = await healthOnceDated();
    const pool = health.repositories[0]?.pools[0];
    expect(pool?.runnerImage.version).toBe('2.338.0');
    expect(pool?.runnerUpdate).toMatchObject({ latest: '2.339.0', outdated: true, daysLeft: 20 });
    expect(Date.parse(pool?.runnerUpdate?.deadline ?? '')).toBeGreaterThan(Date.now() + 19 * DAY);
    expect(health.runnerReleases.latest).toBe('2.339.0');
    const warning = health.warnings.find((w) => w.includes('behind actions/runner 2.339.0'));
    expect(warning).toContain('GitHub stops queueing jobs to it in 20 day(s)');
    // A warning, not a failure: exit code 7 (an outdated runner refused) is what fails /health.
    expect(health.status).not.toBe('failing');

    const page = await (await fetch(`${h.controller?.url}/`)).text();
    expect(page).toContain('runner 2.338.0 is behind actions/runner 2.339.0');
    expect(await metric('autoscaler_runner_outdated')).toBe(1);
    const deadline = await metric('autoscaler_runner_update_deadline_timestamp_seconds');
    expect((deadline ?? 0) * 1000).toBeCloseTo(Date.now() + 20 * DAY, -5);

    // Read anonymously: GitHub's quota of the pool's token is not touched by it.
    const asked = h.fake.requests().filter((r) => r.path.includes('/repos/actions/runner/'));
    expect(asked.map((r) => r.status)).toEqual([200, 200]);
  });

  it('says nothing in the first 7 days, but tells the days left', async () => {
    publish('v2.338.0', 50);
    publish('v2.339.0', 3);
    await h.start({ RUNNER_IMAGE: IMAGE });
    const health = await healthOnceDated();
    expect(health.repositories[0]?.pools[0]?.runnerUpdate).toMatchObject({
      latest: '2.339.0',
      outdated: false,
      daysLeft: 27,
    });
    expect(health.warnings.filter((w) => w.includes('actions/runner'))).toEqual([]);
    expect(await metric('autoscaler_runner_outdated')).toBe(0);
  });

  it('is current when the image has the latest release', async () => {
    publish('v2.338.0', 50);
    await h.start({ RUNNER_IMAGE: IMAGE });
    const health = await healthOnceDated();
    expect(health.repositories[0]?.pools[0]?.runnerUpdate).toEqual({
      latest: '2.338.0',
      outdated: false,
      deadline: null,
      daysLeft: null,
    });
    expect(await metric('autoscaler_runner_update_deadline_timestamp_seconds')).toBeUndefined();
  });
});
