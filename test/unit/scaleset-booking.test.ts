import { describe, expect, it } from 'vitest';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import { scaleSetJobEvents } from '../../controller/src/scaleset/book-batch.ts';
import type { ScaleSetBatch, ScaleSetJob } from '../../controller/src/scaleset/scale-set-events.ts';

const pool = { id: 'app/sets', repoId: 'app' };
const job = (runnerRequestId: number): ScaleSetJob => ({
  runnerRequestId,
  jobId: `opaque-${runnerRequestId}`,
  repository: 'octo/app',
  workflowRunId: 9,
  labels: ['big'],
  displayName: 'build',
  queuedAt: 1,
});
const batch = (events: ScaleSetBatch['events']): ScaleSetBatch => ({
  messageId: 1,
  statistics: {
    totalAvailableJobs: 0,
    totalAcquiredJobs: 0,
    totalAssignedJobs: 1,
    totalRunningJobs: 0,
    totalRegisteredRunners: 0,
    totalBusyRunners: 0,
    totalIdleRunners: 0,
  },
  events,
  receivedAt: 5,
});

describe('booking a scale set message', () => {
  it('books assigned, started and completed, keyed by runner request id apart from GitHub job ids', () => {
    const book = new JobBook();
    book.apply({
      poolId: 'app/hooks',
      repoId: 'app',
      repository: 'octo/app',
      jobId: 42,
      runId: 1,
      action: 'queued',
      labels: ['self-hosted'],
      runnerName: undefined,
      at: 1,
    });
    const events = scaleSetJobEvents(
      pool,
      batch([
        { type: 'job-available', job: job(42), acquired: true },
        { type: 'job-assigned', job: job(42) },
        { type: 'job-started', job: job(42), runnerName: 'runner-aa', runnerId: 3 },
        {
          type: 'job-completed',
          job: job(42),
          runnerName: 'runner-aa',
          runnerId: 3,
          result: 'succeeded',
        },
      ]),
    );
    expect(events.map((e) => e.action)).toEqual(['queued', 'in_progress', 'completed']);
    for (const event of events) book.apply(event);
    // A message that comes again (not acknowledged before a crash) changes nothing.
    for (const event of events) expect(book.apply(event)).toBe('duplicate');
    expect(book.get(42)).toMatchObject({ poolId: 'app/hooks', state: 'queued', idSpace: 'github' });
    expect(book.find(42, 'app/sets')).toMatchObject({
      state: 'completed',
      runnerName: 'runner-aa',
      conclusion: 'success',
      idSpace: 'pool',
    });
  });
});
