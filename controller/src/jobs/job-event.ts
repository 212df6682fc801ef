export type JobAction = 'queued' | 'in_progress' | 'completed';
export type JobSource = 'github' | 'scaleset';

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
  /**
   * Where the job's id comes from: GitHub's workflow job id (webhooks, resync), or a scale
   * set's runner request id, numbered apart (default github).
   */
  source?: JobSource;
  at: number;
};

export const RANK: Record<JobAction, number> = { queued: 0, in_progress: 1, completed: 2 };
