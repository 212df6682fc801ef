import { describe, expect, it } from 'vitest';
import { type Harness, harnessForEachTest } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

describe('resync', () => {
  it('costs no rate limit while nothing changes (conditional requests answered 304)', async () => {
    await h.start({ RESYNC_INTERVAL_SECONDS: '5' });
    const runsListings = () =>
      h.fake.requests().filter((r) => r.path.endsWith('/actions/runs')).length;
    // The first resync fills the caches (200s); from the second one on every poll is conditional.
    await waitUntil(() => runsListings() >= 4, 20_000, 'a first and a second resync');
    const usedBefore = h.fake.rateLimit().used;
    const listingsBefore = runsListings();
    await waitUntil(() => runsListings() >= listingsBefore + 4, 20_000, 'two more resyncs');
    const polls = h.fake
      .requests()
      .filter((r) => r.path.endsWith('/actions/runs'))
      .slice(listingsBefore);
    expect(polls.every((r) => r.status === 304)).toBe(true);
    expect(h.fake.rateLimit().used).toBe(usedBefore);
  });

  it('books a job whose webhook never came, with no delivery at all', async () => {
    await h.start({ RESYNC_INTERVAL_SECONDS: '5' });
    const job = await h.fake.queueJob({
      labels: ['self-hosted'],
      durationMs: 300,
      sendWebhook: false,
    });
    await waitUntil(
      () => h.fake.job(job.id)?.status === 'completed',
      20_000,
      'job completed by resync alone',
    );
    expect(h.fake.deliveries().filter((d) => d.action === 'queued')).toHaveLength(0);
  });
});
