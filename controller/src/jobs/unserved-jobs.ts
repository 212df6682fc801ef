/** A queued job no pool serves, as the status page shows it beside the pools' labels. */
export type UnservedJob = {
  repoId: string;
  repository: string;
  jobId: number;
  labels: string[];
  /** The pools it was matched against, with their labels. */
  pools: { id: string; labels: string[] }[];
  at: number;
};

/**
 * The latest queued jobs that no pool serves, bounded: "why is my job not picked up?" is the
 * question self-hosted runner users ask most, and the answer is its labels beside the pools'.
 */
export class UnservedJobs {
  readonly #jobs = new Map<number, UnservedJob>();

  constructor(readonly capacity = 50) {}

  /** True when the job is new here (count it, log it); false when already recorded. */
  record(job: UnservedJob): boolean {
    if (this.#jobs.has(job.jobId)) return false;
    this.#jobs.set(job.jobId, job);
    if (this.#jobs.size > this.capacity) {
      const oldest = this.#jobs.keys().next().value;
      if (oldest !== undefined) this.#jobs.delete(oldest);
    }
    return true;
  }

  /** The job moved on (another runner took it, or it was cancelled). */
  forget(jobId: number): void {
    this.#jobs.delete(jobId);
  }

  /** Newest first. */
  list(): UnservedJob[] {
    return [...this.#jobs.values()].reverse();
  }
}
