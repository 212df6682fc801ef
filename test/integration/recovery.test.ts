import { describe, expect, it } from 'vitest';
import {
  noLeftovers as noLeftoversOf,
  runnerContainers,
  sampleRunnerCount,
} from '../support/harness/docker-cleanup.ts';
import { workflowJobPayload } from '../support/fakes/fake-github/workflow-job-payload.ts';
import { type Harness, harnessForEachTest } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

const allCompleted = (jobs: { id: number }[]) =>
  jobs.every((job) => h.fake.job(job.id)?.status === 'completed');
const health = async () => {
  const response = await fetch(`${h.controller?.url}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const noLeftovers = () => noLeftoversOf(h.controllerId, 20_000);

describe('recovery', () => {
  it('survives kill -9 in the middle of a 100-job burst: all jobs complete, the cap holds, nothing leaks', async () => {
    const env = { MAX_RUNNERS: '8', RESYNC_INTERVAL_SECONDS: '5' };
    const first = await h.start(env);
    const sampler = sampleRunnerCount(h.controllerId, 25);
    const jobs = await Promise.all(
      Array.from({ length: 100 }, () =>
        h.fake.queueJob({ labels: ['self-hosted'], durationMs: 1_500 }),
      ),
    );
    await waitUntil(
      () => h.fake.jobs().filter((job) => job.status === 'completed').length >= 15,
      60_000,
      '15 jobs done',
    );
    await first.kill();
    const runningAtKill = (await runnerContainers(h.controllerId)).length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await h.start(env);
    await waitUntil(() => allCompleted(jobs), 240_000, 'all 100 jobs completed');
    const { max } = await sampler.stop();
    expect(runningAtKill).toBeGreaterThan(0);
    expect(max).toBeLessThanOrEqual(8);
    await noLeftovers();
    const runnersMade = h.fake
      .requests()
      .filter((r) => r.path.endsWith('/generate-jitconfig')).length;
    expect(runnersMade).toBeLessThanOrEqual(100 + 8);
    // Registrations keep GitHub's content-creating limit (76 in any 60 s here), so 100 jobs take
    // a minute and more however large the cap.
  }, 300_000);

  it('completes every job when 20% of webhooks are lost, within two resync intervals', async () => {
    // A lost in_progress and completed pair can leave a spare runner until a resync shows the job
    // done; the short idle timeout lets it go soon after.
    await h.start({
      RESYNC_INTERVAL_SECONDS: '5',
      MAX_RUNNERS: '10',
      RUNNER_IDLE_TIMEOUT_SECONDS: '5',
    });
    h.fake.dropWebhooks(0.2);
    const jobs: { id: number }[] = [];
    for (let i = 0; i < 20; i += 1)
      jobs.push(await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 }));
    const lost = h.fake.deliveries().filter((d) => d.statusCode === 502).length;
    expect(lost).toBeGreaterThan(0);
    // 20 runner registrations go at once (within GitHub's write limits), two waves at the cap;
    // on top of that a lost job must be found within two resync intervals.
    await waitUntil(() => allCompleted(jobs), 20_000 + 2 * 5_000 + 10_000, 'all jobs completed');
    await noLeftovers();
  });

  it('keeps MIN_IDLE_RUNNERS warm and replaces a warm runner that took a job', async () => {
    await h.start({ MIN_IDLE_RUNNERS: '2' });
    const idle = () =>
      runnerContainers(h.controllerId).then((list) => list.filter((c) => c.State === 'running'));
    await waitUntil(async () => (await idle()).length === 2, 20_000, 'two warm runners');
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 500 });
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 20_000, 'job done');
    const jit = () => h.fake.requests().filter((r) => r.path.endsWith('/generate-jitconfig'));
    await waitUntil(() => jit().length === 3, 20_000, 'a runner started to refill the warm pool');
    await waitUntil(
      async () =>
        (await runnerContainers(h.controllerId)).length === 2 && (await idle()).length === 2,
      20_000,
      'warm pool refilled and the used runner gone',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(jit()).toHaveLength(3);
  });

  it('deregisters and removes an idle runner past its timeout', async () => {
    await h.start({ RUNNER_IDLE_TIMEOUT_SECONDS: '2' });
    // A job GitHub announces and then cancels before any runner takes it: the runner started
    // for it is surplus once the cancellation arrives.
    const real = await h.fake.queueJob({ labels: ['self-hosted'], sendWebhook: false });
    const fakeJob = h.fake.job(real.id);
    if (!fakeJob) throw new Error('job missing');
    await h.fake.cancelJob(real.id);
    const ghost = { ...fakeJob, id: real.id + 1_000_000, status: 'queued' as const };
    await h.fake.sendWebhook('workflow_job', workflowJobPayload(h.fake.url, ghost, 'queued'));
    await waitUntil(
      async () => (await runnerContainers(h.controllerId)).length === 1,
      10_000,
      'a runner started',
    );
    await h.fake.sendWebhook(
      'workflow_job',
      workflowJobPayload(h.fake.url, { ...ghost, status: 'completed' }, 'completed'),
    );
    await noLeftovers();
    expect(h.fake.runners()).toHaveLength(0);
    await waitUntil(
      () =>
        h.controller
          ?.logs()
          .some((line) => line.msg === 'runner removed' && line.reason === 'idle'),
      5_000,
      'the removal logged as idle',
    );
  });

  it('gives up a job whose runners keep exiting before taking it, with backoff', async () => {
    await h.start({ RUNNER_IMAGE: 'autoscaler-test/runner-crash:local' });
    const job = await h.fake.queueJob({ labels: ['self-hosted'] });
    await waitUntil(
      async () =>
        ((await health()).body.repositories as { pools: { givenUpJobs: number }[] }[])[0]?.pools[0]
          ?.givenUpJobs === 1,
      60_000,
      'job given up',
    );
    const attempts = h.fake.requests().filter((r) => r.path.endsWith('/generate-jitconfig'));
    expect(attempts).toHaveLength(5);
    const times = attempts.map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(gaps[0] ?? 0);
    expect((await health()).body.warnings).toContainEqual(expect.stringContaining('given up'));
    expect(h.fake.job(job.id)?.status).toBe('queued');
    await noLeftovers();
  });

  it('reports an outdated runner image (exit code 7) without a respawn loop', async () => {
    await h.start({ RUNNER_IMAGE: 'autoscaler-test/runner-outdated:local' });
    await h.fake.queueJob({ labels: ['self-hosted'] });
    await waitUntil(async () => (await health()).status === 503, 20_000, 'health 503');
    const report = await health();
    expect(report.body.warnings).toContainEqual(expect.stringContaining('outdated'));
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(h.fake.requests().filter((r) => r.path.endsWith('/generate-jitconfig'))).toHaveLength(1);
    await noLeftovers();
  });

  it('on SIGTERM stops intake, leaves a running job alone and exits within 10 s', async () => {
    const controller = await h.start();
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 4_000 });
    await waitUntil(() => h.fake.job(job.id)?.status === 'in_progress', 15_000, 'job running');
    const stoppedAt = Date.now();
    const code = await controller.stop('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(await runnerContainers(h.controllerId)).toHaveLength(1);
    await waitUntil(
      () => h.fake.job(job.id)?.status === 'completed',
      15_000,
      'job completed after shutdown',
    );
  });
});
