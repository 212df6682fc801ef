import type { JobEvent } from '../jobs/job-event.ts';
import type { ScaleSetBatch, ScaleSetEvent } from './scale-set-events.ts';

const CONCLUSIONS: Record<string, string> = {
  succeeded: 'success',
  failed: 'failure',
  canceled: 'cancelled',
  cancelled: 'cancelled',
};

/**
 * A batch of a scale set's messages as job events of its pool, keyed by the job's runner
 * request id: assigned → queued, started → in_progress (with the runner's name), completed →
 * completed. The book's states only move forward, so a message that comes again (it was not
 * acknowledged before a crash) changes nothing. Offers (`job-available`) wait for their
 * assignment.
 */
export function scaleSetJobEvents(
  pool: { id: string; repoId: string },
  batch: ScaleSetBatch,
): JobEvent[] {
  return batch.events.flatMap((event) => {
    const action = actionOf(event);
    if (!action) return [];
    const job = event.job;
    return [
      {
        poolId: pool.id,
        repoId: pool.repoId,
        idSpace: 'pool',
        repository: job.repository ?? '',
        jobId: job.runnerRequestId,
        runId: job.workflowRunId ?? 0,
        action,
        labels: job.labels,
        runnerName:
          event.type === 'job-started' || event.type === 'job-completed'
            ? event.runnerName
            : undefined,
        ...(event.type === 'job-completed' && event.result !== undefined
          ? { conclusion: CONCLUSIONS[event.result.toLowerCase()] ?? event.result }
          : {}),
        at: batch.receivedAt,
      } satisfies JobEvent,
    ];
  });
}

function actionOf(event: ScaleSetEvent): JobEvent['action'] | undefined {
  switch (event.type) {
    case 'job-available':
      return undefined;
    case 'job-assigned':
      return 'queued';
    case 'job-started':
      return 'in_progress';
    case 'job-completed':
      return 'completed';
  }
}
