import type { ApplyResult, JobBook } from './job-book.ts';
import type { JobEvent } from './job-event.ts';
import type { WaitingJobs } from './waiting-jobs.ts';

/**
 * All a job source (webhook intake, resync, redelivery, a scale set's listener) may do: book
 * what it learnt of jobs and report its pool's demand. After actions/scaleset's Scaler: the
 * source knows nothing of what plans and starts runners, and that never reaches back into it.
 */
export type JobIntake = {
  /** Books job events in order (idempotently: states only move forward). */
  book(events: readonly JobEvent[]): ApplyResult[];
  /** A source that counts its pool's waiting jobs itself says how many wait now. */
  reportWaiting(poolId: string, count: number): void;
  /** How many jobs the pool can hold now, for a source that offers work by it. */
  capacity(poolId: string): number;
};

export type JobIntakeDeps = {
  jobs: JobBook;
  waiting: WaitingJobs;
  capacity: (poolId: string) => number;
  /** The book or a count changed: look again (once for all changes made in one turn). */
  onChange: () => void;
};

export function createJobIntake(deps: JobIntakeDeps): JobIntake {
  let pending = false;
  const changed = () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      deps.onChange();
    });
  };
  return {
    book(events) {
      const results = events.map((event) => deps.jobs.apply(event));
      if (results.some((result) => result !== 'duplicate')) changed();
      return results;
    },
    reportWaiting(poolId, count) {
      if (deps.waiting.report(poolId, count)) changed();
    },
    capacity: (poolId) => deps.capacity(poolId),
  };
}
