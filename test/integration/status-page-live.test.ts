import { mkdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../support/harness/browser.ts';
import { type Harness, harnessForEachTest } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

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
});
