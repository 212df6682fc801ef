import type { Job } from '../jobs/job-book.ts';
import type { JobAction } from '../jobs/job-event.ts';
import type { Metrics } from './metrics.ts';

/** Job metrics from the job book's transitions: counts, queue time and duration. */
export function jobMetrics(metrics: Metrics) {
  return (job: Job, previous: JobAction | undefined): void => {
    const labels = { repo: job.repoId, pool: job.poolId };
    metrics.jobEvents.inc({ ...labels, action: job.state });
    if (job.state === 'in_progress' && previous === 'queued' && job.startedAt !== undefined) {
      metrics.queueSeconds.observe(
        { ...labels, until: 'in_progress' },
        (job.startedAt - job.queuedAt) / 1000,
      );
    }
    if (job.state === 'completed' && job.startedAt !== undefined && job.completedAt !== undefined) {
      const conclusion = job.conclusion ?? 'unknown';
      metrics.jobSeconds.observe(
        { ...labels, conclusion },
        (job.completedAt - job.startedAt) / 1000,
      );
    }
  };
}
