import { afterAll, describe, expect, it } from 'vitest';
import { startDockerDaemon, stopDockerDaemon } from '../support/harness/docker-daemon.ts';
import { leftovers, runnerContainers } from '../support/harness/docker-cleanup.ts';
import { harnessForEachTest, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made), { beforeCleanup: startDockerDaemon });

afterAll(async () => {
  await startDockerDaemon();
});

const health = async () => {
  const response = await fetch(`${h.controller?.url}/health`);
  return {
    status: response.status,
    body: (await response.json()) as { docker: { reachable: boolean } },
  };
};

describe('a restarting Docker engine', () => {
  it('is reported while gone, and afterwards every job is served and nothing leaks', async () => {
    await h.start({ MAX_RUNNERS: '3', RESYNC_INTERVAL_SECONDS: '5' });
    const first = await Promise.all(
      Array.from({ length: 4 }, () =>
        h.fake.queueJob({ labels: ['self-hosted'], durationMs: 3_000 }),
      ),
    );
    await waitUntil(
      () => h.fake.jobs().some((job) => job.status === 'in_progress'),
      20_000,
      'a job running',
    );

    await stopDockerDaemon();
    await waitUntil(
      async () => (await health()).status === 503,
      15_000,
      'health 503 without Docker',
    );
    expect((await health()).body.docker.reachable).toBe(false);
    // Work keeps arriving while the engine is away; it must wait, not be dropped.
    const during = await Promise.all(
      Array.from({ length: 3 }, () =>
        h.fake.queueJob({ labels: ['self-hosted'], durationMs: 500 }),
      ),
    );
    await startDockerDaemon();

    // The engine stopped the runners with it. GitHub fails a job whose runner vanished; the fake
    // is told so for the jobs whose runner is gone.
    await waitUntil(async () => (await health()).status === 200, 30_000, 'healthy again');
    const alive = new Set(
      (await runnerContainers(h.controllerId))
        .filter((c) => c.State === 'running')
        .map((c) => c.Names[0]?.slice(1)),
    );
    for (const job of h.fake.jobs()) {
      if (job.status === 'in_progress' && job.runnerName && !alive.has(job.runnerName))
        await h.fake.cancelJob(job.id);
    }
    const all = [...first, ...during];
    await waitUntil(
      () => all.every((job) => h.fake.job(job.id)?.status === 'completed'),
      60_000,
      'every job completed or failed with its runner',
    );
    expect(during.every((job) => h.fake.job(job.id)?.conclusion === 'success')).toBe(true);
    await waitUntil(
      async () => {
        const left = await leftovers(h.controllerId);
        return left.containers === 0 && left.volumes === 0;
      },
      30_000,
      'no leftovers',
    );
  });
});
