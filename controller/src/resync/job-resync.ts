import type { RepoConfig } from '../config/load-config.ts';
import type { JobReader, ObservedJob } from '../github/job-reader.ts';
import type { JobBook } from '../jobs/job-book.ts';
import type { JobEvent } from '../jobs/job-event.ts';
import type { JobIntake } from '../jobs/job-intake.ts';
import { routeJob } from '../jobs/route-job.ts';
import { ACTIONS_RIGHTS, explainRefusal, GitHubRefusal } from '../github/github-error.ts';

/** How many unfinished jobs one resync looks up one by one when GitHub no longer lists them. */
const LOOKUP_LIMIT = 20;

/**
 * Brings the job book in line with GitHub: unfinished jobs it missed are booked, and jobs it
 * still thinks queued or in progress but GitHub no longer lists among the unfinished ones of a
 * repository it read whole are looked up (their `completed` event was lost, say). `repo` holds
 * the pools webhooks feed. Returns how many changed; throws, after booking, when GitHub refused
 * to show some repositories.
 */
export async function resyncJobs(
  repo: RepoConfig,
  source: JobReader,
  book: Pick<JobBook, 'unfinished'>,
  intake: Pick<JobIntake, 'book'>,
  now: () => number,
): Promise<number> {
  const startedAt = now();
  const { jobs, covered, refused } = await source.unfinishedJobs();
  const eventOf = (job: ObservedJob): JobEvent[] => {
    const pool = routeJob(job.labels, repo.pools);
    if (!pool) return [];
    return [
      {
        poolId: pool.id,
        repoId: repo.id,
        repository: job.repository,
        jobId: job.id,
        runId: job.runId,
        action: job.action,
        labels: job.labels,
        runnerName: job.runnerName,
        at: now(),
      },
    ];
  };
  const booked = (observed: readonly ObservedJob[]) =>
    intake.book(observed.flatMap(eventOf)).filter((result) => result !== 'duplicate').length;
  let changed = booked(jobs);

  const listed = new Set(jobs.map((job) => job.id));
  const missing = book
    .unfinished(repo.id)
    .filter((job) => covered.has(job.repository) && !listed.has(job.id))
    .filter((job) => job.queuedAt < startedAt)
    .slice(0, LOOKUP_LIMIT);
  for (const job of missing) {
    const current = await source.job(job.repository, job.id);
    changed += booked([
      current ?? {
        repository: job.repository,
        id: job.id,
        runId: job.runId,
        action: 'completed',
        labels: job.labels,
        runnerName: undefined,
      },
    ]);
  }
  const first = refused[0];
  if (first) {
    const names = refused.map((entry) => entry.repository).join(', ');
    const refusal = explainRefusal(
      first.error,
      `listing the workflow runs of ${names}`,
      ACTIONS_RIGHTS,
    );
    throw refusal instanceof GitHubRefusal
      ? refusal
      : new GitHubRefusal(`listing the workflow runs of ${names}: refused`, first.error);
  }
  return changed;
}
