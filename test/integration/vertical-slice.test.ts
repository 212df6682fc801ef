import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/wait-until.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import {
  removeDataDir,
  startControllerProcess,
  type ControllerProcess,
} from '../support/controller-process.ts';
import {
  leftovers,
  removeAllOf,
  runnerContainers,
  sampleRunnerCount,
  testControllerId,
} from '../support/docker-cleanup.ts';

const SECRET = 'integration-secret';
const STUB_IMAGE = 'autoscaler-test/runner-stub:local';

let fake: FakeGitHub;
let controller: ControllerProcess | undefined;
let controllerId: string;

async function start(env: Record<string, string> = {}): Promise<ControllerProcess> {
  controller = await startControllerProcess({
    GITHUB_URL: `https://github.com/${fake.defaultRepo.owner}/${fake.defaultRepo.name}`,
    GITHUB_API_URL: fake.url,
    GITHUB_TOKEN: fake.token,
    WEBHOOK_SECRET: SECRET,
    CONTROLLER_ID: controllerId,
    RUNNER_IMAGE: STUB_IMAGE,
    RUNNER_DOCKER_MODE: 'none',
    RUNNER_NETWORK: 'host',
    LOG_LEVEL: 'debug',
    ...env,
  });
  fake.setWebhookTarget({ url: `${controller.url}/webhook`, secret: SECRET });
  return controller;
}

beforeEach(async () => {
  controllerId = testControllerId();
  fake = await startFakeGitHub({});
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.log(controller?.output());
  await controller?.stop('SIGKILL');
  if (controller) removeDataDir(controller.dataDir);
  controller = undefined;
  await removeAllOf(controllerId);
  await fake.close();
});

describe('vertical slice', () => {
  it('starts one runner for one signed queued delivery, and the job completes', async () => {
    await start();
    const job = await fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 1_500 });
    const replied = Date.now();
    const running = await waitUntil(
      async () => {
        const list = await runnerContainers(controllerId);
        return list.some((c) => c.State === 'running') ? list : undefined;
      },
      10_000,
      'a running runner container',
    );
    const startedWithinMs = Date.now() - replied;
    expect(running).toHaveLength(1);
    expect(running[0]?.Labels).toMatchObject({
      'io.runner-autoscaler.controller': controllerId,
      'io.runner-autoscaler.role': 'runner',
      'io.runner-autoscaler.job-id': String(job.id),
    });
    expect(startedWithinMs).toBeLessThan(3_000);
    await waitUntil(() => fake.job(job.id)?.status === 'completed', 20_000, 'job completed');
    await waitUntil(
      async () => (await leftovers(controllerId)).containers === 0,
      20_000,
      'runner removed',
    );
    expect(await leftovers(controllerId)).toEqual({ containers: 0, volumes: 0 });
    expect(fake.unexpectedRequests).toEqual([]);
    expect(controller?.output()).not.toContain(fake.token);
  });

  it('holds MAX_RUNNERS=5 under 50 simultaneous deliveries and completes every job', async () => {
    await start({ MAX_RUNNERS: '5' });
    const sampler = sampleRunnerCount(controllerId, 25);
    const jobs = await Promise.all(
      Array.from({ length: 50 }, () =>
        fake.queueJob({ labels: ['self-hosted'], durationMs: 4_000 }),
      ),
    );
    await waitUntil(
      () => jobs.every((job) => fake.job(job.id)?.status === 'completed'),
      110_000,
      'all 50 jobs completed',
    );
    const { max, samples } = await sampler.stop();
    expect(samples).toBeGreaterThan(20);
    expect(max).toBeLessThanOrEqual(5);
    expect(max).toBe(5);
    await waitUntil(
      async () => (await leftovers(controllerId)).containers === 0,
      20_000,
      'runners removed',
    );
  });

  it('starts nothing extra for duplicate deliveries', async () => {
    await start();
    const job = await fake.queueJob({ labels: ['self-hosted'], durationMs: 2_000 });
    const queued = fake.deliveries().find((d) => d.action === 'queued');
    expect(queued).toBeDefined();
    await fake.sendWebhook('workflow_job', queued?.payload, { deliveryId: queued?.guid ?? '' });
    await fake.sendWebhook('workflow_job', queued?.payload);
    await waitUntil(() => fake.job(job.id)?.status === 'completed', 20_000, 'job completed');
    const runnersMade = fake
      .requests()
      .filter((r) => r.path.endsWith('/generate-jitconfig')).length;
    expect(runnersMade).toBe(1);
  });

  it('answers bad input with its status and starts nothing', async () => {
    const c = await start({ WEBHOOK_BODY_LIMIT_BYTES: '65536' });
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
    const wrongSecret = await fake.sendWebhook(
      'workflow_job',
      { action: 'queued' },
      { signatureOverride: 'sha256=00' },
    );
    expect(wrongSecret[0]?.statusCode).toBe(401);
    const malformed = await fake.sendWebhook('workflow_job', undefined, { rawBody: '{"action":' });
    expect(malformed[0]?.statusCode).toBe(400);
    const missing = await fake.sendWebhook('workflow_job', {
      action: 'queued',
      workflow_job: { id: 1 },
    });
    expect(missing[0]?.statusCode).toBe(400);
    expect((await post({}, body, '/webhook/unknown')).status).toBe(404);
    const huge = await post({}, JSON.stringify({ pad: 'x'.repeat(80_000) }));
    expect(huge.status).toBe(413);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runnerContainers(controllerId)).toHaveLength(0);
    expect(fake.requests().filter((r) => r.path.endsWith('/generate-jitconfig'))).toHaveLength(0);
  });
});
