export type JobAction = 'queued' | 'in_progress' | 'completed';
/**
 * Whose numbering a job's id follows: GitHub's workflow job ids, one space over every repository
 * (webhooks, resync), or its pool's own (a scale set's runner request ids).
 */
export type JobIdSpace = 'github' | 'pool';

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
  /** Whose numbering `jobId` follows (default github). */
  idSpace?: JobIdSpace;
  at: number;
};

export const RANK: Record<JobAction, number> = { queued: 0, in_progress: 1, completed: 2 };

/** Whether an action is one the job book follows (a delivery may carry others). */
export function isJobAction(action: string): action is JobAction {
  return Object.hasOwn(RANK, action);
}
