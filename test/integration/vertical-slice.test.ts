import { describe, expect, it } from 'vitest';
import {
  docker,
  leftovers,
  runnerContainers,
  sampleRunnerCount,
} from '../support/harness/docker-cleanup.ts';
import { type Harness, harnessForEachTest, SECRET } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

const jitRequests = () => h.fake.requests().filter((r) => r.path.endsWith('/generate-jitconfig'));

describe('vertical slice', () => {
  it('starts one runner for one signed queued delivery, and the job completes', async () => {
    await h.start();
    const job = await h.fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 1_500 });
    const replied = Date.now();
    const running = await waitUntil(
      async () => {
        const list = await runnerContainers(h.controllerId);
        return list.some((c) => c.State === 'running') ? list : undefined;
      },
      10_000,
      'a running runner container',
    );
    const startedWithinMs = Date.now() - replied;
    expect(running).toHaveLength(1);
    expect(running[0]?.Labels).toMatchObject({
      'io.runner-autoscaler.controller': h.controllerId,
      'io.runner-autoscaler.role': 'runner',
      'io.runner-autoscaler.job-id': String(job.id),
    });
    expect(startedWithinMs).toBeLessThan(3_000);
    const env = (await docker.getContainer(running[0]?.Id ?? '').inspect()).Config.Env;
    const ours = env.filter((entry) => !entry.startsWith('PATH='));
    expect(ours.map((entry) => entry.split('=')[0]).sort()).toEqual([
      'ACTIONS_RUNNER_INPUT_JITCONFIG',
      'ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE',
    ]);
    expect(env.join('\n')).not.toContain(h.fake.token);
    expect(env.join('\n')).not.toContain(SECRET);
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 20_000, 'job completed');
    await waitUntil(
      async () => (await leftovers(h.controllerId)).containers === 0,
      20_000,
      'runner removed',
    );
    expect(await leftovers(h.controllerId)).toEqual({ containers: 0, volumes: 0 });
    expect(h.fake.unexpectedRequests).toEqual([]);
    const output = h.controller?.output() ?? '';
    expect(output).not.toContain(h.fake.token);
    expect(output).not.toContain(SECRET);
    const jit =
      env.find((entry) => entry.startsWith('ACTIONS_RUNNER_INPUT_JITCONFIG='))?.split('=')[1] ?? '';
    expect(jit.length).toBeGreaterThan(10);
    expect(output).not.toContain(jit);
    const health = await (await fetch(`${h.controller?.url}/health`)).text();
    const metrics = await (await fetch(`${h.controller?.url}/metrics`)).text();
    for (const secret of [h.fake.token, SECRET, jit]) {
      expect(health).not.toContain(secret);
      expect(metrics).not.toContain(secret);
    }
  });

  it('holds MAX_RUNNERS=5 under 50 simultaneous deliveries and completes every job', async () => {
    await h.start({ MAX_RUNNERS: '5' });
    const sampler = sampleRunnerCount(h.controllerId, 25);
    const jobs = await Promise.all(
      Array.from({ length: 50 }, () =>
        h.fake.queueJob({ labels: ['self-hosted'], durationMs: 4_000 }),
      ),
    );
    await waitUntil(
      () => jobs.every((job) => h.fake.job(job.id)?.status === 'completed'),
      110_000,
      'all 50 jobs completed',
    );
    const { max, samples } = await sampler.stop();
    expect(samples).toBeGreaterThan(20);
    expect(max).toBeLessThanOrEqual(5);
    expect(max).toBe(5);
    await waitUntil(
      async () => (await leftovers(h.controllerId)).containers === 0,
      20_000,
      'runners removed',
    );
  });

  it('starts nothing extra for duplicate deliveries', async () => {
    await h.start();
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 2_000 });
    const queued = h.fake.deliveries().find((d) => d.action === 'queued');
    expect(queued).toBeDefined();
    await h.fake.sendWebhook('workflow_job', queued?.payload, { deliveryId: queued?.guid ?? '' });
    await h.fake.sendWebhook('workflow_job', queued?.payload);
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 20_000, 'job completed');
    expect(jitRequests()).toHaveLength(1);
  });

  it('answers bad input with its status and starts nothing', async () => {
    const c = await h.start({ WEBHOOK_BODY_LIMIT_BYTES: '65536' });
    const body = JSON.stringify({ action: 'queued' });
    const post = (headers: Record<string, string>, payload = body, path = '/webhook') =>
      fetch(`${c.url}${path}`, {
        method: 'POST',
        body: payload,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'workflow_job',
          ...headers,
        },
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` })).status).toBe(401);
    const wrongSecret = await h.fake.sendWebhook(
      'workflow_job',
      { action: 'queued' },
      { signatureOverride: 'sha256=00' },
    );
    expect(wrongSecret[0]?.statusCode).toBe(401);
    const malformed = await h.fake.sendWebhook('workflow_job', undefined, {
      rawBody: '{"action":',
    });
    expect(malformed[0]?.statusCode).toBe(400);
    const missing = await h.fake.sendWebhook('workflow_job', {
      action: 'queued',
      workflow_job: { id: 1 },
    });
    expect(missing[0]?.statusCode).toBe(400);
    expect((await post({}, body, '/webhook/unknown')).status).toBe(404);
    const huge = await post({}, JSON.stringify({ pad: 'x'.repeat(80_000) }));
    expect(huge.status).toBe(413);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runnerContainers(h.controllerId)).toHaveLength(0);
    expect(jitRequests()).toHaveLength(0);
  });
});
