import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, STUB_IMAGE, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// Issue 17, defect 9: images built from the checkout (docker-compose.build.yml) were undone by
// the default RUNNER_PULL_POLICY=auto, which pulled the tag from its registry at start and every
// 6 h, or reported a pull error while nothing is published there. The stub image here was built
// on this engine (no registry digest), as a user's build is.
let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});

afterEach(async (context) => {
  await h.cleanup(context);
});

type Health = {
  repositories: { pools: { runnerImage: { pullError?: string } }[] }[];
};

describe('RUNNER_PULL_POLICY=auto with a runner image built on the engine', () => {
  it('leaves it alone, reports no pull error, and serves jobs with it', async () => {
    const controller = await h.start({
      RUNNER_IMAGE: STUB_IMAGE,
      RUNNER_PULL_POLICY: 'auto',
      RUNNER_PULL_INTERVAL_SECONDS: '10',
    });
    const pullError = async () =>
      ((await (await fetch(`${controller.url}/health`)).json()) as Health).repositories[0]?.pools[0]
        ?.runnerImage.pullError;
    // Either the image keeper said it keeps the local build, or (the defect) a pull failed.
    await waitUntil(
      async () =>
        controller
          .logs()
          .some((l) => l.msg === 'runner image built on the engine: auto does not pull it') ||
        (await pullError()) !== undefined,
      30_000,
      'the first round of the image keeper',
    );
    expect(await pullError()).toBeUndefined();
    expect(controller.logs().filter((l) => l.msg === 'runner image pull failed')).toEqual([]);
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 30_000, 'job completed');
  });
});
