import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leftovers, runnerContainers } from '../support/harness/docker-cleanup.ts';
import { createHarness, SECRET, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';
import { workflowJobExample } from '../support/fixtures/webhook-examples.ts';

// A hook made in GitHub's settings page has the content type application/x-www-form-urlencoded
// unless the user changes it: GitHub then sends the JSON as the form field `payload`, and signs
// the form body as sent. Issue 17: such a hook answered the ping with 200 and every workflow_job
// with 400 "body is not valid JSON".
let h: Harness;

beforeEach(async () => {
  h = await createHarness();
});

afterEach(async (context) => {
  await h.cleanup(context);
});

describe('a hook with the form content type', () => {
  it('starts a runner for a signed form delivery, and the job completes', async () => {
    const controller = await h.start({}, { manualHook: false });
    h.fake.setWebhookTarget({
      url: `${controller.url}/webhook`,
      secret: SECRET,
      contentType: 'form',
    });
    const job = await h.fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 500 });
    await waitUntil(
      async () => (await runnerContainers(h.controllerId)).length > 0,
      15_000,
      'a runner container',
    );
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 30_000, 'job completed');
    await h.fake.settled();
    const deliveries = h.fake.deliveries().filter((d) => d.event === 'workflow_job');
    expect(deliveries.length).toBeGreaterThanOrEqual(3);
    for (const delivery of deliveries) {
      expect(delivery.requestHeaders['Content-Type']).toBe('application/x-www-form-urlencoded');
      expect(delivery.statusCode).toBe(202);
    }
    await waitUntil(
      async () => (await leftovers(h.controllerId)).containers === 0,
      20_000,
      'runner removed',
    );
  });

  it('answers 401 to a form delivery without a signature and starts nothing', async () => {
    const controller = await h.start({}, { manualHook: false });
    h.fake.setWebhookTarget({
      url: `${controller.url}/webhook`,
      secret: SECRET,
      contentType: 'form',
    });
    // A real payload of a job GitHub does not have: no resync can book it either.
    const payload = workflowJobExample('queued');
    const [delivery] = await h.fake.sendWebhook('workflow_job', payload, {
      repo: h.fake.defaultRepo,
      signatureOverride: null,
    });
    expect(delivery?.requestHeaders['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(delivery?.statusCode).toBe(401);
    expect(h.controller?.logs().some((line) => line.msg === 'job event booked')).toBe(false);
    expect(await runnerContainers(h.controllerId)).toEqual([]);
  });
});
