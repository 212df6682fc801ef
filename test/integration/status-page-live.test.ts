import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { HealthReport } from '../../controller/src/status/health-types.ts';
import { parseMetrics } from '../support/fakes/status-setup.ts';
import { launchChromium } from '../support/harness/browser.ts';
import { docker } from '../support/harness/docker-cleanup.ts';
import { type Harness, harnessForEachTest, STUB_IMAGE } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

const run = promisify(execFile);
let h: Harness;
const cleanup: (() => Promise<unknown>)[] = [];
harnessForEachTest((made) => (h = made), {
  afterCleanup: async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  },
});

describe('the live status page', () => {
  it('shows a running job, its runner and, afterwards, the job with its queue time and duration', async () => {
    await h.start({ RUNNER_IMAGE: 'autoscaler-test/runner-stub:local' });
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 4_000 });
    await waitUntil(() => h.fake.job(job.id)?.status === 'in_progress', 15_000, 'job running');
    const runnerName = h.fake.job(job.id)?.runnerName ?? '';
    const browser = await launchChromium();
    try {
      const { page } = browser;
      await page.goto(`${h.controller?.url}/`, { waitUntil: 'load' });
      const busy = page.locator('#runners tbody tr', { hasText: runnerName });
      await waitUntil(async () => (await busy.count()) === 1, 5_000, 'the runner row');
      await mkdir('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/status-page-live.png', fullPage: true });
      await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 20_000, 'job completed');
      await waitUntil(
        async () => {
          await page.reload({ waitUntil: 'load' });
          const row = page.locator(`#recent-jobs tr[data-job-id="${job.id}"]`);
          return (await row.count()) === 1 && /success/.test(await row.innerText());
        },
        10_000,
        'the completed job in recent jobs',
      );
      const row = await page.locator(`#recent-jobs tr[data-job-id="${job.id}"]`).innerText();
      expect(row).toContain(runnerName);
      expect(row).toMatch(/\d+(\.\d)? s/);
    } finally {
      await browser.close();
    }
  });

  it('shows why a job waits (an image that cannot be pulled) until the cause is gone', async () => {
    // A registry address that refuses at once: the engine's pull fails, nothing else does.
    const image = `127.0.0.1:9/autoscaler-test/wait-${h.controllerId}:local`;
    cleanup.push(() => docker.getImage(image).remove());
    await h.start({ RUNNER_IMAGE: image });
    const url = h.controller?.url ?? '';
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 500 });
    const health = async () => (await (await fetch(`${url}/health`)).json()) as HealthReport;
    const waiting = async () => (await health()).waitingJobs.find((j) => j.jobId === job.id);
    const metric = async (reason: string) =>
      parseMetrics(await (await fetch(`${url}/metrics`)).text()).find(
        (x) => x.name === 'autoscaler_jobs_waiting' && x.labels.reason === reason,
      )?.value;
    await waitUntil(
      async () => (await waiting())?.reason === 'image-pull-failed',
      30_000,
      'the job waiting for its image',
    );
    expect((await waiting())?.detail).toMatch(
      /^the runner image cannot be pulled: .*127\.0\.0\.1:9.*; (next try in|trying again now)/,
    );
    expect(await metric('image-pull-failed')).toBe(1);
    const browser = await launchChromium();
    try {
      await browser.page.goto(`${url}/`, { waitUntil: 'load' });
      const row = browser.page.locator(`#waiting-jobs tr[data-job-id="${job.id}"]`);
      await expect(row.getAttribute('data-reason')).resolves.toBe('image-pull-failed');
      await expect(row.innerText()).resolves.toMatch(/image-pull-failed\s+the runner image cannot/);
    } finally {
      await browser.close();
    }

    // The image arrives (built here, as an operator would): the next try serves the job.
    await run('docker', ['tag', STUB_IMAGE, image]);
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 90_000, 'job served');
    expect(await waiting()).toBeUndefined();
    expect(await metric('image-pull-failed')).toBe(0);
  });
});
