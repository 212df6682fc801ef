import { describe, expect, it } from 'vitest';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import type { JobAction } from '../../controller/src/jobs/job-event.ts';

// The reconciler reads every pool's waiting jobs once a pass: at a thousand pools, one scan of
// the book per pool made each pass cost pools × jobs. waitingByPool is the same lists in one scan.
describe("the job book's waiting jobs by pool", () => {
  it('are each pool’s waiting(), oldest first, and no pool without any', () => {
    const book = new JobBook();
    const event = (jobId: number, poolId: string, action: JobAction, at: number) =>
      book.apply({
        poolId,
        repoId: poolId.split('/')[0] ?? '',
        repository: 'o/r',
        jobId,
        runId: 1,
        action,
        labels: ['self-hosted'],
        runnerName: undefined,
        at,
      });
    event(1, 'a/p', 'queued', 30);
    event(2, 'b/p', 'queued', 10);
    event(3, 'a/p', 'queued', 20);
    event(4, 'c/p', 'queued', 5);
    event(4, 'c/p', 'in_progress', 6);
    event(5, 'b/p', 'queued', 40);
    event(6, 'a/p', 'queued', 25);
    event(6, 'a/p', 'completed', 26);
    const byPool = book.waitingByPool();
    expect([...byPool.keys()].sort()).toEqual(['a/p', 'b/p']);
    for (const pool of ['a/p', 'b/p', 'c/p'])
      expect(byPool.get(pool) ?? []).toEqual(book.waiting(pool));
    expect(byPool.get('a/p')?.map((job) => job.id)).toEqual([3, 1]);
  });
});
