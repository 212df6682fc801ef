export type JobAction = 'queued' | 'in_progress' | 'completed';

/** One observation of a workflow job, from a webhook, a resync or a redelivery. */
export type JobEvent = {
  /** The pool serving the job (chosen by its labels). */
  poolId: string;
  /** The repository or organization entry whose webhook or resync saw it. */
  repoId: string;
  /** owner/name of the repository the job runs in. */
  repository: string;
  jobId: number;
  runId: number;
  action: JobAction;
  labels: string[];
  runnerName: string | undefined;
  /** For completed: success, failure, cancelled, ... */
  conclusion?: string | undefined;
  at: number;
};

export const RANK: Record<JobAction, number> = { queued: 0, in_progress: 1, completed: 2 };
