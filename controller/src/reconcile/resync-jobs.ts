import type { PoolConfig } from '../config/load-config.ts';
import type { JobSource, ObservedJob } from '../github/job-source.ts';
import type { JobBook } from '../jobs/job-book.ts';
import { matchesLabels } from '../jobs/match-labels.ts';

/** How many waiting jobs one resync looks up one by one when GitHub no longer lists them. */
const LOOKUP_LIMIT = 20;

/**
 * Brings the job book in line with GitHub: unfinished jobs it missed are booked, and jobs it
 * still thinks waiting but GitHub no longer lists are looked up. Returns how many changed.
 */
export async function resyncJobs(
  pool: PoolConfig,
  source: JobSource,
  book: JobBook,
  now: () => number,
): Promise<number> {
  const startedAt = now();
  const { jobs, complete } = await source.unfinishedJobs();
  let changed = 0;
  const book1 = (job: ObservedJob) => {
    if (!matchesLabels(job.labels, pool.runnerLabels)) return;
    const result = book.apply({
      poolId: pool.id,
      repository: job.repository,
      jobId: job.id,
      runId: job.runId,
      action: job.action,
      labels: job.labels,
      runnerName: job.runnerName,
      at: now(),
    });
    if (result !== 'duplicate') changed += 1;
  };
  jobs.forEach(book1);
  if (!complete) return changed;

  const listed = new Set(jobs.map((job) => job.id));
  const missing = book
    .waiting(pool.id)
    .filter((job) => !listed.has(job.id) && job.queuedAt < startedAt)
    .slice(0, LOOKUP_LIMIT);
  for (const job of missing) {
    const current = await source.job(job.repository, job.id);
    book1(
      current ?? {
        repository: job.repository,
        id: job.id,
        runId: job.runId,
        action: 'completed',
        labels: job.labels,
        runnerName: undefined,
      },
    );
  }
  return changed;
}
